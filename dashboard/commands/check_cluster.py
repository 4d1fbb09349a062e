"""``curvedoc check PATH --cluster ADDRESS``: the check run on a Dask cluster.

Discovery, reading and diagnosis happen on the workers
(:mod:`curvedoc.diagnostics.distributed`); this module loads the root's config on the
client, starts or reaches the cluster, and prints what came back exactly as ``check``
prints a local run (the same JSON rows, text and markdown).
"""

from __future__ import annotations

import json
import sys

import click


def check_on_cluster(
    path: str,
    address: str,
    *,
    fmt: str,
    select: list[str],
    ignore: list[str],
    fail_on: list[str],
    idle_timeout: float,
    show: bool,
    compare_with: tuple[str | None, str, str] = (None, "folder", "best"),
) -> int:
    """Run the check on the cluster at ``address`` (or ``local[:N]``); the exit status.
    ``compare_with``: ``--compare``'s baseline (None: no comparison), grouping and score,
    computed from the summaries that came back."""
    from curvedoc.dashboard.commands.check import _bar, _color, _group_lines, emit
    from curvedoc.dashboard.messages import no_runs_message
    from curvedoc.diagnostics import RULES, RuleConfigError
    from curvedoc.diagnostics.distributed import ClusterError, check_root, connect
    from curvedoc.diagnostics.thresholds import check_tables
    from curvedoc.ingest import fs
    from curvedoc.ingest.config import ConfigError, load_config
    from curvedoc.ingest.discover import normalize_root

    root = normalize_root(path)
    try:
        config = load_config(root) if fs.is_local(root) else {}
    except ConfigError as exc:
        config = {}
        click.echo(f"warning: {exc}", err=True)
    try:
        check_tables(config, RULES)
    except RuleConfigError as exc:
        raise click.UsageError(f"{root}: {exc}") from exc
    try:
        with connect(address) as client:
            bar = _bar(1_000_000, show)  # the total is known only once the walk is done
            result = check_root(root, client, config, select=select, ignore=ignore,
                                idle_timeout=idle_timeout,
                                on_done=bar.update if bar else None)
            if bar:
                bar.close()
    except ClusterError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    summaries = result.summaries
    if not summaries:
        if fmt == "json":
            click.echo(json.dumps({"runs": []}))
        click.secho(no_runs_message(root), err=True, fg="red" if _color(sys.stderr) else None)
        return 2
    rows = [s.to_row() for s in summaries.values()]
    baseline, group_by, statistic = compare_with
    report = None
    if baseline is not None:
        from curvedoc.dashboard.commands import compare

        report = compare.from_summaries(summaries, baseline, group_by, statistic)
    return emit(rows, root, _group_lines(list(summaries.values()), summaries), fmt, report,
                group_by, fail_on)


def root_argument(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """PATH: a local file or folder that exists, or a URL (``s3://bucket/runs``) that does."""
    if value is None:
        return None
    if "://" not in value or value.startswith("file://"):
        return click.Path(exists=True).convert(value, param, ctx)
    from curvedoc.ingest import fs

    try:
        filesystem, inner = fs.filesystem(value)
        found = filesystem.exists(inner)
    except (ImportError, ValueError) as exc:  # no fsspec package for this protocol
        raise click.BadParameter(f"{value}: {exc}", ctx=ctx, param=param) from exc
    except OSError as exc:
        raise click.BadParameter(f"{value}: cannot reach it ({exc})", ctx=ctx,
                                 param=param) from exc
    if not found:
        raise click.BadParameter(f"{value} does not exist", ctx=ctx, param=param)
    return value
