"""TensorBoard event files (``*tfevents*``): find runs, read scalars and hparams fast.

The common scalar events (``SummaryWriter.add_scalar``'s one simple value per event, and
TF2/Keras float/double/int32/int64 scalar tensors) are decoded for all records at once
by :mod:`curvedoc.ingest.tfrecord`; every other record goes to TensorBoard's protobuf
parser: other tensor scalars (plugin ``scalars`` or a one-element numeric tensor, any
numeric dtype), several values per event, hparams (plugin ``hparams``,
``session_start_info``). Images, histograms, audio, graphs and run metadata are skipped.
An event protobuf rejects (odd bytes in a tag) is read by a lenient wire-level walk.

Checksums: by default every record's CRC32C is verified (vectorised, see
:func:`curvedoc.ingest.tfrecord.crc32c_rows`). Set ``VERIFY = "on_error"`` (or the
environment variable ``CURVEDOC_TB_VERIFY=on_error``) to verify only the records that
fail to parse, as TensorBoard's Rust loader does.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
import struct
from typing import Any

import numpy as np
import pandas as pd
from google.protobuf.message import DecodeError

from curvedoc.ingest import fs, paths, sniff, tfrecord, tfscan
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.frames import categorical, concat, file_frame
from curvedoc.ingest.model import FileRead, RunSource, empty_scalars
from curvedoc.ingest.paths import join as _join

#: "all": verify every record's checksum; "on_error": only records that fail to parse.
VERIFY = os.environ.get("CURVEDOC_TB_VERIFY", "all")
#: At most this many individual problem messages per file read (then a count).
MAX_MESSAGES = 5
#: Files are read in chunks of this many bytes (a record larger than that doubles it).
CHUNK_BYTES = 64 << 20
KERAS_DIRS = ("train", "validation")
_NAME_TIME = re.compile(r"tfevents\.(\d+)")


def is_event_file(name: str) -> bool:
    """An event file by name: contains "tfevents", and is not a profiler placeholder."""
    base = posixpath.basename(name.replace("\\", "/"))
    return "tfevents" in base and not base.endswith(".profile-empty")


def file_order(path: str) -> tuple[float, str]:
    """Sort key: the creation time writers put in the name, then the name."""
    base = posixpath.basename(path.replace("\\", "/"))
    m = _NAME_TIME.search(base)
    return (float(m.group(1)) if m else float("inf"), base)


# --------------------------------------------------------------------------- finding runs


def _list_files(folder: str) -> list[str]:
    """Names of the files directly in ``folder`` (empty if it cannot be listed)."""
    try:
        filesystem, inner = fs.filesystem(folder)
        entries = filesystem.ls(inner, detail=True)
    except (OSError, ValueError):
        return []
    return sorted(
        posixpath.basename(str(e["name"]).rstrip("/")) for e in entries if e.get("type") == "file"
    )


def run_id(folder: str, root: str) -> str:
    """Posix path of ``folder`` relative to ``root`` ("." for the root itself)."""
    return paths.rel_id(folder, root)


def run_name(folder: str) -> str:
    """Last path component of the run folder (the root's own name for ".")."""
    return paths.base_name(folder)


def find_runs(folder: str, files: list[str], subdirs: list[str], root: str) -> Found | None:
    """A folder with event files is one run; so is a Keras ``train/`` + ``validation/`` pair."""
    direct = [f for f in files if is_event_file(f)]
    nested: dict[str, list[str]] = {}
    if all(d in subdirs for d in KERAS_DIRS):
        nested = {d: [f for f in _list_files(_join(folder, d)) if is_event_file(f)]
                  for d in KERAS_DIRS}
        if not all(nested.values()):
            nested = {}
    if not direct and not nested:
        return None
    paths = [_join(folder, f) for f in direct]
    options = []
    for d, names in nested.items():
        for f in names:
            path = _join(_join(folder, d), f)
            paths.append(path)
            options.append((path, d + "/"))
    paths.sort(key=file_order)
    source = RunSource(
        id=run_id(folder, root),
        name=run_name(folder),
        format="tensorboard",
        root=root,
        files=tuple(paths),
        options=tuple(options),
    )
    placeholders = {f for f in files if f.endswith(".profile-empty") and "tfevents" in f}
    return Found(runs=[source], consumed_dirs=set(nested),
                 consumed_files=set(direct) | placeholders)


# --------------------------------------------------------------------------- protobuf path

_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?",
           17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8"}
_VAL_FIELDS = {1: "float_val", 2: "double_val", 9: "int64_val", 10: "bool_val",
               22: "uint32_val", 23: "uint64_val"}
_DT_BFLOAT16 = 14
_DT_HALF = 19


def tensor_scalar(t: Any) -> float | None:
    """The value of a one-element numeric TensorProto, or None for anything else."""
    if math.prod(d.size for d in t.tensor_shape.dim) != 1:
        return None
    if t.dtype == _DT_BFLOAT16:
        raw = (np.frombuffer(t.tensor_content, "<u2") if t.tensor_content
               else np.asarray(t.half_val[:1], dtype=np.uint16))
        return float((raw.astype(np.uint32) << 16).view("<f4")[0]) if raw.size == 1 else None
    dtype = _DTYPES.get(t.dtype)
    if dtype is None:
        return None
    if t.tensor_content:
        arr = np.frombuffer(t.tensor_content, dtype)
        return float(arr[0]) if arr.size == 1 else None
    if t.dtype == _DT_HALF:
        vals = np.asarray(t.half_val[:1], dtype=np.uint16).view("<f2")
    else:
        vals = getattr(t, _VAL_FIELDS.get(t.dtype, "int_val"))
    return float(vals[0]) if len(vals) == 1 else None


def _hparams(content: bytes) -> dict[str, Any]:
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return {}
    out: dict[str, Any] = {}
    for key, val in data.session_start_info.hparams.items():
        kind = val.WhichOneof("kind")
        if kind in ("number_value", "string_value", "bool_value"):
            out[key] = getattr(val, kind)
        elif kind == "null_value" or kind is None:
            out[key] = None
    return out


def _parse_event(rec: bytes, event_cls: Any) -> tuple[list[tuple], dict[str, Any]]:
    """Scalars ((tag, step, value, wall_time), ...) and hparams of one record."""
    ev = event_cls.FromString(rec)
    rows: list[tuple] = []
    hparams: dict[str, Any] = {}
    if not ev.HasField("summary"):
        return rows, hparams
    for v in ev.summary.value:
        plugin = v.metadata.plugin_data.plugin_name
        if plugin == "hparams":
            hparams.update(_hparams(v.metadata.plugin_data.content))
            continue
        kind = v.WhichOneof("value")
        if kind == "simple_value":
            rows.append((v.tag or v.node_name, ev.step, float(v.simple_value), ev.wall_time))
        elif kind == "tensor" and plugin in ("scalars", ""):
            x = tensor_scalar(v.tensor)
            if x is not None:
                rows.append((v.tag or v.node_name, ev.step, x, ev.wall_time))
    return rows, hparams


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: bytes):
    """(field number, value) of each field of a protobuf message, at the wire level."""
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = _varint(buf, pos)
        wire = key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise ValueError(f"unexpected wire type {wire}")
        if pos > n:
            raise ValueError("field runs past the end of the record")
        yield key >> 3, value


def _parse_event_lenient(rec: bytes, decode_tag) -> list[tuple]:
    """Scalars of an event protobuf rejects (odd bytes in a tag): a wire-level walk.

    Reads wall_time, step and the summary's simple values and tensor scalars; tags
    are decoded by ``decode_tag`` (which reports and replaces odd bytes).
    """
    from tensorboard.compat.proto import summary_pb2, tensor_pb2

    wall, step, values = 0.0, 0, []
    for num, val in _fields(rec):
        if num == 1 and len(val) == 8:
            wall = struct.unpack("<d", val)[0]
        elif num == 2 and isinstance(val, int):
            step = val - (1 << 64) if val >= 1 << 63 else val
        elif num == 5 and isinstance(val, bytes):
            values.extend(v for n, v in _fields(val) if n == 1 and isinstance(v, bytes))
    rows = []
    for raw in values:
        tag, x, plugin = b"", None, ""
        for num, val in _fields(raw):
            if num == 1 and isinstance(val, bytes):
                tag = val
            elif num == 2 and isinstance(val, bytes) and len(val) == 4:
                x = float(struct.unpack("<f", val)[0])
            elif num == 8 and isinstance(val, bytes):
                x = tensor_scalar(tensor_pb2.TensorProto.FromString(val))
            elif num == 9 and isinstance(val, bytes):
                meta = summary_pb2.SummaryMetadata.FromString(val)
                plugin = meta.plugin_data.plugin_name
        if x is not None and plugin in ("scalars", ""):
            rows.append((decode_tag(tag), step, x, wall))
    return rows


# --------------------------------------------------------------------------- reading


class _Report:
    """Collects problems of one read as a few clear messages."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self._counts: dict[str, int] = {}
        #: the warning about a half-written last record: true only until the next read
        self.tail: str | None = None

    def warn(self, kind: str, text: str) -> None:
        n = self._counts[kind] = self._counts.get(kind, 0) + 1
        if n <= MAX_MESSAGES:
            self.warnings.append(f"{self.path}: {text}")
        if kind == "truncated":
            self.tail = f"{self.path}: {text}"

    def finish(self) -> None:
        for kind, n in self._counts.items():
            if n > MAX_MESSAGES:
                self.warnings.append(f"{self.path}: {n - MAX_MESSAGES} more {kind} problems")


def _result(frame: pd.DataFrame, report: _Report, hparams: dict, state: dict) -> FileRead:
    report.finish()
    return FileRead(frame, hparams, report.warnings, report.errors, state)


def read_event_file(
    path: str, state: dict[str, Any] | None = None, *, prefix: str = "", verify: str | None = None
) -> FileRead:
    """Read one event file (or, with ``state``, only what was appended since).

    Returns the scalars (tag, step, value, wall_time; tags prefixed with ``prefix``),
    hparams, problems, and the state for the next read. Never raises for bad content.
    ``FileRead.reset`` is True when the file shrank (was replaced) and was read
    again from its start: the result replaces what was read from it before.
    """
    report = _Report(path)
    state = dict(state or {})
    base = int(state.get("offset", 0))
    scan = bool(state.get("scan", False))
    restarted = False
    try:
        size = fs.regular_stat(path).size  # a FIFO or device named like a log: an error
    except FileNotFoundError:
        report.errors.append(f"{path}: the file disappeared while reading; refresh to re-scan.")
        return _result(empty_scalars(False), report, {}, state)
    except OSError as exc:
        report.errors.append(f"{path}: cannot read ({exc}); check permissions.")
        return _result(empty_scalars(False), report, {}, state)
    if size < base:
        report.warn("restart", f"the file shrank from {base} to {size} bytes (replaced?); "
                    "read again from the start.")
        base, scan, restarted = 0, False, True
    if size == 0:
        report.warn("empty", "empty event file (no events yet): if training is running it "
                    "fills up and is read on the next refresh; otherwise delete it.")
        return _result(empty_scalars(False), report, {}, {"offset": 0})
    if size == base:
        return _result(empty_scalars(False), report, {}, {"offset": base, "scan": scan})
    frames: list[pd.DataFrame] = []
    hparams: dict[str, Any] = {}
    chunk = CHUNK_BYTES
    new_state = {"offset": base, "scan": scan}
    while base < size:
        try:
            buf = fs.read_bytes(path, base, min(chunk, size - base))
        except FileNotFoundError:
            report.errors.append(f"{path}: the file disappeared while reading; refresh to "
                                 "re-scan.")
            break
        except OSError as exc:
            report.errors.append(f"{path}: cannot read ({exc}); check permissions.")
            break
        if base == 0 and sniff.is_lfs_pointer(buf):
            report.errors.append(f"{path}: a Git LFS pointer, not the event file itself; "
                                 "run `git lfs pull` to fetch it.")
            break
        final = base + len(buf) >= size
        frame, hp, new_state = decode_buffer(
            buf, base, report, prefix=prefix, scan=scan, verify=verify or VERIFY, final=final
        )
        frames.append(frame)
        hparams.update(hp)
        if final or not buf:
            break
        if new_state["offset"] == base and not new_state["scan"]:
            chunk *= 2  # one record larger than the chunk: read more at once
            continue
        base, scan = new_state["offset"], new_state["scan"]
    read = _result(concat(frames), report, hparams, new_state)
    read.reset = restarted  # the caller must replace, not extend, what it had from this file
    read.tail_warning = report.tail or None
    return read


def decode_buffer(
    buf: bytes, base: int, report: _Report, *, prefix: str = "", scan: bool = False,
    verify: str = "all", final: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """Scalars, hparams and next state of a buffer that starts at byte ``base`` of a file.

    ``final``: the buffer reaches the end of the file (a record cut off at its end is
    reported as truncated; otherwise it is simply read with the next chunk).
    """
    verify_all = verify != "on_error"
    if tfscan.AVAILABLE:  # the compiled pass: the same framing and values, ~20x faster
        framing, block = tfscan.frame_and_decode(buf, resync_first=scan, verify=verify_all)
    else:
        framing = tfrecord.frame(buf, resync_first=scan)
        block = tfrecord.decode_scalars(np.frombuffer(buf, dtype=np.uint8), framing.starts,
                                        framing.lengths, verify=verify_all)
    _report_framing(framing, base, len(buf), report, final)
    if not verify_all:
        block = _check_odd_tags(block, framing, buf)
    if len(block.bad_crc):
        _report_bad_crc(block.bad_crc, framing, base, report)
    if block.others is not None:  # listed by the compiled pass
        slow_idx = block.others
    else:
        rest = np.ones(len(framing.starts), dtype=bool)
        rest[block.record] = False
        rest[block.bad_crc] = False
        slow_idx = np.flatnonzero(rest)

    seen_tags: dict[bytes, str] = {}

    def tag_text(raw: bytes, where) -> str:
        if raw not in seen_tags:
            seen_tags[raw] = _decode_tag(raw, report, where)
        return seen_tags[raw]

    tags = [tag_text(t, lambda i=i: _first_byte(block, framing, base, i))
            for i, t in enumerate(block.tags)]
    slow: list[tuple] = []
    hparams: dict[str, Any] = {}
    for i in slow_idx.tolist():
        start, length = int(framing.starts[i]), int(framing.lengths[i])
        rec = buf[start : start + length]
        if verify_all and not _crc_ok(buf, start, length):
            report.warn("checksum", f"record at byte {base + start - tfrecord.HEADER} failed its "
                        "checksum and was skipped (damaged file: copy it again if you can).")
            continue
        where = base + start - tfrecord.HEADER
        if _no_summary(rec):  # the file version, a graph, a log message: no scalars
            continue
        try:
            rows, hp = _parse_event(rec, _event_class())
        except (DecodeError, ValueError, UnicodeDecodeError) as exc:
            if not verify_all and not _crc_ok(buf, start, length):
                report.warn("checksum", f"record at byte {where} failed its checksum and was "
                            "skipped (damaged file: copy it again if you can).")
                continue
            try:
                rows = _parse_event_lenient(rec, lambda raw, w=where: tag_text(raw, lambda: w))
                hp = {}
            except (DecodeError, ValueError, IndexError, struct.error):
                report.warn("decode", f"event at byte {where} could not be decoded ({exc}); "
                            "skipped.")
                continue
        hparams.update(hp)
        slow.extend((i, *r) for r in rows)

    frame = _build_frame(block, tags, slow, prefix)
    state = {"offset": base + framing.end, "scan": framing.resync_pending}
    if len(framing.starts) == 0 and framing.corrupt and base == 0 and framing.truncated_at is None:
        report.errors.append(
            f"{report.path}: not a TensorBoard event file: no valid record in its {len(buf)} "
            "bytes, though it is named like one (*tfevents*). Remove or rename it, or copy it "
            "again if it was damaged."
        )
    return frame, hparams, state


def _check_odd_tags(block: tfrecord.ScalarBlock, framing: tfrecord.Framing,
                    buf: bytes) -> tfrecord.ScalarBlock:
    """With checksums checked only where decoding fails: a tag that is not UTF-8 is such a
    failure (protobuf rejects it), so the records of such tags have their checksum checked
    here, and those that fail it move to ``bad_crc`` (damage, not odd bytes in a tag)."""
    odd = [code for code, tag in enumerate(block.tags) if not _is_utf8(tag)]
    if not odd:
        return block
    rows = np.flatnonzero(np.isin(block.codes, odd))
    recs = block.record[rows]
    failed = [row for row, rec in zip(rows.tolist(), recs.tolist(), strict=True)
              if not _crc_ok(buf, int(framing.starts[rec]), int(framing.lengths[rec]))]
    if not failed:
        return block
    keep = np.ones(len(block.record), dtype=bool)
    keep[failed] = False
    bad = np.sort(np.concatenate([block.bad_crc, block.record[failed]]))
    codes = block.codes[keep]
    used = np.zeros(len(block.tags), dtype=bool)
    used[codes] = True
    remap = np.cumsum(used, dtype=np.int32) - 1  # tags no row has any more are dropped
    tags = [t for t, u in zip(block.tags, used.tolist(), strict=True) if u]
    return tfrecord.ScalarBlock(block.record[keep], remap[codes], tags, block.step[keep],
                                block.value[keep], block.wall_time[keep], bad,
                                first_seen=block.first_seen,  # the order of those kept
                                others=block.others)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _no_summary(rec: bytes) -> bool:
    """Whether an event is well-formed at the wire level with no summary (field 5): it holds
    no scalar nor hparams, so protobuf (and importing TensorBoard's protos) can be skipped.
    False when in doubt: protobuf then decides."""
    try:
        return all(num != 5 for num, _ in _fields(rec))
    except (ValueError, IndexError):
        return False


def _event_class():
    from tensorboard.compat.proto.event_pb2 import Event

    return Event


def _crc_ok(buf: bytes, start: int, length: int) -> bool:
    want = int.from_bytes(buf[start + length : start + length + 4], "little")
    return tfrecord.masked_crc32c(buf[start : start + length]) == want


def _report_framing(framing: tfrecord.Framing, base: int, n: int, report: _Report,
                    final: bool) -> None:
    for off, skipped in framing.corrupt:
        if framing.resync_pending and (off, skipped) == framing.corrupt[-1]:
            text = (f"corrupt record at byte {base + off} (header checksum mismatch); no valid "
                    f"record found in the {n - off} bytes after it. Records before it are "
                    "kept.")
        else:
            text = (f"corrupt record at byte {base + off} (header checksum mismatch); skipped "
                    f"{skipped} bytes to the next valid record. Records before it are kept.")
        report.warn("corrupt", text + " The file is damaged: copy it again if you can.")
    if framing.truncated_at is not None and final:
        report.warn("truncated", f"truncated last record at byte {base + framing.truncated_at}: "
                    "the file may still be being written (it is read on the next refresh); if "
                    "training has stopped, the last event was lost.")


def _report_bad_crc(bad: np.ndarray, framing: tfrecord.Framing, base: int, report: _Report):
    first = base + int(framing.starts[bad[0]]) - tfrecord.HEADER
    report.warn("checksum", f"{len(bad)} record(s) failed their checksum and were skipped "
                f"(first at byte {first}); the file is damaged: copy it again if you can.")


def _first_byte(block: tfrecord.ScalarBlock, framing: tfrecord.Framing, base: int, code: int):
    rec = block.record[np.argmax(block.codes == code)]
    return base + int(framing.starts[rec]) - tfrecord.HEADER


def _decode_tag(raw: bytes, report: _Report, where) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", errors="replace")
        report.warn("tag", f"tag {shown!r} (at byte {where()}) is not valid UTF-8; its "
                    "odd bytes are shown as U+FFFD. Rename the tag in the training code.")
        return shown


def _build_frame(block: tfrecord.ScalarBlock, tags: list[str], slow: list[tuple],
                 prefix: str) -> pd.DataFrame:
    record, codes = block.record, block.codes
    step, value, wall = block.step, block.value, block.wall_time
    names = list(tags)
    if slow:
        index: dict[str, int] = {}
        for i, t in enumerate(names):
            index.setdefault(t, i)
        s_rec, s_tag, s_step, s_val, s_wall = zip(*slow, strict=True)
        for t in s_tag:
            if t not in index:
                index[t] = len(names)
                names.append(t)
        s_codes = np.asarray([index[t] for t in s_tag], dtype=np.int32)
        record = np.concatenate([record, np.asarray(s_rec, dtype=np.int64)])
        order = np.argsort(record, kind="stable")
        codes = np.concatenate([codes, s_codes])[order]
        step = np.concatenate([step, np.asarray(s_step, dtype=np.int64)])[order]
        value = np.concatenate([value, np.asarray(s_val, dtype=np.float64)])[order]
        wall = np.concatenate([wall, np.asarray(s_wall, dtype=np.float64)])[order]
    if len(names) == 0:
        return empty_scalars(False)
    if slow or not block.first_seen:
        codes, names = _first_seen_order(codes, names)
    categories = [prefix + t for t in names]
    if len(set(categories)) != len(categories):  # odd bytes replaced into the same text
        tag = pd.Categorical([categories[c] for c in codes.tolist()])
    else:  # object categories, as the ingest keeps them (pandas' strings cost ~0.3 ms)
        tag = categorical(codes, categories)
    return file_frame(tag, np.asarray(step, dtype=np.int64), np.asarray(value, dtype=np.float64),
                      np.asarray(wall, dtype=np.float64))


def _first_seen_order(codes: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Renumber categories in the order tags first appear in the file."""
    first = np.full(len(names), len(codes), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first row
    order = np.argsort(first, kind="stable")
    remap = np.empty(len(names), dtype=np.int32)
    remap[order] = np.arange(len(names), dtype=np.int32)
    return remap[codes], [names[i] for i in order.tolist()]


# --------------------------------------------------------------------------- the format


class TensorBoardFormat:
    """The ``tensorboard`` format: see the module docstring."""

    name = "tensorboard"
    summary = "TensorBoard event files (*tfevents*)"
    #: Bumped when what the reader returns changes (the cache keys on it).
    version = "1"

    def sniff(self, path: str, head: bytes) -> bool:
        return is_event_file(path)

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return find_runs(folder, files, subdirs, root)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        return read_event_file(path, state, prefix=_prefix(source, path))


def _prefix(source: RunSource, path: str) -> str:
    """"train/" for a file in the run's train/ folder ("" for files directly in the run)."""
    opt = source.option(path)
    if opt is not None:
        return opt
    if "://" in path or "://" in source.root:
        return ""
    run_folder = os.path.normpath(os.path.join(source.root, source.id))
    if os.path.dirname(path) == run_folder:  # the usual case, without a getcwd() per file
        return ""
    rel = os.path.relpath(os.path.dirname(os.path.abspath(path)), os.path.abspath(run_folder))
    rel = rel.replace(os.sep, "/")
    return "" if rel == "." or rel.startswith("..") else rel + "/"


FORMAT = TensorBoardFormat()
