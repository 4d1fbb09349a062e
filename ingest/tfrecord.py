"""TFRecord framing, checksums and the vectorised decoder for the common scalar event.

A TFRecord file is a sequence of records::

    uint64 length | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)

Everything here works on a whole buffer at once (a ``numpy.uint8`` array) and is pure:
bytes in, arrays out. Nothing parses protobuf; the caller hands the records that
:func:`decode_scalars` could not decode to the protobuf parser.

Speed comes from three tricks:

- **Framing** (:func:`frame`) walks record headers in Python only until the record
  lengths repeat with a short period (one event per scalar, a few tags in turn, as
  ``SummaryWriter.add_scalar`` writes them); then it predicts thousands of offsets
  with ``cumsum`` and verifies all their headers (length and its checksum) in one
  numpy comparison. When a prediction fails (an irregular layout: per-step loss
  between per-epoch validation, lr, gradient norm), every byte offset of the rest is
  checked for a header at once and the chain of records that end where the next one
  starts is taken (:func:`_chain`); the Python walk resumes where the chain breaks.
- **Checksums** (:func:`crc32c_rows`, :func:`crc_ok`): CRC32C is affine, so a record's
  checksum is the XOR of one table entry per byte (position from the end), plus a
  constant per length; one table lookup per column (or per pair of columns) checks
  every record at once. It agrees bit for bit with the hardware ``crc32c`` package
  that computes the templates and tables.
- **Decoding** (:func:`decode_scalars`): records with the layout ``wall_time (double,
  field 1), step (varint, field 2), summary (field 5) with one value {tag (field 1),
  simple_value (float, field 2)}`` are decoded field by field for all records at
  once (offsets per record, from its step width and length); so are TF2/Keras scalar
  tensors (float, double, int32, int64; see :data:`VALUE_TAILS`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from curvedoc.ingest.crc import crc32c

HEADER = 12  #: bytes before a record's data (length + its checksum)
FOOTER = 4  #: bytes after a record's data (data checksum)
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
#: Lengths above this are treated as corruption (TensorBoard's loader has no limit,
#: but no scalar log holds a 1 GiB record, and a wild length must not allocate).
MAX_RECORD = 1 << 30
#: Buffers with fewer candidate records leave them to the protobuf parser.
MIN_GROUP = 16
#: Longer records cannot have a vectorised layout (its summary length fits one byte);
#: they go to the protobuf parser, and their checksums to ``crc32c`` one by one.
MAX_VECTOR_LENGTH = 160
#: How often one framing may scan the rest of the buffer for headers (see :func:`_chain`)
#: when the periodic prediction fails: once is the usual case (an irregular layout).
MAX_SCANS = 4
#: The scan starts at the second prediction that breaks within this many records (the
#: first may be a step growing a byte wider in a regular layout: predicting goes on).
SCAN_AFTER = 4096
#: Bytes scanned for headers at a time.
SCAN_WINDOW = 1 << 20
#: Above this many bytes per record, walking headers costs less than scanning bytes.
WALK_BYTES = 1024

_HDR = struct.Struct("<QI")


def masked_crc32c(data: bytes) -> int:
    """The masked CRC32C that TFRecord stores."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & _U32


@lru_cache(maxsize=4096)
def _length_crc(length: int) -> int:
    return masked_crc32c(struct.pack("<Q", length))


# --------------------------------------------------------------------------- framing


@dataclass
class Framing:
    """Where the complete records of a buffer are.

    ``starts``/``lengths``: byte offset of each record's data and its length (int64).
    ``end``: offset just past the last complete record, or where a truncated record
    begins: reading again from here picks up what was still being written.
    ``corrupt``: (offset, skipped bytes) of each stretch skipped because a header's
    checksum failed; ``truncated_at``: offset of a half-written last record, or None.
    ``resync_pending``: the buffer ended inside a corrupt stretch (the next read
    should scan for a header rather than report the same corruption again).
    """

    starts: np.ndarray
    lengths: np.ndarray
    end: int
    corrupt: list[tuple[int, int]] = field(default_factory=list)
    truncated_at: int | None = None
    resync_pending: bool = False


def _walk(buf: bytes, off: int, n: int, limit: int, offs: list[int], lens: list[int]) -> tuple:
    """Walk up to ``limit`` headers in Python; returns (offset, why it stopped)."""
    unpack = _HDR.unpack_from
    crcs = _length_crc
    for _ in range(limit):
        if off + HEADER > n:
            return off, ("end" if off == n else "truncated")
        length, crc = unpack(buf, off)
        if length > MAX_RECORD or crc != crcs(length):
            return off, "corrupt"
        if off + HEADER + length + FOOTER > n:
            return off, "truncated"
        offs.append(off)
        lens.append(length)
        off += HEADER + length + FOOTER
    return off, "more"


def _period(lens: list[int], max_period: int = 32) -> list[int] | None:
    """The pattern that repeats at the end of ``lens`` (e.g. 5 tags in turn), or None.

    Prefers the smallest period that explains the whole window (train loss every step
    and validation every 10 steps is one pattern of 22 records, not 2); else the
    smallest whose last max(3P, 12) lengths repeat, so that an odd record a little
    earlier (the file version, a step that grew a byte wider) does not hide it.
    """
    for p in range(1, min(max_period, len(lens) // 2) + 1):
        if lens[p:] == lens[:-p]:
            return lens[-p:]
    for p in range(1, max_period + 1):
        w = min(len(lens), max(3 * p, 12))
        if w < 2 * p:
            break
        tail = lens[-w:]
        if tail[p:] == tail[:-p]:
            return tail[-p:]
    return None


def _predict(views: tuple, off: int, pattern: list[int], count: int) -> tuple[list, int]:
    """Verify ``count`` predicted records from ``off``; returns (offsets, next offset)."""
    u8, u4, n = views
    pat = np.asarray(pattern, dtype=np.int64)
    reps = -(-count // len(pat))
    lens = np.tile(pat, reps)[:count]
    steps = lens + (HEADER + FOOTER)
    ends = off + np.cumsum(steps)
    offs = ends - steps
    fit = int(np.searchsorted(ends, n, side="right"))
    if fit == 0:
        return [], off
    offs, lens = offs[:fit], lens[:fit]
    got_len = u8[offs]
    got_crc = u4[offs + 8]
    want_crc = np.tile(np.asarray([_length_crc(x) for x in pattern], dtype=np.uint32), reps)
    ok = (got_len == lens.astype(np.uint64)) & (got_crc == want_crc[:fit])
    good = fit if ok.all() else int(np.argmin(ok))
    if good == 0:
        return [], off
    return [offs[:good], lens[:good]], int(offs[good - 1] + lens[good - 1] + HEADER + FOOTER)


def _resync(data: np.ndarray, buf: bytes, off: int) -> tuple[int, bool]:
    """The offset of the next valid header after ``off`` (scan, vectorised).

    Returns (offset, found). A header counts when its length checksum holds and its
    data checksum holds too (or its data is not complete yet: a record being written).
    Not found: the offset from which a header could still start once more bytes come.
    """
    n = len(data)
    pos = off + 1
    chunk = 1 << 20
    u8, u4 = unaligned(data, "<u8"), unaligned(data, "<u4")
    while pos + HEADER <= n:
        hi = min(n - HEADER + 1, pos + chunk)
        lens = u8[pos:hi]
        cand = np.flatnonzero(lens <= MAX_RECORD) + pos
        if len(cand):
            lens = u8[cand]
            uniq, inv = np.unique(lens, return_inverse=True)
            want = np.asarray([_length_crc(int(x)) for x in uniq], dtype=np.uint32)[inv]
            for c in cand[u4[cand + 8] == want].tolist():
                length = _HDR.unpack_from(buf, c)[0]
                end = c + HEADER + length
                if end + FOOTER > n:
                    return c, True  # a record still being written
                if masked_crc32c(buf[c + HEADER : end]) == struct.unpack_from("<I", buf, end)[0]:
                    return c, True
        pos = hi
    return max(off + 1, n - HEADER + 1), False


def _header_crcs(data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Masked CRC32C of the 8-byte length at each of ``pos`` (lengths < 2**32), vectorised."""
    acc = np.full(len(pos), crc32c(bytes(8)), dtype=np.uint32)
    for k in range(4):
        acc ^= _position_table(8, k)[data[pos + k]]
    return mask(acc)


def _chain(data: np.ndarray, u8: np.ndarray, u4: np.ndarray, off: int, n: int):
    """Records from ``off`` found by checking every byte offset for a valid header at once.

    A header counts when its length fits the buffer and its length checksum holds; the
    records are the run of such headers from ``off`` where each record ends exactly where
    the next header starts. Returns (offsets, lengths, next offset) or None. What follows
    (the end, a truncated record, a corrupt header, a header-like accident inside data)
    is left to the caller's walk from the next offset. Scans in windows of
    :data:`SCAN_WINDOW` bytes (bounded memory), and stops where records are so large
    that walking them is cheaper.
    """
    offs: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    last = n - HEADER + 1  # headers start before this
    bound = np.uint64(min(n - off, MAX_RECORD))
    while off < last:
        hi = min(last, off + SCAN_WINDOW)
        pos = np.flatnonzero(u8[off:hi] <= bound)
        if len(pos) == 0 or pos[0] != 0 or len(pos) > (hi - off) // 8:
            break  # not a header here, or zeros: header-like everywhere, walk them
        pos += off
        pos = pos[u4[pos + 8] == _header_crcs(data, pos)]
        if len(pos) == 0 or pos[0] != off:
            break
        size = u8[pos].astype(np.int64)
        nxt = pos + (size + (HEADER + FOOTER))
        breaks = np.flatnonzero(nxt[:-1] != pos[1:])
        k = int(breaks[0]) + 1 if len(breaks) else len(pos)  # records 0..k-1 chain up
        while k and int(nxt[k - 1]) > n:  # a truncated record: the walk reports it
            k -= 1
        if k == 0:
            break
        offs.append(pos[:k])
        lens.append(size[:k])
        end = int(nxt[k - 1])
        if len(breaks) or end < hi or end - off > k * WALK_BYTES:
            off = end  # the chain broke, or a long record: walking is cheaper
            break
        off = end
    if not offs:
        return None
    return np.concatenate(offs), np.concatenate(lens), off


def frame(buf: bytes, *, resync_first: bool = False, probe: int = 48) -> Framing:
    """Find every complete record in ``buf`` (a file, or the tail appended since).

    Never raises for bad bytes: corrupt headers are skipped (scanning for the next
    header whose checksums hold) and reported; a half-written last record ends the
    framing and is reported in ``truncated_at``.
    """
    data = np.frombuffer(buf, dtype=np.uint8)
    n = len(data)
    chunks: list[np.ndarray] = []
    lchunks: list[np.ndarray] = []
    corrupt: list[tuple[int, int]] = []
    off = 0
    truncated_at = None
    pending = False
    if resync_first and n:
        nxt, found = _resync(data, buf, -1)
        if not found:
            return Framing(_empty(), _empty(), nxt, [], None, True)
        off = nxt
    grow = 256
    views = (unaligned(data, "<u8"), unaligned(data, "<u4"), n)
    scans = short = 0
    while True:
        offs: list[int] = []
        lens: list[int] = []
        off, why = _walk(buf, off, n, probe, offs, lens)
        if offs:
            chunks.append(np.asarray(offs, dtype=np.int64))
            lchunks.append(np.asarray(lens, dtype=np.int64))
        if why == "more":
            pattern = _period(lens)
            broke = pattern is None
            predicted = 0
            while pattern is not None:
                got, nxt = _predict(views, off, pattern, grow)
                if not got:
                    broke = True
                    break
                chunks.append(got[0])
                lchunks.append(got[1])
                predicted += len(got[0])
                off = nxt
                shift = len(got[0]) % len(pattern)  # continue the pattern in phase
                pattern = pattern[shift:] + pattern[:shift]
                if len(got[0]) < grow:  # the pattern broke: expect a run of similar size
                    grow = max(256, 2 * len(got[0]))
                    broke = True
                    break
                grow = min(grow * 4, 1 << 20)
            short += broke and predicted < SCAN_AFTER
            if (broke and short >= 2 and scans < MAX_SCANS
                    and sum(lens) <= WALK_BYTES * len(lens)):
                scans += 1  # an irregular layout of small records: find all headers at once
                found = _chain(data, views[0], views[1], off, n)
                if found is None:
                    scans = MAX_SCANS
                else:
                    chunks.append(found[0])
                    lchunks.append(found[1])
                    off = found[2]
            continue
        if why == "end":
            break
        if why == "truncated":
            truncated_at = off
            break
        nxt, found = _resync(data, buf, off)
        corrupt.append((off, nxt - off))
        off = nxt
        if not found:
            pending = True
            break
    starts = np.concatenate(chunks) + HEADER if chunks else _empty()
    lengths = np.concatenate(lchunks) if lchunks else _empty()
    return Framing(starts, lengths, off, corrupt, truncated_at, pending)


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------- checksums


@lru_cache(maxsize=8192)
def _position_table(length: int, pos: int) -> np.ndarray:
    """D[v] = crc(message with byte v at ``pos``, zeros elsewhere) ^ crc(zeros)."""
    zero = crc32c(bytes(length))
    basis = []
    for bit in range(8):
        msg = bytearray(length)
        msg[pos] = 1 << bit
        basis.append(crc32c(bytes(msg)) ^ zero)
    v = np.arange(256)
    table = np.zeros(256, dtype=np.uint32)
    for bit, d in enumerate(basis):
        table ^= np.where((v >> bit) & 1, np.uint32(d), np.uint32(0)).astype(np.uint32)
    return table


def crc32c_rows(rows: np.ndarray, length: int | None = None) -> np.ndarray:
    """CRC32C of the first ``length`` bytes of every row of a uint8 matrix, vectorised.

    Rows may be wider than ``length`` (padded to a multiple of 8 bytes, which lets the
    search for varying columns work on 64-bit words).
    """
    n, width = rows.shape
    length = width if length is None else length
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    template = rows[0]
    acc = np.full(n, crc32c(template[:length].tobytes()), dtype=np.uint32)
    v = np.arange(256)
    for pos in _varying_columns(rows, length).tolist():
        table = _position_table(length, pos)[v ^ int(template[pos])]  # D[x ^ t] by x
        acc ^= table[rows[:, pos]]
    return acc


def _varying_columns(rows: np.ndarray, length: int) -> np.ndarray:
    """Columns (< length) where some row differs from the first row."""
    width = rows.shape[1]
    if width % 8 == 0 and rows.flags.c_contiguous:
        words = rows.view("<u8")
        diff = np.bitwise_or.reduce(words ^ words[0], axis=0)
        bytes_ = diff.view(np.uint8)  # little-endian: byte k of word j is column 8j + k
    else:
        bytes_ = np.bitwise_or.reduce(rows ^ rows[0], axis=0)
    return np.flatnonzero(bytes_[:length])


def unaligned(data: np.ndarray, dtype: str) -> np.ndarray:
    """A view of ``data`` with one ``dtype`` item starting at every byte offset."""
    size = np.dtype(dtype).itemsize
    count = max(len(data) - size + 1, 0)
    return np.ndarray((count,), dtype=dtype, buffer=data, strides=(1,))


def gather(data: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """A (len(starts), width) matrix of the bytes at each start (one memcpy per row)."""
    windows = np.lib.stride_tricks.as_strided(data, (max(len(data) - width + 1, 0), width), (1, 1))
    return windows[starts]


def stored_crcs(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The (masked) data checksums stored after each record."""
    return unaligned(data, "<u4")[starts + lengths]


def mask(crc: np.ndarray) -> np.ndarray:
    """The TFRecord mask of an array of CRC32C values (uint32 arithmetic wraps)."""
    crc = crc.astype(np.uint32, copy=False)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


# --------------------------------------------------------------------------- decoding


@dataclass
class ScalarBlock:
    """Scalars decoded by the vectorised path, one per record, in record order.

    ``record``: index of the record each row came from; ``codes`` index ``tags``
    (raw tag bytes; the caller decodes them, so odd bytes can be reported).
    ``bad_crc``: indices of records whose data checksum failed (only when verified).
    ``first_seen``: the codes number the tags in the order they first appear (the
    compiled pass numbers them so; the caller then need not renumber them).
    ``others``: the indices of the records neither decoded here nor failing their checksum
    (for the protobuf parser), in order; None when not listed (the caller finds them).
    """

    record: np.ndarray
    codes: np.ndarray
    tags: list[bytes]
    step: np.ndarray
    value: np.ndarray
    wall_time: np.ndarray
    bad_crc: np.ndarray
    first_seen: bool = False
    others: np.ndarray | None = None


#: What may follow the tag in a scalar Summary.Value: (fixed bytes, payload dtype).
#: ``simple_value`` (SummaryWriter.add_scalar), then TF2/Keras scalar tensors
#: (``tensor {dtype, tensor_shape {}, tensor_content | float_val | double_val}``).
_VALUE_HEADS = (
    (b"\x15", "<f4"),                                  # simple_value
    (b"\x42\x0a\x08\x01\x12\x00\x22\x04", "<f4"),  # DT_FLOAT, tensor_content
    (b"\x42\x0a\x08\x01\x12\x00\x2a\x04", "<f4"),  # DT_FLOAT, float_val
    (b"\x42\x0e\x08\x02\x12\x00\x22\x08", "<f8"),  # DT_DOUBLE, tensor_content
    (b"\x42\x0e\x08\x02\x12\x00\x32\x08", "<f8"),  # DT_DOUBLE, double_val
    (b"\x42\x0a\x08\x03\x12\x00\x22\x04", "<i4"),  # DT_INT32, tensor_content
    (b"\x42\x0e\x08\x09\x12\x00\x22\x08", "<i8"),  # DT_INT64, tensor_content
)
#: What may follow the payload: nothing, or the metadata TF2 writes with every value.
_VALUE_FEET = (b"", b"\x4a\x0b\x0a\x09\x0a\x07scalars")
#: Every (head, payload dtype, foot) the vectorised decoder knows.
VALUE_TAILS = tuple((h, d, f) for f in _VALUE_FEET for h, d in _VALUE_HEADS)


def decode_scalars(
    data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, *, verify: bool = True
) -> ScalarBlock:
    """Decode every record with a one-value scalar event layout at once.

    The layouts: ``wall_time, step, summary {value {tag, <tail>}}`` with a tail of
    :data:`VALUE_TAILS`. Records of another layout (or too long to vectorise) are left
    out: the caller parses the records in neither ``record`` nor ``bad_crc`` with
    protobuf. With ``verify``, each candidate record's data checksum is checked.

    All candidate records are checked field by field together, whatever their length
    (one gather per field, at offsets that depend on each record's step width and
    length), and their tags are factorized once.
    """
    cand = np.flatnonzero((lengths >= 21) & (lengths <= MAX_VECTOR_LENGTH))
    if len(cand) < MIN_GROUP:
        cand = cand[:0]
    s = starts[cand]
    length = lengths[cand]
    bad = _empty()
    ok = data[s] == 0x09
    if verify and len(cand):
        good_crc = crc_ok(data, s, length)
        bad = cand[~good_crc]
        ok &= good_crc
    # step: a varint after 0x10, absent for step 0
    has_step = data[s + 9] == 0x10
    step = np.zeros(len(cand), dtype=np.uint64)
    width = np.zeros(len(cand), dtype=np.int64)
    more = has_step.copy()
    for k in range(10):
        if not more.any():
            break
        byte = data[s + (10 + k)]
        step |= np.where(more, byte & 0x7F, 0).astype(np.uint64) << np.uint64(7 * k)
        width += more
        more &= byte >= 0x80
    ok &= ~more
    p = np.where(has_step, 10 + width, 9)  # the summary's key
    at = s + p
    rest = length - p
    ok &= (
        (rest - 2 < 0x80)
        & (data[at] == 0x2A)
        & (data[at + 1] == rest - 2)
        & (data[at + 2] == 0x0A)
        & (data[at + 3] == rest - 4)
        & (data[at + 4] == 0x0A)
    )
    tlen = data[at + 5].astype(np.int64)
    end = s + length
    value = np.empty(len(cand), dtype=np.float64)
    todo = ok.copy()
    ok[:] = False
    for head, dtype, foot in VALUE_TAILS:
        if not todo.any():
            break
        size = np.dtype(dtype).itemsize
        before = end - (len(foot) + size + 1)  # the last byte of the head
        good = todo & (data[before] == head[-1])
        if not good.any():
            continue
        good &= (tlen >= 1) & (tlen == rest - (6 + len(head) + size + len(foot)))
        sel = np.flatnonzero(good)  # the tag fits: the head and foot are inside the record
        if len(head) > 1 or foot:
            q = at[sel] + 6 + tlen[sel]
            keep = np.ones(len(sel), dtype=bool)
            for j, byte in enumerate(head[:-1]):
                keep &= data[q + j] == byte
            q = end[sel] - len(foot)
            for j, byte in enumerate(foot):
                keep &= data[q + j] == byte
            sel = sel[keep]
        if len(sel) == 0:
            continue
        value[sel] = unaligned(data, dtype)[before[sel] + 1]
        ok[sel] = True
        todo[sel] = False
    sel = np.flatnonzero(ok)
    codes, tags = _factorize_tags(data, at[sel] + 6, tlen[sel])
    return ScalarBlock(cand[sel], codes, tags, step[sel].view(np.int64), value[sel],
                       unaligned(data, "<f8")[s[sel] + 1], bad)


def crc_ok(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Whether each record's data checksum holds, for records of any lengths at once.

    Each record is right-aligned in a row of ``W`` bytes whose first ``W - L`` bytes are
    zeroed. Leading zeros leave the unseeded CRC register unchanged, so
    ``crc_L(x) = crc_L(0^L) ^ XOR_d E_d[x_d]`` where ``d`` is a byte's distance from the
    end of the record: one table per pair of distances (:func:`_pair_table`) serves
    every length.
    """
    out = np.zeros(len(starts), dtype=bool)
    if len(starts) == 0:
        return out
    stored = stored_crcs(data, starts, lengths)
    widths = (lengths + 7) & ~7
    wmax = int(widths.max())
    groups = [None] if wmax <= 64 else np.unique(widths).tolist()
    for w in groups:
        idx = slice(None) if w is None else np.flatnonzero(widths == w)
        w = wmax if w is None else w
        s, ln = starts[idx], lengths[idx]
        lo = s + ln - w  # each row ends where its record ends
        if int(lo.min()) < 0:
            rows = gather(np.concatenate([np.zeros(w, dtype=np.uint8), data]), lo + w, w)
        else:
            rows = gather(data, lo, w)
        rows &= _lead_masks(w)[w - ln]
        pairs = rows.view("<u2")
        half = w // 2
        acc = _zero_crcs(w)[ln]
        for j in range(half):
            acc ^= _pair_table(half - 1 - j)[pairs[:, j]]
        out[idx] = mask(acc) == stored[idx]
    return out


@lru_cache(maxsize=64)
def _lead_masks(w: int) -> np.ndarray:
    """Row ``k``: a byte mask of width ``w`` that zeroes the first ``k`` bytes."""
    return np.where(np.arange(w) >= np.arange(w + 1)[:, None], 0xFF, 0).astype(np.uint8)


@lru_cache(maxsize=64)
def _keep_masks(w: int) -> np.ndarray:
    """Row ``k``: a byte mask of width ``w`` that keeps the first ``k`` bytes."""
    return np.where(np.arange(w) < np.arange(w + 1)[:, None], 0xFF, 0).astype(np.uint8)


@lru_cache(maxsize=64)
def _zero_crcs(w: int) -> np.ndarray:
    """crc32c of ``L`` zero bytes for every L <= w."""
    return np.asarray([crc32c(bytes(n)) for n in range(w + 1)], dtype=np.uint32)


@lru_cache(maxsize=128)
def _pair_table(k: int) -> np.ndarray:
    """T[lo | hi << 8]: what bytes ``lo, hi`` at distances 2k+1, 2k from a message's
    end add to its CRC32C (distance 0: the last byte), for 16-bit little-endian pairs."""
    far = _position_table(2 * k + 2, 0)  # a byte 2k+1 before the end
    near = _position_table(2 * k + 1, 0)
    return (far[np.arange(65536) & 0xFF] ^ near[np.arange(65536) >> 8]).astype(np.uint32)


def _factorize_tags(data: np.ndarray, at: np.ndarray, tlen: np.ndarray):
    """Codes (first-seen order) and raw bytes of the tags at ``at`` of lengths ``tlen``."""
    if len(at) == 0:
        return np.zeros(0, dtype=np.int32), []
    w = (int(tlen.max()) + 7) & ~7
    if int(at.max()) + w > len(data):
        data = np.concatenate([data, np.zeros(w, dtype=np.uint8)])
    mat = gather(data, at, w)
    mat &= _keep_masks(w)[tlen]  # zero the bytes after each tag
    words = mat.view("<u8")
    h = tlen.astype(np.uint64)
    for k in range(words.shape[1]):
        h = (h * np.uint64(0x9E3779B97F4A7C15)) ^ words[:, k]
    codes, uniq = pd.factorize(h, sort=False)
    first = np.empty(len(uniq), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    same = (words == words[first][codes]).all() and (tlen == tlen[first][codes]).all()
    if not same:
        keys = [mat[i, : tlen[i]].tobytes() for i in range(len(at))]  # a hash collision
        codes, uniq = pd.factorize(np.asarray(keys, dtype=object), sort=False)
        return codes.astype(np.int32), list(uniq)
    return codes.astype(np.int32), [mat[i, : tlen[i]].tobytes() for i in first.tolist()]
