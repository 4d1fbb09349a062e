"""Framing, checksums and the one-scalar decoder in one compiled pass (``_tfscan.c``).

:func:`frame_and_decode` returns exactly what :func:`curvedoc.ingest.tfrecord.frame`
followed by :func:`curvedoc.ingest.tfrecord.decode_scalars` return for the same buffer
(the same records, the same corrupt stretches and truncation, the same values), except
that it decodes one-scalar records of any length and checks the checksum of every record
(``bad_crc`` then holds every record whose data checksum failed, not only the short
ones). It walks the records in C instead of predicting them with numpy: about 0.2 ms
instead of 5 ms for 10,000 records. Corrupt headers are skipped by the same numpy scan
(:func:`curvedoc.ingest.tfrecord._resync`).

The extension is optional (``pip install`` builds it when a C compiler is there);
:data:`AVAILABLE` says whether it is used. ``CURVEDOC_TB_KERNEL=numpy`` turns it off.
"""

from __future__ import annotations

import os

import numpy as np

from curvedoc.ingest import tfrecord
from curvedoc.ingest.tfrecord import Framing, ScalarBlock

try:
    from curvedoc.ingest import _tfscan
except ImportError:  # not built (no C compiler at install time): the numpy path reads
    _tfscan = None

#: Whether the compiled pass is used (see the module docstring).
AVAILABLE = _tfscan is not None and os.environ.get("CURVEDOC_TB_KERNEL", "c") != "numpy"
#: Distinct tags one buffer's compiled pass codes (``MAX_TAGS`` in ``_tfscan.c``); records
#: of further tags are left to protobuf.
MAX_TAGS = 4096
_END, _TRUNCATED = 0, 1


def frame_and_decode(buf: bytes, *, resync_first: bool = False,
                     verify: bool = True) -> tuple[Framing, ScalarBlock]:
    """The framing of ``buf`` and its one-scalar records decoded (see the module docstring)."""
    data = np.frombuffer(buf, dtype=np.uint8)
    n = len(buf)
    off = 0
    corrupt: list[tuple[int, int]] = []
    truncated_at = None
    pending = False
    segments: list[tuple[int, int]] = []
    if resync_first and n:
        off, found = tfrecord._resync(data, buf, -1)
        pending = not found
    while not pending:
        count, end, why = _tfscan.count(buf, off)
        if count:
            segments.append((off, count))
        off = end
        if why == _END:
            break
        if why == _TRUNCATED:
            truncated_at = off
            break
        nxt, found = tfrecord._resync(data, buf, off)
        corrupt.append((off, nxt - off))
        off = nxt
        pending = not found
    starts, lengths, block = _decoded(segments, buf, verify)
    return Framing(starts, lengths, off, corrupt, truncated_at, pending), block


def _decoded(segments: list[tuple[int, int]], buf: bytes,
             verify: bool) -> tuple[np.ndarray, np.ndarray, ScalarBlock]:
    """Starts, lengths and the decoded block of the records of ``segments`` ((offset,
    count) runs of complete records found by ``_tfscan.count``).

    The compiled decoder packs the scalars at the front of its buffers, so the block's
    columns are views of them; the few other records (the file version, a graph, a bad
    checksum) are listed from the back of ``index`` (see ``_tfscan.c``). Apart from
    ``_tfscan.decode`` nothing here loops over the records in numpy: each numpy loop over
    10k items releases the GIL and costs a hand-over when other threads read too.
    """
    total = sum(c for _, c in segments)
    starts, lengths, index = np.empty((3, total), dtype=np.int64)  # one allocation: ~4 us each
    steps = np.empty(total, dtype=np.int64)
    values, walls = np.empty((2, total), dtype=np.float64)
    codes = np.empty(total, dtype=np.int32)
    codes8 = np.empty(total, dtype=np.int8)
    tag_at, tag_len = np.empty((2, MAX_TAGS), dtype=np.int64)
    tags: dict[bytes, int] = {}
    records: list[np.ndarray] = []
    cols: list[tuple[np.ndarray, ...]] = []
    others: list[int] = []
    bad: list[int] = []
    at = 0
    for off, count in segments:
        part = slice(at, at + count)
        ntags, front, _ = _tfscan.decode(buf, off, count, starts[part], lengths[part],
                                         index[part], steps[part], values[part], walls[part],
                                         codes[part], codes8[part], tag_at, tag_len, verify)
        local = [bytes(buf[a : a + b]) for a, b in zip(tag_at[:ntags].tolist(),
                                                      tag_len[:ntags].tolist(), strict=True)]
        rows = slice(at, at + front)
        if len(segments) == 1:
            tags = {t: i for i, t in enumerate(local)}
            seg_codes = codes8[rows] if ntags <= 127 else codes[rows]
        else:  # codes of this segment into the buffer's codes (first seen stays first)
            remap = np.asarray([tags.setdefault(t, len(tags)) for t in local] or [0],
                               dtype=np.int32)
            seg_codes = remap[codes[rows]]
        records.append(index[rows] + at if at else index[rows])
        cols.append((seg_codes, steps[rows], values[rows], walls[rows]))
        for i in index[at + front : at + count][::-1].tolist():
            (others if i >= 0 else bad).append(at + (i if i >= 0 else ~i))
        at += count
    if len(cols) == 1:
        record = records[0]
        code_col, step_col, value_col, wall_col = cols[0]
    else:
        record = np.concatenate(records) if records else index[:0]
        code_col, step_col, value_col, wall_col = (
            np.concatenate([c[k] for c in cols]) if cols else arr[:0]
            for k, arr in enumerate((codes, steps, values, walls)))
    # codes are handed out as tags first appear, segment after segment: first-seen order
    block = ScalarBlock(record, code_col, list(tags), step_col, value_col, wall_col,
                        np.asarray(bad, dtype=np.int64), first_seen=True,
                        others=np.asarray(others, dtype=np.int64))
    return starts, lengths, block
