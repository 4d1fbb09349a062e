"""What every command that reads logs shares: ``--cache-dir``, ``--no-cache``, and opening
the root with its files read on every CPU."""

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


def open_catalog(path: str, cache: bool | str, show: bool = False, jobs: int | None = None,
                 known=None):
    """open_root, reading files on every CPU: on threads when the TensorBoard reader's
    compiled pass is built (it releases the GIL, and threads send no frame back), else on a
    process pool (the workers also write the cache). ``known(catalog)``: the
    ``Catalog.load(known=...)`` function of the catalog (runs not to read).

    The catalog's own warnings are printed by the caller, so Python's copy of the
    "unknown format" warning is not shown a second time.
    """
    import os
    import warnings
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    from curvedoc.ingest import Catalog, tfscan
    from curvedoc.ingest.discover import UnknownFormatWarning

    workers = jobs or os.cpu_count() or 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownFormatWarning)
        if workers <= 1:
            catalog = Catalog(path, cache=cache, progress=show)
            return catalog.load(known(catalog) if known else None)
        pool_class = ThreadPoolExecutor if tfscan.AVAILABLE else ProcessPoolExecutor
        with pool_class(max_workers=workers) as pool:
            catalog = Catalog(path, cache=cache, progress=show, executor=pool)
            catalog.load(known(catalog) if known else None)
        catalog.executor = None  # the pool is gone: a later refresh reads in this process
        return catalog
