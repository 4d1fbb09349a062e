"""Weights & Biases runs on disk: ``wandb/offline-run-*/run-*.wandb`` (and synced ``run-*``).

A run folder holds one ``run-<id>.wandb`` file: W&B's transaction log, a LevelDB-log-style
record file (a 7-byte file header ``:W&B``, magic 0xBEE1, version; then 32 KiB blocks of
records, each ``crc32 (u32) | length (u16) | type (u8)`` and its bytes, a record split over
blocks as FIRST/MIDDLE/LAST pieces; the CRC covers the type byte and the bytes). Every
record is a protobuf ``Record``. curvedoc reads three kinds:

- ``history``: one row of ``wandb.log``: its items (``key`` or ``nested_key``, the value as
  ``value_json`` or a typed number), ``_step`` the step and ``_timestamp`` the wall time;
  other ``_``-keys (``_runtime``) and non-numbers (images, tables) are skipped;
- ``run``: the run's ``display_name`` (the run's name) and its first ``config``;
- ``config``: later ``wandb.config`` updates. The config (minus ``_wandb``) becomes hparams,
  nested values flattened with "/".

No W&B account, network or ``wandb`` package is needed: the few messages read are declared
below by their field numbers (protobuf field numbers never change) and parsed by protobuf;
unknown fields and record kinds are skipped. A run still being written is read up to its
last complete record, and a re-read goes on from there.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zlib
from typing import Any

import numpy as np

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import flatten
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

FILE_HEADER = struct.Struct("<4sHB")
MAGIC = (b":W&B", 0xBEE1)
RECORD_HEADER = struct.Struct("<IHB")
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
RUN_FOLDER = re.compile(r"^(offline-)?run-.+$")
RUN_FILE = re.compile(r"^run-.+\.wandb$")
#: How much of the file discovery reads to find the run's name.
NAME_BYTES = 1 << 16
#: How much of the file one step of a read holds (a whole number of blocks).
WINDOW = 32 * BLOCK


# -- the messages read, by field number (wandb/proto/wandb_internal.proto) ----------------


def _messages() -> dict[str, Any]:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    f = descriptor_pb2.FieldDescriptorProto
    kinds = {"string": f.TYPE_STRING, "double": f.TYPE_DOUBLE, "sint64": f.TYPE_SINT64,
             "int64": f.TYPE_INT64, "bool": f.TYPE_BOOL}
    schema = {
        "Item": [("key", 1, "string"), ("nested_key", 2, "*string"), ("boolean", 4, "bool"),
                 ("integer", 5, "sint64"), ("number", 6, "double"), ("value_json", 16, "string")],
        "Step": [("num", 1, "int64")],
        "History": [("item", 1, "*Item"), ("step", 2, "Step")],
        "Config": [("update", 1, "*Item")],
        "Run": [("run_id", 1, "string"), ("config", 4, "Config"), ("display_name", 8, "string")],
        "Record": [("history", 2, "History"), ("config", 5, "Config"), ("run", 17, "Run")],
    }
    proto = descriptor_pb2.FileDescriptorProto(
        name="curvedoc_wandb_subset.proto", package="curvedoc_wandb", syntax="proto2"
    )
    for message, fields in schema.items():
        desc = proto.message_type.add(name=message)
        for name, number, kind in fields:
            repeated = kind.startswith("*")
            kind = kind.lstrip("*")
            field = desc.field.add(name=name, number=number)
            field.label = f.LABEL_REPEATED if repeated else f.LABEL_OPTIONAL
            if kind in kinds:
                field.type = kinds[kind]
            else:
                field.type = f.TYPE_MESSAGE
                field.type_name = f".curvedoc_wandb.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(
        f"curvedoc_wandb.{name}")) for name in schema}


_CLASSES: dict[str, Any] = {}


def record_class() -> Any:
    if not _CLASSES:
        _CLASSES.update(_messages())
    return _CLASSES["Record"]


# -- the record file ----------------------------------------------------------------------


def has_header(head: bytes) -> bool:
    if len(head) < FILE_HEADER.size:
        return False
    ident, magic, _ = FILE_HEADER.unpack_from(head)
    return (ident, magic) == MAGIC


def records(data: bytes, base: int = 0) -> tuple[list[bytes], int, int]:
    """Complete records in ``data``, the file's bytes from offset ``base`` (a record start).

    Returns (records, file offset after the last complete record, records with a bad
    checksum). A record cut short at the end (still being written) is left for the next read.
    """
    out: list[bytes] = []
    pos = max(base, FILE_HEADER.size)  # file offsets; data[pos - base] is the byte at pos
    end = base + len(data)
    done = pos
    bad = 0
    pieces: list[bytes] = []
    while True:
        left = BLOCK - pos % BLOCK
        if left < RECORD_HEADER.size:  # a block's tail too small for a header is padding
            pos += left
        if pos + RECORD_HEADER.size > end:
            break
        crc, length, kind = RECORD_HEADER.unpack_from(data, pos - base)
        body_at = pos + RECORD_HEADER.size
        if body_at + length > end:
            break
        body = data[body_at - base:body_at - base + length]
        if kind == 0 and length == 0 and crc == 0:  # zero fill: the writer's end of data
            break
        pos = body_at + length
        if zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != crc:
            bad += 1
            pieces = []
            done = pos
            continue
        if kind == FULL:
            out.append(body)
        elif kind == FIRST:
            pieces = [body]
        elif kind == MIDDLE and pieces:
            pieces.append(body)
        elif kind == LAST and pieces:
            out.append(b"".join([*pieces, body]))
            pieces = []
        if not pieces:
            done = pos
    return out, done, bad


def _value(item: Any) -> Any:
    if item.HasField("value_json"):
        try:
            return json.loads(item.value_json)
        except ValueError:
            return None
    for name in ("number", "integer", "boolean"):
        if item.HasField(name):
            return getattr(item, name)
    return None


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def config_of(items: Any) -> dict[str, Any]:
    """Config items (``value_json`` of each key) as flat hparams, ``_wandb`` left out."""
    values = {}
    for item in items:
        key = _key(item)
        if key and key != "_wandb":
            value = _value(item)
            values[key] = value.get("value", value) if _is_wrapped(value) else value
    return flatten(values)


def _is_wrapped(value: Any) -> bool:
    """config.yaml style ``{"value": x, "desc": ...}``: the value is ``x``."""
    return isinstance(value, dict) and "value" in value and set(value) <= {"value", "desc"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def run_name(path: str) -> str | None:
    """The run's display name from the first records of its file (None when not there)."""
    try:
        head = fs.read_bytes(path, 0, NAME_BYTES)
    except OSError:
        return None
    if not has_header(head):
        return None
    found, _, _ = records(head)
    cls = record_class()
    for raw in found:
        try:
            rec = cls.FromString(raw)
        except Exception:
            continue
        if rec.HasField("run"):
            return rec.run.display_name or rec.run.run_id or None
    return None


class WandbOffline:
    name = "wandb"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "Weights & Biases run folders (wandb/offline-run-*/run-*.wandb, synced run-*)"

    def sniff(self, path: str, head: bytes) -> bool:
        """A ``*.wandb`` file that starts with W&B's record-file header."""
        return path.endswith(".wandb") and has_header(head)

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        logs = [name for name in files if RUN_FILE.match(name)]
        if logs and RUN_FOLDER.match(tab.base_name(folder)):
            paths = tuple(tab.join(folder, name) for name in logs)
            run = tab.folder_run(self.name, folder, root, paths, name=run_name(paths[0]))
            # files/ (config.yaml, wandb-summary.json), logs/ and tmp/ repeat the record file
            return Found(runs=[run], consumed_files=set(logs), consumed_dirs=set(subdirs))
        if "latest-run" in subdirs and any(RUN_FOLDER.match(d) for d in subdirs):
            return Found(consumed_dirs={"latest-run"})  # a link to one of the run folders
        return None

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        """Complete records from the state's offset, in windows of :data:`WINDOW` bytes (a
        record larger than a window doubles it), so memory stays bounded by the rows."""
        if tab.unchanged(path, state):
            return FileRead(scalars=tab.empty(), state=dict(state or {}))
        pos = int((state or {}).get("offset", 0))
        parts, hparams, damaged = tab.Parts(), {}, 0
        try:
            st = fs.stat(path)
            reset = bool(state) and st.size < pos
            if reset:
                pos = 0
            if not has_header(fs.read_bytes(path, 0, FILE_HEADER.size)):
                return tab.failed(path, "is not a W&B run file (no ':W&B' header); "
                                        "copy it again from the machine that wrote it")
            window = WINDOW
            while pos < st.size:
                data = fs.read_bytes(path, pos, min(window, st.size - pos))
                found, done, bad = records(data, pos)
                if done <= pos:  # no complete record in the window
                    if pos + len(data) >= st.size:
                        break  # the rest is a record still being written
                    window *= 2
                    continue
                frame, more, undecodable = decode(found)
                parts.add(frame)
                hparams.update(more)
                damaged += bad + undecodable
                pos, window = done, WINDOW
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        warnings = []
        if damaged:
            warnings.append(f"{path}: skipped {damaged} damaged records; the others "
                            "were read (was the file copied while W&B was writing it?)")
        return FileRead(
            scalars=parts.frame(),
            hparams=hparams,
            warnings=warnings,
            state={"offset": pos, "size": st.size, "mtime": st.mtime},
            reset=reset,
        )


def decode(found: list[bytes]) -> tuple[Any, dict[str, Any], int]:
    """Records -> (long frame of their history rows, config as hparams, undecodable count)."""
    cls = record_class()
    steps: list[int] = []
    walls: list[float] = []
    columns: dict[str, dict[int, float]] = {}
    hparams: dict[str, Any] = {}
    undecodable = 0
    for raw in found:
        try:
            rec = cls.FromString(raw)
        except Exception:
            undecodable += 1
            continue
        if rec.HasField("run") and rec.run.HasField("config"):
            hparams.update(config_of(rec.run.config.update))
        if rec.HasField("config"):
            hparams.update(config_of(rec.config.update))
        if not rec.HasField("history"):
            continue
        row = {_key(item): _value(item) for item in rec.history.item}
        step = _number(row.get("_step"))
        if step is None or not math.isfinite(step):
            step = float(rec.history.step.num)
        wall = _number(row.get("_timestamp"))
        index = len(steps)
        steps.append(int(step))
        walls.append(math.nan if wall is None else wall)
        for key, value in row.items():
            number = _number(value)
            if number is not None and not key.startswith("_"):
                columns.setdefault(key, {})[index] = number
    wide = tab.sparse_columns(columns, len(steps))
    frame = tab.long_frame(np.asarray(steps, dtype=np.int64), wide, np.asarray(walls))
    return frame, hparams, undecodable


FORMAT = WandbOffline()
