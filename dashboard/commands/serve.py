"""``curvedoc serve``: open the dashboard on a folder of training logs."""

from __future__ import annotations

import ipaddress
import threading
import webbrowser
from importlib.resources import files

import click

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def default_root() -> str:
    """The bundled sample runs (the trainer's logs shipped with curvedoc)."""
    return str(files("curvedoc.sample_runs"))


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def browse_url(host: str, port: int) -> str:
    """The URL to print and open: a wildcard bind is reached through loopback."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


@click.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=True))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Anything but loopback lets others on the "
                   "network read your logs.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@click.option("--poll", "poll_s", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between checks for new data while training writes (0: off).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads of the waitress server.")
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Diagnose on a Dask cluster (scheduler address, or local[:N]) and list the "
                   "runs from its summaries; a run's curves are read when a page shows them. "
                   "Needs curvedoc[cluster].")
def serve(path: str | None, host: str, port: int, no_browser: bool, poll_s: float,
          threads: int, cluster: str | None = None) -> None:
    """Serve the dashboard for the training logs under PATH (default: bundled sample runs).

    \b
    The browser shows every run with its diagnosis badges, a page per run with
    the evidence on its curves and advice, a compare page and a groups page.
    Served by waitress on 127.0.0.1 unless --host says otherwise; Ctrl+C stops it.
    """
    from waitress.server import create_server

    from curvedoc.dashboard.app import create_app

    root = path or default_root()
    if not is_loopback(host):
        click.secho(f"Warning: listening on {host}: anyone who can reach this machine on port "
                    f"{port} can read the logs under {root}.", fg="yellow", err=True)
    click.echo(f"Reading the runs under {root} …", err=True)
    try:
        if cluster:
            from curvedoc.dashboard.lazy_catalog import open_on_cluster
            from curvedoc.dashboard.state import DashboardState

            app = create_app(DashboardState(open_on_cluster(root, cluster)), poll_s=0)
        else:
            app = create_app(root, poll_s=poll_s, background=True)
    except Exception as exc:  # unreadable root or config: say what and where
        raise click.ClickException(f"cannot open {root}: {exc}") from exc
    try:
        server = create_server(app.server, host=host, port=port, threads=threads)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "try another --port") from exc
    url = browse_url(host, getattr(server, "effective_port", port))
    runs = len(app.server.config["CURVEDOC_STATE"].runs)
    click.echo(f"curvedoc: {runs} runs from {root}")
    click.echo(f"Dashboard on {url}  (Ctrl+C to stop)")
    if not no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()
