"""Find runs under a root and read every common training-log format into one frame.

    >>> from curvedoc.ingest import read_scalars
    >>> frame = read_scalars("runs/")          # run, tag, step, value, wall_time

``open_root`` gives a :class:`Catalog` of :class:`Run` objects that can refresh while
training writes; ``discover`` and ``read_run`` are the two steps it is made of.
``register_format`` adds a reader of your own format (``known_formats`` lists them).
"""

from curvedoc.ingest.catalog import Catalog, open_root, read_scalars
from curvedoc.ingest.config import load_config
from curvedoc.ingest.discover import discover
from curvedoc.ingest.formats.base import known_formats, register_format, unregister_format
from curvedoc.ingest.model import Run, RunSource
from curvedoc.ingest.reading import read_run
from curvedoc.ingest.roles import infer_roles

__all__ = [
    "Catalog",
    "Run",
    "RunSource",
    "discover",
    "infer_roles",
    "known_formats",
    "load_config",
    "open_root",
    "read_run",
    "read_scalars",
    "register_format",
    "unregister_format",
]
