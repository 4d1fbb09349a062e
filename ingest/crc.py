"""CRC32C (Castagnoli, unmasked), as TFRecord and curvedoc's cache files use it.

The compiled pass's (``_tfscan.crc32c``, SSE4.2 where the CPU has it) when it is built,
else the ``crc32c`` package's, imported on first use: importing that package costs ~35 ms
a process (it pulls in ``importlib.metadata`` and ``argparse``). Both give the same values
(``tests/ingest/test_tfscan.py``); short buffers keep the GIL either way.
"""

from __future__ import annotations

try:
    from curvedoc.ingest._tfscan import crc32c as _compiled
except ImportError:  # not built
    _compiled = None


def _package(data, value: int = 0) -> int:
    import crc32c as package

    return package.crc32c(data, value=value)


def crc32c(data, value: int = 0) -> int:
    """The CRC32C of ``data`` (bytes-like), continued from ``value`` (the CRC of the bytes
    before; 0 to start)."""
    if _compiled is not None:
        return _compiled(data, value)
    return _package(data, value)
