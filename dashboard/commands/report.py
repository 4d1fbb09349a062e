"""``curvedoc report``: write a self-contained HTML report to share without a server."""

from __future__ import annotations

from pathlib import Path

import click

from curvedoc.dashboard.commands._cache import cache_options, cache_value


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=True))
@click.option("-o", "--output", default="report.html", show_default=True,
              type=click.Path(dir_okay=False, writable=True),
              help="Where to write the HTML file.")
@click.option("--no-charts", is_flag=True, help="Only the diagnoses, no charts (a small file).")
@click.option("--max-points", default=500, show_default=True, type=click.IntRange(50, 100000),
              help="Points per curve drawn in the charts (min/max and NaN/inf kept).")
@cache_options
def report(path: str, output: str, no_charts: bool, max_points: int, cache_dir: str | None,
           no_cache: bool) -> None:
    """Write an HTML report of the diagnoses and charts of the runs under PATH.

    \b
    The file is self-contained (plotly.js inlined): open it in any browser,
    attach it to an issue or a mail; no server and no network are needed.
    """
    from curvedoc.dashboard.app import make_state
    from curvedoc.dashboard.export import report_html
    from curvedoc.ingest import open_root

    cache = cache_value(cache_dir, no_cache)
    try:
        state = make_state(open_root(path, cache=cache))
    except Exception as exc:
        raise click.ClickException(f"cannot open {path}: {exc}") from exc
    text = report_html(state, max_points=max_points, charts=not no_charts)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    size = len(text.encode("utf-8")) / 1e6
    n = len(state.runs)
    click.echo(f"Wrote {output} ({n} run{'' if n == 1 else 's'}, {size:.1f} MB)")
