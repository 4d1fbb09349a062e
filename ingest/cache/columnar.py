"""One cache file per source file: a checksummed header and raw little-endian columns.

Layout (all integers little-endian)::

    0   8 bytes   magic b"CDCOLS\\r\\n"
    8   u32       schema version (SCHEMA)
    12  u32       byte width of a tag code (1, 2 or 4)
    16  u64       rows n
    24  u64       length of the JSON metadata m (at most MAX_META)
    32  u64       narrow columns (below)
    40  m bytes   JSON metadata, padded with spaces to a multiple of 8
        steps     int64 each; or int32 each when every step fits (bit 0); or the first step
                  as int64 and then n-1 differences (wrapping int64) as int8, when every
                  difference fits (bit 2: steps a few apart, as loggers write them)
        values    float64 each; float32 each when every value is a float32 (bit 1)
                  (zeros up to a multiple of 8)
        walls     float64 each; or the first wall time's bits as int64 and then n-1
                  differences of each time's bits from the time before (wrapping int64) as
                  int32, when every one fits (bit 3: times from one clock, within ~8 minutes
                  of the time before: 2**31 units in the last place of today's Unix time)
        codes     w*n tag codes (int8/16/32), zeros up to a multiple of 8 (with the walls)
        u32       CRC32C of every byte before it

The narrow columns keep every value exactly (TensorBoard's simple values are float32, and
steps and wall times change little from one event to the next) and make a TensorBoard
file's cache 10 bytes a scalar instead of 25: writing a cold open's cache is mostly the
kernel taking in new pages, so fewer bytes is less time. Both encoders (:func:`layout`
here and ``_tfscan.write_columns``) write the same bytes.

The metadata holds the entry's key, the source file's ident, the tag names and every other
field of the FileRead (hparams, warnings, errors, the reader's state), with at most
MAX_DEPTH levels of nesting. No pickle: reading a cache file never runs code.

:func:`decode` checks the length first, then the checksum, then the metadata, then the tag
codes; anything unexpected raises :class:`Corrupt`, which the caller treats as a miss.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import struct
import sys
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.crc import crc32c as _crc32c
from curvedoc.ingest.frames import categorical, column, file_frame
from curvedoc.ingest.model import FileRead

try:
    from curvedoc.ingest import _tfscan
except ImportError:  # not built: the Python encoder writes
    _tfscan = None

MAGIC = b"CDCOLS\r\n"
#: Bump when the layout or the meaning of a field changes; older files are then misses.
SCHEMA = 3
MAX_META = 64 << 20
MAX_DEPTH = 48
_FIXED = struct.Struct("<8sIIQQQ")
_CRC = struct.Struct("<I")
_CODE_DTYPES = {1: np.dtype("<i1"), 2: np.dtype("<i2"), 4: np.dtype("<i4")}
_FIELDS = tuple(f.name for f in dataclasses.fields(FileRead) if f.name != "scalars")


class Corrupt(ValueError):
    """A cache file that is not exactly what :func:`encode` wrote."""


class Unstorable(TypeError):
    """A read whose metadata JSON cannot hold exactly (it is then not cached)."""


def _pad(n: int) -> int:
    return -n % 8


@dataclasses.dataclass
class Columns:
    """What a cache file holds before its layout: the metadata JSON (unpadded) and the
    full-width columns (int64 steps, float64 values and wall times, codes of ``width``)."""

    meta: bytes
    width: int
    step: np.ndarray
    value: np.ndarray
    wall: np.ndarray
    codes: np.ndarray


def columns(read: FileRead, key: str, ident: dict[str, Any]) -> Columns:
    """The metadata and columns of the cache file of one read (raises Unstorable)."""
    frame = read.scalars
    tags = column(frame, "tag")  # the writer's GIL time is a cold open's reading time
    cat = tags if isinstance(tags.dtype, pd.CategoricalDtype) else pd.Categorical(tags)
    names = cat.categories.tolist()
    if not all(type(c) is str for c in names):
        names = [str(c) for c in names]
    codes = np.asarray(cat.codes)
    width = codes.dtype.itemsize
    if width not in _CODE_DTYPES:
        codes = codes.astype(np.int32)
        width = 4
    fields = {}
    for name in _FIELDS:
        fields[name] = jsonable(getattr(read, name), exact=name != "hparams", depth=0)
    meta = {"key": key, "ident": ident, "tags": names, "fields": fields}
    try:
        raw = json.dumps(meta, separators=(",", ":"), allow_nan=True).encode()
    except (ValueError, RecursionError) as exc:
        raise Unstorable(str(exc)) from exc
    if len(raw) > MAX_META:
        raise Unstorable("metadata too large to cache")
    return Columns(raw, width, _le(_numbers(frame, "step"), "<i8"),
                   _le(_numbers(frame, "value"), "<f8"), _le(_numbers(frame, "wall_time"), "<f8"),
                   _le(codes, _CODE_DTYPES[width].str))


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    values = column(frame, name)
    return values if isinstance(values, np.ndarray) else np.asarray(values)


def encode(read: FileRead, key: str, ident: dict[str, Any]) -> list[bytes | memoryview]:
    """The parts of the cache file of one read (raw column buffers, not copies)."""
    return layout(columns(read, key, ident))


def layout(cols: Columns) -> list[bytes | memoryview]:
    """The parts of a cache file (see the module docstring), its checksum last."""
    steps, narrow = _narrow_steps(cols.step)
    value, narrow_values = _narrow_values(cols.value)
    walls, narrow_walls = _narrow_walls(cols.wall)
    narrow |= narrow_values | narrow_walls
    raw, width, n = cols.meta, cols.width, len(cols.step)
    head = sum(a.nbytes for a in steps) + value.nbytes
    tail = sum(a.nbytes for a in walls) + n * width
    parts: list[bytes | memoryview] = [
        _FIXED.pack(MAGIC, SCHEMA, width, n, len(raw), narrow),
        raw + b" " * _pad(len(raw)),
        *(memoryview(a).cast("B") for a in steps),
        memoryview(value).cast("B"),
        b"\0" * _pad(head),  # the wall times start 8-aligned
        *(memoryview(a).cast("B") for a in walls),
        memoryview(cols.codes).cast("B"),
        b"\0" * _pad(tail),
    ]
    crc = 0
    for part in parts:
        crc = _crc32c(part, crc)
    parts.append(_CRC.pack(crc))
    return parts


#: The compiled cache writer (None: not built, or a big-endian machine it does not serve).
_WRITER = getattr(_tfscan, "write_columns", None) if sys.byteorder == "little" else None


def compiled_writer_for(folder: Folder) -> bool:
    """Whether :func:`write_compiled` writes in ``folder`` (rather than returning None)."""
    return _WRITER is not None and folder.has_descriptor


def write_compiled(folder: Folder, name: str, cols: Columns) -> bool | None:
    """Write the cache file ``name`` in ``folder`` with the compiled writer (the same bytes
    as :func:`layout`; narrowing, checksum and the write without the GIL); None when it is
    not there (no compiled extension, no folder descriptor, a big-endian machine)."""
    if not compiled_writer_for(folder):
        return None

    def write(dir_fd: int, tmp: str, final: str) -> bool:
        return _WRITER(dir_fd, tmp, final, MAGIC, SCHEMA, cols.meta, cols.step,
                       cols.value, cols.wall, cols.codes, cols.width)

    try:
        return folder.write_via(name, write)
    except NotImplementedError:
        return None


def _le(arr: np.ndarray, dtype: str) -> np.ndarray:
    return np.ascontiguousarray(arr, dtype=np.dtype(dtype))


_NARROW_STEPS, _NARROW_VALUES, _DELTA_STEPS, _DELTA_WALLS = 1, 2, 4, 8
_FLAGS = _NARROW_STEPS | _NARROW_VALUES | _DELTA_STEPS | _DELTA_WALLS
_I32 = np.iinfo(np.int32)


def _narrow_steps(steps: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The step column as stored: int8 differences after the first step when they all
    fit, else int32 when every step fits, else int64."""
    if len(steps):
        diffs = np.diff(steps)  # wrapping, as the cumulative sum that undoes it
        if not len(diffs) or (int(diffs.min()) >= -128 and int(diffs.max()) <= 127):
            return [_le(steps[:1], "<i8"), _le(diffs, "<i1")], _DELTA_STEPS
        if _I32.min <= int(steps.min()) and int(steps.max()) <= _I32.max:
            return [_le(steps, "<i4")], _NARROW_STEPS
    return [_le(steps, "<i8")], 0


def _narrow_walls(walls: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The wall-time column as stored: the first time's bits, then the differences of each
    time's bits from the time before as int32 when they all fit, else float64."""
    if len(walls):
        bits = walls.view(np.int64)
        diffs = np.diff(bits)  # wrapping, as the cumulative sum that undoes it
        if not len(diffs) or (_I32.min <= int(diffs.min()) and int(diffs.max()) <= _I32.max):
            return [_le(bits[:1], "<i8"), _le(diffs, "<i4")], _DELTA_WALLS
    return [_le(walls, "<f8")], 0


def _narrow_values(values: np.ndarray) -> tuple[np.ndarray, int]:
    """The value column as stored: float32 when widening it back gives every value's bits
    (NaN payloads and -0.0 included), else float64."""
    if len(values):
        with np.errstate(over="ignore", invalid="ignore"):
            narrow = values.astype("<f4")
        if np.array_equal(narrow.astype(np.float64).view(np.uint64), values.view(np.uint64)):
            return narrow, _NARROW_VALUES
    return _le(values, "<f8"), 0


def decode(buf: bytearray, key: str) -> tuple[dict[str, Any], FileRead]:
    """(the stored ident, the FileRead) of a cache file written for ``key``.

    The columns are views of ``buf`` (no copy); raises :class:`Corrupt` for anything
    but a file :func:`encode` wrote for this key.
    """
    if len(buf) < _FIXED.size + _CRC.size:
        raise Corrupt("short file")
    magic, schema, width, n, mlen, narrow = _FIXED.unpack_from(buf, 0)
    if (magic != MAGIC or schema != SCHEMA or width not in _CODE_DTYPES or narrow & ~_FLAGS
            or (narrow & _NARROW_STEPS and narrow & _DELTA_STEPS)
            or (not n and narrow & (_DELTA_STEPS | _DELTA_WALLS))):
        raise Corrupt("not a cache file of this version")
    if mlen > MAX_META or n > len(buf):
        raise Corrupt("absurd lengths")
    step_bytes = (7 + n if narrow & _DELTA_STEPS else 4 * n if narrow & _NARROW_STEPS
                  else 8 * n)
    value_bytes = 4 * n if narrow & _NARROW_VALUES else 8 * n
    wall_bytes = 4 + 4 * n if narrow & _DELTA_WALLS else 8 * n
    meta_end = _FIXED.size + mlen + _pad(mlen)
    head = step_bytes + value_bytes
    tail = wall_bytes + n * width
    cols_end = meta_end + head + _pad(head) + tail + _pad(tail)
    if cols_end + _CRC.size != len(buf):
        raise Corrupt("wrong length")
    view = memoryview(buf)
    (crc,) = _CRC.unpack_from(buf, cols_end)
    if _crc32c(view[:cols_end]) != crc:
        raise Corrupt("checksum mismatch")
    meta = _load_meta(bytes(view[_FIXED.size:_FIXED.size + mlen]))
    if meta.get("key") != key:
        raise Corrupt("written for another file")
    names = meta.get("tags")
    fields = meta.get("fields")
    if (not isinstance(names, list) or not all(isinstance(t, str) for t in names)
            or len(set(names)) != len(names) or not isinstance(fields, dict)
            or not set(fields) <= set(_FIELDS)):
        raise Corrupt("bad metadata")
    at = meta_end
    steps = _steps_back(buf, at, n, narrow)
    at += step_bytes
    values = np.frombuffer(buf, "<f4" if narrow & _NARROW_VALUES else "<f8", n, at)
    values = values.astype(np.float64, copy=False)
    at += value_bytes + _pad(head)
    walls = _walls_back(buf, at, n, narrow)
    codes = _native(np.frombuffer(buf, _CODE_DTYPES[width], n, at + wall_bytes))
    if n and (int(codes.min()) < -1 or int(codes.max()) >= len(names)):
        raise Corrupt("tag code out of range")
    frame = file_frame(categorical(codes, names), steps, values, walls)
    restored = {k: _restore(v) for k, v in fields.items()}
    try:
        read = FileRead(scalars=frame, **restored)
    except TypeError as exc:
        raise Corrupt("bad fields") from exc
    if not _well_typed(read):
        raise Corrupt("bad field types")
    return meta.get("ident"), read


def _undelta(buf: bytearray, at: int, n: int, diffs: str) -> np.ndarray:
    """A first int64 at ``at``, then n-1 differences of dtype ``diffs``, summed back."""
    out = np.empty(n, dtype=np.int64)
    out[0] = np.frombuffer(buf, "<i8", 1, at)[0]
    out[1:] = np.frombuffer(buf, diffs, n - 1, at + 8)
    return np.cumsum(out, out=out)  # wraps as the differences did


def _steps_back(buf: bytearray, at: int, n: int, narrow: int) -> np.ndarray:
    if narrow & _DELTA_STEPS:
        return _undelta(buf, at, n, "<i1")
    wide = np.frombuffer(buf, "<i4" if narrow & _NARROW_STEPS else "<i8", n, at)
    return wide.astype(np.int64, copy=False)


def _walls_back(buf: bytearray, at: int, n: int, narrow: int) -> np.ndarray:
    if narrow & _DELTA_WALLS:
        return _undelta(buf, at, n, "<i4").view(np.float64)
    return _native(np.frombuffer(buf, "<f8", n, at))


def _load_meta(raw: bytes) -> dict[str, Any]:
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Corrupt("bad metadata") from exc
    if not isinstance(meta, dict) or _depth(meta) > MAX_DEPTH + 4:
        raise Corrupt("bad metadata")
    return meta


def _depth(obj: Any) -> int:
    """Nesting depth, without recursion."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        item, d = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, d)
            todo.extend((v, d + 1) for v in item)
    return deepest


def _well_typed(read: FileRead) -> bool:
    return (isinstance(read.hparams, dict) and isinstance(read.state, dict)
            and isinstance(read.warnings, list) and isinstance(read.errors, list)
            and all(isinstance(w, str) for w in read.warnings)
            and all(isinstance(e, str) for e in read.errors))


def _native(arr: np.ndarray) -> np.ndarray:
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


def jsonable(obj: Any, *, exact: bool, depth: int) -> Any:
    """A JSON-safe copy; bytes are tagged. ``exact`` refuses anything it cannot restore."""
    if depth > MAX_DEPTH:
        raise Unstorable("nested too deeply to cache")
    if obj is None or isinstance(obj, (bool, str, int, float)):
        if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) >= 1 << 4000:
            raise Unstorable("integer too large to cache")
        return obj
    if isinstance(obj, np.generic):
        return jsonable(obj.item(), exact=exact, depth=depth)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(obj)).decode()}
    if isinstance(obj, dict):
        if exact and not all(isinstance(k, str) for k in obj):
            raise Unstorable("keys must be strings to be cached")
        if set(obj) == {"__bytes__"}:
            raise Unstorable("a dict that looks like stored bytes")
        return {str(k): jsonable(v, exact=exact, depth=depth + 1) for k, v in obj.items()}
    if isinstance(obj, list) or (not exact and isinstance(obj, (tuple, set, frozenset))):
        return [jsonable(v, exact=exact, depth=depth + 1) for v in obj]
    if exact:
        raise Unstorable(f"cannot cache a value of type {type(obj).__name__}")
    return str(obj)


def _restore(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__bytes__"} and isinstance(obj["__bytes__"], str):
            try:
                return base64.b64decode(obj["__bytes__"], validate=True)
            except ValueError as exc:
                raise Corrupt("bad bytes") from exc
        return {k: _restore(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_restore(v) for v in obj]
    return obj

