"""``curvedoc serve``: open the dashboard on a folder of training logs."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import webbrowser
from importlib.resources import files
from typing import Any

import click

from curvedoc.dashboard.commands._cache import cache_options, cache_value, open_catalog
from curvedoc.dashboard.commands.check_cluster import root_argument

LOOPBACK = {"localhost", "127.0.0.1", "::1"}

#: Largest request body served (waitress's default is 1 GB, read into memory): a callback
#: body holds at most the runs grid's rows, well under this for 10,000 runs.
MAX_REQUEST_BYTES = 64 * 2**20


def default_root() -> str:
    """The bundled sample runs (the trainer's logs shipped with curvedoc)."""
    return str(files("curvedoc.sample_runs"))


def bare_host(host: str) -> str:
    """``--host`` as waitress and the host check take it: an IPv6 address without brackets."""
    host = host.strip()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def is_loopback(host: str) -> bool:
    host = bare_host(host)
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def browse_url(host: str, port: int) -> str:
    """The URL to print and open: a wildcard bind is reached through loopback, the IPv6
    wildcard ``::`` (which listens on IPv6 only) through ``[::1]``."""
    host = bare_host(host)
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def make_server(app: Any, host: str, port: int, threads: int = 4) -> Any:
    """A waitress server for the Dash ``app`` on ``host:port``, behind the request guard
    (``curvedoc.dashboard.security``); raises OSError when it cannot listen."""
    from waitress.server import create_server

    from curvedoc.dashboard.security import protect

    # waitress warns "Task queue depth is N" whenever a browser opens more connections
    # than there are threads: normal for a dashboard, noise in the terminal.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_server(protect(app, host), host=bare_host(host), port=port, threads=threads,
                         max_request_body_size=MAX_REQUEST_BYTES)


@click.command()
@click.argument("path", required=False, callback=root_argument)
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
@cache_options
def serve(path: str | None, host: str, port: int, no_browser: bool, poll_s: float,
          threads: int, cache_dir: str | None, no_cache: bool,
          cluster: str | None = None) -> None:
    """Serve the dashboard for the training logs under PATH (default: bundled sample runs).

    \b
    The browser shows every run with its diagnosis badges, a page per run with
    the evidence on its curves and advice, a compare page and a groups page.
    Served by waitress on 127.0.0.1 unless --host says otherwise; Ctrl+C stops it.
    The server answers only requests addressed to the host it listens on (or to
    localhost), so no other web page can read the logs through it.
    """
    cache = cache_value(cache_dir, no_cache)
    with contextlib.suppress(KeyboardInterrupt):  # also Ctrl+C while reading or starting
        _serve(path or default_root(), host, port, no_browser, poll_s, threads, cache, cluster)
    click.echo("Stopped.")


def _serve(root: str, host: str, port: int, no_browser: bool, poll_s: float,
           threads: int, cache: Any, cluster: str | None = None) -> None:
    """Read the runs, listen, print where to open the dashboard, serve until Ctrl+C."""
    from curvedoc.dashboard.app import create_app, no_runs_message

    if not is_loopback(host):
        shown = f"[{bare_host(host)}]" if ":" in host else host
        on_port = f" on port {port}" if port else ""
        click.secho(f"Warning: listening on {shown}: anyone who can reach this machine{on_port} "
                    f"can read the logs under {root}.", fg="yellow", err=True)
    click.echo(f"Reading the runs under {root} …", err=True)
    try:
        if cluster:
            from curvedoc.dashboard.lazy_catalog import open_on_cluster
            from curvedoc.dashboard.state import DashboardState

            app = create_app(DashboardState(open_on_cluster(root, cluster)), poll_s=0)
        else:
            app = create_app(open_catalog(root, cache), poll_s=poll_s, background=True)
    except Exception as exc:  # unreadable root or config: say what and where
        raise click.ClickException(f"cannot open {root}: {exc}") from exc
    try:
        server = make_server(app, host, port, threads)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "try another --port") from exc
    try:
        url = browse_url(host, getattr(server, "effective_port", port))
        state = app.server.config["CURVEDOC_STATE"]
        if state.runs:
            from curvedoc.dashboard.names import plural

            click.echo(f"curvedoc: {plural(len(state.runs), 'run')} under {root}")
        else:
            click.secho(no_runs_message(state.root), fg="yellow", bold=True, err=True)
        click.secho(f"Open {url} in your browser", bold=True, nl=False)
        click.echo(" (Ctrl+C stops the server).")
        if not no_browser:
            threading.Timer(0.5, webbrowser.open, args=(url,)).start()
        server.run()  # returns on Ctrl+C (waitress catches KeyboardInterrupt itself)
    finally:
        server.close()
