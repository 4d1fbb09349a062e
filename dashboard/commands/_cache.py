"""The cache options every command that reads logs shares: ``--cache-dir`` and ``--no-cache``."""

from __future__ import annotations

import click


def cache_options(command):
    """Add ``--cache-dir DIR`` and ``--no-cache``; the command gets ``cache`` (see
    :func:`cache_value`)."""
    command = click.option(
        "--no-cache", is_flag=True,
        help="Read every file again and keep nothing (no cache read or written).")(command)
    return click.option(
        "--cache-dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
        help="Keep curvedoc's cache in DIR (default: $CURVEDOC_CACHE_DIR, else the user "
             "cache folder; never inside the log folder).")(command)


def cache_value(cache_dir: str | None, no_cache: bool) -> bool | str:
    """The ``cache=`` argument of ``open_root`` for the two options."""
    if no_cache and cache_dir:
        raise click.UsageError("--no-cache and --cache-dir exclude each other; give one")
    if no_cache:
        return False
    return cache_dir or True
