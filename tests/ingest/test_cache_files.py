"""The cache of parsed files: a re-opened folder re-parses nothing, a changed file is read
again, and a cache file that is not exactly what curvedoc wrote is a miss, never a crash
and never a changed value."""

from __future__ import annotations

import json
import os
import struct
from concurrent.futures import ProcessPoolExecutor

import crc32c
import numpy as np
import pandas as pd
import pytest

from curvedoc.ingest import discover, open_root, read_run
from curvedoc.ingest.cache import Cache, FileIdent, columnar, file_key
from curvedoc.ingest.cache.files import FileCache
from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.frames import canonical
from curvedoc.ingest.model import FileRead


@pytest.fixture
def counted(fake, monkeypatch):
    """The fake format, recording (path, state) of every file it parses."""
    calls: list[tuple[str, dict | None]] = []
    real = type(fake.format).read

    def read(source, path, state):
        calls.append((path, state))
        return real(fake.format, source, path, state)

    monkeypatch.setattr(fake.format, "read", read)
    return calls


def _runs(root, fake, n=3):
    for i in range(n):
        fake.write(root / f"run{i}" / "x.fake", fake.curve("loss", range(10 + i)))


def _frames(catalog):
    return {rid: r.scalars for rid, r in catalog.runs.items()}


def _cache_files(base):
    return sorted(base.rglob("*.cdc"))


def _same(a, b):
    assert a.keys() == b.keys()
    for rid in a:
        pd.testing.assert_frame_equal(a[rid], b[rid])


def test_a_warm_open_parses_no_file(fake, counted, tmp_path, _private_cache_dir):
    logs = tmp_path / "logs"
    _runs(logs, fake)
    with open_root(str(logs)) as cold:
        cold_frames = _frames(cold)
    assert len(counted) == 3
    assert len(_cache_files(_private_cache_dir)) == 3
    counted.clear()
    with open_root(str(logs)) as warm:
        assert counted == []
        _same(_frames(warm), cold_frames)


def test_a_grown_file_is_read_on_from_where_the_cache_stopped(fake, counted, tmp_path):
    logs = tmp_path / "logs"
    _runs(logs, fake, 1)
    path = logs / "run0" / "x.fake"
    open_root(str(logs)).close()
    counted.clear()
    fake.write(path, fake.curve("loss", range(100, 102)), mode="a")
    with open_root(str(logs)) as warm:
        assert [p for p, _ in counted] == [str(path)]
        assert counted[0][1]["offset"] > 0  # only the appended bytes were parsed
        warm_frames = _frames(warm)
    with open_root(str(logs), cache=False) as cold:
        _same(warm_frames, _frames(cold))


def test_a_rewrite_with_the_same_size_and_mtime_is_a_miss(fake, counted, tmp_path):
    logs = tmp_path / "logs"
    path = logs / "run0" / "x.fake"
    fake.write(path, [("loss", s, 0.5, 1000.0 + s) for s in range(10)])
    before = os.stat(path)
    open_root(str(logs)).close()
    fake.write(path, [("loss", s, 0.7, 1000.0 + s) for s in range(10)])  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    counted.clear()
    with open_root(str(logs)) as warm:
        assert len(counted) == 1
        assert warm.runs["run0"].scalars["value"].tolist() == [0.7] * 10


def test_a_longer_rewrite_of_the_same_file_is_read_from_its_start(fake, counted, tmp_path):
    logs = tmp_path / "logs"
    path = logs / "run0" / "x.fake"
    fake.write(path, fake.curve("loss", range(10)))
    open_root(str(logs)).close()
    with open(path, "r+") as fh:  # the same inode, other first bytes, longer
        fh.write("".join(f"acc,{s},0.25,{2000 + s}\n" for s in range(20)))
    counted.clear()
    with open_root(str(logs)) as warm:
        assert counted[0][1] is None  # no stale state handed to the reader
        assert warm.runs["run0"].scalars["tag"].unique().tolist() == ["acc"]
        assert len(warm.runs["run0"].scalars) == 20


def test_without_cache_nothing_is_written(fake, tmp_path, _private_cache_dir):
    logs = tmp_path / "logs"
    _runs(logs, fake, 1)
    open_root(str(logs), cache=False).close()
    assert not _private_cache_dir.exists()
    assert sorted(p.name for p in logs.rglob("*")) == ["run0", "x.fake"]


def test_a_process_pool_writes_the_cache_in_its_workers(fake, counted, tmp_path):
    logs = tmp_path / "logs"
    _runs(logs, fake, 4)
    base = tmp_path / "cache"
    with ProcessPoolExecutor(2) as pool, open_root(str(logs), cache=base, executor=pool) as c:
        cold_frames = _frames(c)
        with open_root(str(logs), cache=False) as serial:
            _same(cold_frames, _frames(serial))  # read and assembled by the workers alike
        c.executor = None
        fake.write(logs / "run1" / "x.fake", fake.curve("loss", range(50, 53)), mode="a")
        assert c.refresh() == {"run1"}  # the workers' file frames carry on
        assert len(c.runs["run1"].scalars) == 14
    assert len(_cache_files(base)) == 4
    counted.clear()
    with open_root(str(logs), cache=base) as warm:
        assert counted == []  # the refresh stored the grown file's read too
        assert len(warm.runs["run1"].scalars) == 14
        assert all(_frames(warm)[r].equals(cold_frames[r]) for r in ("run0", "run2", "run3"))


def test_read_run_takes_a_cache_folder(fake, counted, tmp_path):
    _runs(tmp_path / "logs", fake, 1)
    (source,) = discover(str(tmp_path / "logs"))
    first = read_run(source, cache=str(tmp_path / "c"))
    counted.clear()
    again = read_run(source, cache=str(tmp_path / "c"))
    assert counted == []
    pd.testing.assert_frame_equal(again.scalars, first.scalars)


# -- the file layout ----------------------------------------------------------------------


def _read(n=5) -> FileRead:
    frame = canonical(pd.DataFrame({
        "tag": pd.Categorical(["a/loss", "b"] * (n // 2) + ["a/loss"] * (n % 2)),
        "step": np.arange(n, dtype=np.int64) * 2**40,
        "value": np.linspace(-1, 1, n),
        "wall_time": np.linspace(1.5, 9.5, n),
    }))
    return FileRead(scalars=frame, hparams={"lr": 0.1}, warnings=["w"],
                    state={"offset": 12, "tail": b"\x00\xff"})


IDENT = FileIdent(10, 1, 2, 3, 4, "h", "t")


def _blob(read: FileRead, key: str = "k") -> bytearray:
    return bytearray(b"".join(bytes(p) for p in columnar.encode(read, key, IDENT.to_json())))


def test_a_cache_file_keeps_values_dtypes_and_state_exactly():
    frame = canonical(pd.DataFrame({
        "tag": pd.Categorical(["a/loss", "b", "a/loss"]),
        "step": np.array([0, 2**53 + 1, -(2**62)], dtype=np.int64),
        "value": np.array([np.nan, np.inf, -0.0]),
        "wall_time": np.array([1.5, 2.5, 3.5]),
    }))
    read = FileRead(scalars=frame, hparams={"lr": 0.1, "layers": (1, 2)}, warnings=["w"],
                    state={"offset": 12, "tail": b"\x00\xff", "nested": {"n": [1, 2]}})
    ident, back = columnar.decode(_blob(read), "k")
    pd.testing.assert_frame_equal(back.scalars, frame)
    assert np.signbit(back.scalars["value"].iloc[2])
    assert back.state == read.state and back.warnings == ["w"]
    assert back.hparams == {"lr": 0.1, "layers": [1, 2]}
    assert FileIdent.from_json(ident) == IDENT
    back.scalars.loc[0, "value"] = 1.0  # frames from the cache are ordinary, writable frames


def test_every_flipped_bit_is_a_miss():
    """CRC32C catches every single-bit error: no flip anywhere gives back a value."""
    blob = _blob(_read(7))
    for pos in range(len(blob)):
        for bit in (0, 3, 7):
            bad = bytearray(blob)
            bad[pos] ^= 1 << bit
            with pytest.raises(columnar.Corrupt):
                columnar.decode(bad, "k")


def test_every_truncation_and_extension_is_a_miss():
    blob = _blob(_read(7))
    for n in range(len(blob)):
        with pytest.raises(columnar.Corrupt):
            columnar.decode(bytearray(blob[:n]), "k")
    with pytest.raises(columnar.Corrupt):
        columnar.decode(blob + b"\0", "k")


def test_a_file_written_for_another_key_is_a_miss():
    with pytest.raises(columnar.Corrupt):
        columnar.decode(_blob(_read(), "one file"), "another file")


def _crafted(meta: bytes, n=0, width=1, mlen=None, columns=b"") -> bytearray:
    """A cache file with a valid checksum around whatever header and columns we like."""
    mlen = len(meta) if mlen is None else mlen
    body = (struct.pack("<8sIIQQQ", columnar.MAGIC, columnar.SCHEMA, width, n, mlen, 0)
            + meta + b" " * (-len(meta) % 8) + columns)
    return bytearray(body + struct.pack("<I", crc32c.crc32c(body)))


def _meta(**over) -> bytes:
    meta = {"key": "k", "ident": IDENT.to_json(), "tags": ["a"], "fields": {}}
    meta.update(over)
    return json.dumps(meta).encode()


@pytest.mark.parametrize("blob", [
    _crafted(b"[" * 100_000 + b"]" * 100_000),  # deep JSON: RecursionError inside json
    _crafted(_meta(fields={"state": json.loads("[" * 60 + "]" * 60)})),  # deep, parseable
    _crafted(b"\xff\xfe not json"),
    _crafted(b"[1, 2]"),
    _crafted(_meta(), n=2**62),  # absurd row count
    _crafted(_meta(), mlen=2**40),  # absurd header length
    _crafted(_meta(tags=["a", "a"]), n=1, columns=b"\0" * 24 + b"\0" * 8),  # duplicate tags
    _crafted(_meta(tags=[1]), n=1, columns=b"\0" * 24 + b"\0" * 8),
    _crafted(_meta(), n=1, columns=b"\0" * 24 + b"\x05" + b"\0" * 7),  # code out of range
    _crafted(_meta(fields={"nope": 1})),
    _crafted(_meta(fields={"warnings": "not a list"})),
    _crafted(_meta(fields={"state": {"__bytes__": "!!"}})),
    _crafted(_meta(), width=3),
])
def test_a_crafted_cache_file_is_a_miss_not_a_crash(blob, tmp_path):
    with pytest.raises(columnar.Corrupt):
        columnar.decode(blob, "k")
    files = FileCache(Folder.base(tmp_path / "c"))
    assert files.folder.write(files.name("k"), [bytes(blob)])
    assert files.lookup("k") is None


def test_a_corrupt_cache_file_on_disk_is_read_again(fake, counted, tmp_path, _private_cache_dir):
    logs = tmp_path / "logs"
    _runs(logs, fake, 1)
    with open_root(str(logs)) as cold:
        cold_frames = _frames(cold)
    (path,) = _cache_files(_private_cache_dir)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10  # one bit in the columns
    path.write_bytes(bytes(data))
    counted.clear()
    with open_root(str(logs)) as warm:
        assert len(counted) == 1
        _same(_frames(warm), cold_frames)
    counted.clear()
    with open_root(str(logs)) as again:  # the re-read was stored again
        assert counted == []
        _same(_frames(again), cold_frames)


def test_a_state_json_cannot_hold_is_not_cached(tmp_path):
    read = FileRead(scalars=canonical(None), state={"obj": object()})
    files = FileCache(Folder.base(tmp_path / "c"))
    assert files.put("x", IDENT, read) is False
    assert files.get("x", IDENT) is None
    deep: list = []
    for _ in range(200):
        deep = [deep]
    assert files.put("x", IDENT, FileRead(scalars=canonical(None), state={"d": deep})) is False


def test_a_stored_read_needs_the_same_ident(tmp_path):
    files = FileCache(Folder.base(tmp_path / "c"))
    assert files.put("x", IDENT, _read())
    assert files.get("x", IDENT) is not None
    for change in ({"size": 11}, {"ctime_ns": 5}, {"ino": 9}, {"head": "other"}):
        assert files.get("x", FileIdent(**{**IDENT.to_json(), **change})) is None


def test_the_key_holds_what_a_read_depends_on(fake, tmp_path):
    _runs(tmp_path / "logs", fake, 1)
    (source,) = discover(str(tmp_path / "logs"))
    path = source.files[0]
    assert file_key(source, path, "1") != file_key(source, path, "2")
    other = type(source)(**{**source.__dict__, "options": (("x", "y"),)})
    assert file_key(source, path, "1") != file_key(other, path, "1")


def test_a_cache_pickles_to_the_same_folder(tmp_path):
    import pickle

    cache = Cache(str(tmp_path / "logs"), tmp_path / "c")
    again = pickle.loads(pickle.dumps(cache))
    assert again.folder == cache.folder and again.enabled


def _narrow_read(steps, values, walls=None) -> FileRead:
    n = len(steps)
    walls = np.linspace(0, 1, n) if walls is None else np.asarray(walls, dtype=np.float64)
    frame = canonical(pd.DataFrame({
        "tag": pd.Categorical(["a"] * n), "step": np.asarray(steps, dtype=np.int64),
        "value": np.asarray(values, dtype=np.float64), "wall_time": walls}))
    return FileRead(scalars=frame)


def _bits(frame, col):
    return frame[col].to_numpy().view(np.uint64).tolist()


NAN_PAYLOAD = np.array([0x7FF8_0000_0000_0001], dtype=np.uint64).view(np.float64)[0]


CLOCK = 1_764_600_000.0 + np.arange(6) * 0.01234  # a clock's wall times, close together


@pytest.mark.parametrize(("steps", "values", "narrow", "walls"), [
    ([0, 1, 2**31 - 1, -(2**31)], [0.5, -0.0, np.inf, np.float32(0.1)], 3, None),  # both fit
    ([0, 2**31], [0.5, 1.0], 2, None),  # a step past int32: steps stay int64
    ([1, 2, 3], [0.1, 0.5, 1.0], 4, None),  # steps 1 apart: int8 differences; 0.1: float64
    ([1, 2], [np.nan, NAN_PAYLOAD], 4, None),  # a NaN payload float32 cannot hold: float64
    ([1, 2], [np.float32(3e38), 1e39], 4, None),  # beyond float32: float64
    ([5, 4, 3, 300, 301, 302], np.float32([1, 2, 3, 4, 5, 6]), 1 | 2 | 8, CLOCK),  # 297 apart
    ([0, 1, 1, 2, 2, 3], np.float32([1, 2, 3, 4, 5, 6]), 4 | 2 | 8, CLOCK),  # all three
    ([2**63 - 1, -(2**63)], [1.0, 2.0], 4 | 2, None),  # a difference that wraps around int64
    ([], [], 0, None),
])
def test_narrow_columns_keep_every_bit_and_shrink_the_file(steps, values, narrow, walls):
    read = _narrow_read(steps, values, walls)
    blob = _blob(read)

    _, back = columnar.decode(blob, "k")

    assert struct.unpack_from("<Q", blob, 32)[0] == narrow
    assert back.scalars["step"].tolist() == list(steps)
    assert back.scalars["step"].dtype == np.int64 and back.scalars["value"].dtype == np.float64
    assert _bits(back.scalars, "value") == _bits(read.scalars, "value")
    assert _bits(back.scalars, "wall_time") == _bits(read.scalars, "wall_time")


def test_narrow_columns_make_a_tensorboard_read_10_bytes_a_scalar():
    n = 1000  # four tags a step, float32 values, a clock's wall times
    walls = 1_764_600_000.0 + np.cumsum(np.random.default_rng(0).exponential(0.01, n))
    read = _narrow_read(np.repeat(np.arange(n // 4), 4), np.float32(np.linspace(0, 1, n)), walls)
    blob = _blob(read)
    meta = struct.unpack_from("<Q", blob, 24)[0]
    meta += -meta % 8

    # steps: 8 + (n-1) int8 differences, values 4n, walls 8 + 4 (n-1), codes n
    assert len(blob) - 40 - meta - 4 == 8 + (n - 1) + 4 * n + 1 + 8 + 4 * (n - 1) + n + 4
    assert struct.unpack_from("<Q", blob, 32)[0] == 2 | 4 | 8


def test_an_unknown_column_flag_is_a_miss():
    blob = _blob(_narrow_read([1, 2], [0.5, 1.5]))
    struct.pack_into("<Q", blob, 32, 16)
    body = bytes(blob[:-4])
    struct.pack_into("<I", blob, len(blob) - 4, crc32c.crc32c(body))

    with pytest.raises(columnar.Corrupt):
        columnar.decode(blob, "k")


def test_writes_queued_during_a_hold_wait_for_its_end(tmp_path):
    files = FileCache(Folder.base(tmp_path / "c"))
    read = _read(3)
    with files.hold():
        assert files.put("k1", IDENT, read, later=True)
        # the writer thread may have taken the job, but it cannot run it while held
        assert files.lookup("k1") is None
        assert sum(q.unfinished_tasks for q in files._writer._queues) == 1
    files.flush()
    assert files.get("k1", IDENT) is not None


def test_a_flush_during_a_hold_writes_everything(tmp_path):
    files = FileCache(Folder.base(tmp_path / "c"))
    with files.hold():
        files.put("k2", IDENT, _read(2), later=True)
        files.flush()
        assert files.get("k2", IDENT) is not None


def test_background_writes_of_one_key_keep_their_order(tmp_path):
    files = FileCache(Folder.base(tmp_path / "c"))
    first, second = _read(3), _read(5)
    for i in range(20):  # other keys spread over the writer threads meanwhile
        files.put(f"other{i}", IDENT, first, later=True)
        files.put("k", IDENT, first if i < 19 else second, later=True)
    files.flush()

    assert len(files.get("k", IDENT).scalars) == 5  # the last one handed over
    assert all(files.get(f"other{i}", IDENT) is not None for i in range(20))
