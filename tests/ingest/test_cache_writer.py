"""The compiled cache writer (``_tfscan.write_columns``) writes, byte for byte, the cache
file the Python encoder writes, for every shape of column it may meet: steps beyond 32
bits, values that are not float32 (and NaN payloads, -0.0, inf), every tag-code width, an
empty read; and the file reads back to the same values."""

from __future__ import annotations

import os
import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curvedoc.ingest.cache import FileIdent, columnar
from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.frames import categorical, file_frame
from curvedoc.ingest.model import FileRead

pytestmark = pytest.mark.skipif(
    columnar._tfscan is None or not hasattr(columnar._tfscan, "write_columns")
    or os.name == "nt", reason="the compiled writer is not built")

IDENT = FileIdent(10, 1, 2, 3, 4, "a" * 32, "b" * 32).to_json()


def _read(steps, values, n_tags: int, walls=None) -> FileRead:
    n = len(steps)
    rng = np.random.default_rng(n + n_tags)
    codes = rng.integers(0, n_tags, n) if n_tags else np.zeros(n, dtype=np.int64)
    width = np.int8 if n_tags < 127 else np.int16 if n_tags < 32_000 else np.int32
    names = [f"tag/{i}" for i in range(max(n_tags, 1))]
    tag = categorical(codes.astype(width), names)
    walls = 1.7e9 + rng.random(n) * 1e4 if walls is None else np.asarray(walls, np.float64)
    frame = file_frame(tag, np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64),
                       walls)
    return FileRead(frame, {"lr": 0.1}, ["a warning"], [], {"offset": 123, "scan": False})


def _both(tmp_path, read: FileRead) -> tuple[bytes, bytes]:
    folder = Folder.base(tmp_path / "cache")
    cols = columnar.columns(read, "key", IDENT)
    assert folder.write("python.cdc", columnar.layout(cols))
    assert columnar.write_compiled(folder, "compiled.cdc", cols) is True
    python = (tmp_path / "cache" / "python.cdc").read_bytes()
    compiled = (tmp_path / "cache" / "compiled.cdc").read_bytes()
    folder.close()
    return python, compiled


NAN_PAYLOAD = struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_0000_1234))[0]
CLOCK = 1_764_600_000.0 + np.cumsum(np.random.default_rng(1).exponential(0.01, 5000))
CASES = {
    "a clock's wall times, steps a few apart": (np.repeat(np.arange(1250), 4), np.float32(
        np.linspace(2, 0, 5000)), 4, CLOCK),
    "wall times hours apart": (np.arange(3) * 1000, np.float32([1, 2, 3]), 1,
                               [CLOCK[0], CLOCK[0] + 7200, CLOCK[0] + 9000]),
    "steps going back and wrapping around int64": ([2**63 - 1, -(2**63), -(2**63) + 100, 5],
                                                   np.float32([1, 2, 3, 4]), 1, None),
    "float32 values, 32-bit steps": (np.arange(1000), np.float32(np.linspace(0, 1, 1000)), 4),
    "steps beyond 32 bits": (np.arange(50) + 2**40, np.float32(np.ones(50)), 3),
    "float64 values": (np.arange(50), np.linspace(0, 1, 50) / 3, 2),
    "nan, -0.0, inf": (np.arange(6), [np.nan, -0.0, np.inf, -np.inf, 0.0, 1e-45], 1),
    "a NaN payload float32 cannot hold": (np.arange(3), [NAN_PAYLOAD, 1.0, 2.0], 1),
    "300 tags (int16 codes)": (np.arange(2000), np.float32(np.ones(2000)), 300),
    "40,000 tags (int32 codes)": (np.arange(50_000), np.float32(np.ones(50_000)), 40_000),
    "one row": ([7], [0.5], 1),
    "no rows": ([], [], 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_compiled_writer_writes_the_python_bytes(tmp_path, case):
    steps, values, n_tags, *walls = CASES[case]
    read = _read(steps, values, n_tags, *walls)
    python, compiled = _both(tmp_path, read)
    assert compiled == python
    ident, back = columnar.decode(bytearray(compiled), "key")
    assert ident == IDENT
    pd.testing.assert_frame_equal(back.scalars, read.scalars)
    assert back.state == read.state and back.warnings == read.warnings


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-200, 200)),
                          st.floats(allow_nan=True, allow_infinity=True),
                          st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                    st.floats(0, 1e-3))), max_size=40),
       st.booleans(), st.booleans())
def test_random_columns_write_the_same_bytes(tmp_path, rows, as_float32, clock):
    steps = np.cumsum([s for s, _, _ in rows], dtype=np.int64) if clock else [s for s, *_ in rows]
    values = np.asarray([v for _, v, _ in rows], dtype=np.float64)
    walls = [w for *_, w in rows]
    if clock:  # a clock's times: small steps from a start
        walls = CLOCK[0] + np.cumsum(np.abs(np.nan_to_num(walls)) % 1e-3)
    if as_float32:
        with np.errstate(over="ignore"):
            values = values.astype(np.float32).astype(np.float64)
    read = _read(steps, values, 3 if rows else 0, walls)
    python, compiled = _both(tmp_path, read)
    assert compiled == python
    _, back = columnar.decode(bytearray(compiled), "key")
    for col in ("step", "value", "wall_time"):
        got, want = back.scalars[col].to_numpy(), read.scalars[col].to_numpy()
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_a_failed_write_leaves_no_file(tmp_path):
    folder = Folder.base(tmp_path / "cache")
    cols = columnar.columns(_read(np.arange(10), np.ones(10), 2), "key", IDENT)
    os.mkdir(tmp_path / "cache" / "taken.cdc")  # a folder where the file should go
    (tmp_path / "cache" / "taken.cdc" / "x").write_text("x")
    assert columnar.write_compiled(folder, "taken.cdc", cols) is False
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["taken.cdc"]
    folder.close()


@pytest.mark.parametrize("compiled", [True, False])
def test_a_file_cache_stores_and_serves_with_either_writer(tmp_path, monkeypatch, compiled):
    from curvedoc.ingest.cache import files

    monkeypatch.setattr(files, "COMPILED", compiled)
    cache = files.FileCache(Folder.base(tmp_path / "cache"))
    assert cache.writes_off_the_gil is compiled
    ident = FileIdent.from_json(IDENT)
    read = _read(np.arange(500), np.float32(np.ones(500)), 3, CLOCK[:500])
    assert cache.put("key", ident, read, later=True)
    cache.flush()
    got = cache.get("key", ident)
    pd.testing.assert_frame_equal(got.scalars, read.scalars)
    cache.folder.close()
