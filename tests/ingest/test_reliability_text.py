"""Text logs (CSV, JSON lines, MLflow metric files) read while a trainer writes them.

Property-based (hypothesis): each case is a log built from first principles, with the
points every line must give (Python's own ``float``/``int`` of what was written). The file
is written in random chunks, cut anywhere (inside a number, inside a CRLF, inside a UTF-8
character); after every chunk the reader reads on from its state. Promised, for every
prefix of every file:

- the live read so far equals a cold read of the same bytes, and both equal the points of
  the complete lines (a line counts only once its newline is there: no value is ever read
  from a half-written line);
- every value is kept exactly as written (bit for bit), every step exactly (beyond 2^53
  too); a step beyond int64 is skipped and named by its line number;
- a bad line costs only itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from format_calls import read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_model import (
    INT64_MAX,
    INT64_MIN,
    TextCase,
    check_dtypes,
    expected_rows,
    rows_of,
)

from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.csv_table import FORMAT as CSV
from curvedoc.ingest.formats.jsonl import FORMAT as JSONL
from curvedoc.ingest.formats.mlflow_file import FORMAT as MLFLOW
from curvedoc.ingest.model import RunSource

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- what a log may hold ----------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
steps = st.one_of(
    st.integers(0, 10_000),
    st.integers((1 << 53) - 3, (1 << 53) + 3),  # where a float would lose the last digit
    st.integers(INT64_MAX - 3, INT64_MAX),
    st.integers(INT64_MIN, INT64_MIN + 3),
)
huge_steps = st.one_of(st.integers(INT64_MAX + 1, 10**30), st.integers(-(10**30), INT64_MIN - 1))


@st.composite
def number_text(draw) -> tuple[str, float | None]:
    """A cell as loggers write numbers, and its value (None: not logged)."""
    kind = draw(st.sampled_from(["repr", "g", "e", "int", "nan", "inf", "empty", "NA", "pad"]))
    x = draw(finite)
    if kind == "repr":
        return repr(x), x
    if kind == "g":
        text = format(x, ".6g")
        return text, float(text)
    if kind == "e":
        text = format(x, ".17e")
        return text, float(text)
    if kind == "int":
        n = draw(st.integers(-(10**20), 10**20))
        return str(n), float(n)
    if kind == "nan":
        return draw(st.sampled_from(["nan", "NaN"])), math.nan
    if kind == "inf":
        text = draw(st.sampled_from(["inf", "-inf", "Infinity", "-Infinity"]))
        return text, float(text)
    if kind == "pad":
        return f" {x!r}", x
    return ("" if kind == "empty" else "NA"), None


@st.composite
def csv_cases(draw) -> TextCase:
    names = draw(st.lists(st.sampled_from(["loss", "val_loss", "acc", "lr", "grad_norm"]),
                          min_size=1, max_size=3, unique=True))
    lines = [",".join(["step", *names])]
    points: list[list] = [[]]
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["row"] * 8 + ["huge", "short", "blank", "junk"]))
        if kind == "blank":
            lines.append("")
            points.append([])
            continue
        if kind == "short" and len(names) > 1:  # fewer fields than the header: skipped
            lines.append(f"{draw(steps)},1.0")
            points.append([])
            continue
        step = draw(huge_steps) if kind == "huge" else draw(steps)
        cells = [draw(number_text()) for _ in names]
        if kind == "junk":  # a cell of text in a metric column: that cell alone is skipped
            cells[0] = ("oops", None)
        lines.append(",".join([str(step), *(text for text, _ in cells)]))
        points.append([] if kind == "huge" else [
            (name, step, value) for name, (_, value) in zip(names, cells, strict=True)
            if value is not None
        ])
    return TextCase(lines, points, newline=draw(st.sampled_from(["\n", "\r\n"])),
                    header_lines=1, final_newline=draw(st.booleans()))


def _json_number(draw) -> tuple[str, float | None]:
    kind = draw(st.sampled_from(["float", "int", "bigint", "nan", "inf", "null"]))
    if kind == "float":
        x = draw(finite)
        return json.dumps(x), x
    if kind == "int":
        n = draw(st.integers(-(10**25), 10**25))
        return str(n), float(n)
    if kind == "bigint":  # no float holds it: skipped (and named), never a crash
        return "9" * 400, None
    if kind == "nan":
        return "NaN", math.nan
    if kind == "inf":
        text = draw(st.sampled_from(["Infinity", "-Infinity"]))
        return text, float(text)
    return "null", None


@st.composite
def jsonl_cases(draw) -> TextCase:
    lines, points = [], []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["row"] * 8 + ["huge", "deep", "broken", "nested"]))
        if kind == "deep":  # nested far deeper than any parser's stack
            lines.append('{"step": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}")
            points.append([])
            continue
        if kind == "broken":
            lines.append('{"step": 3, "loss": 0.')
            points.append([])
            continue
        step = draw(huge_steps) if kind == "huge" else draw(steps)
        keys = draw(st.lists(st.sampled_from(["loss", "acc", "lr"]), min_size=1, max_size=3,
                             unique=True))
        cells = {key: _json_number(draw) for key in keys}
        if kind == "nested":
            body = ", ".join(f'"{k}": {text}' for k, (text, _) in cells.items())
            lines.append(f'{{"step": {step}, "train": {{{body}}}}}')
            prefix = "train/"
        else:
            body = "".join(f', "{k}": {text}' for k, (text, _) in cells.items())
            lines.append(f'{{"step": {step}{body}}}')
            prefix = ""
        points.append([] if kind == "huge" else [
            (prefix + key, step, value) for key, (_, value) in cells.items() if value is not None
        ])
    return TextCase(lines, points, final_newline=draw(st.booleans()))


@st.composite
def mlflow_cases(draw) -> TextCase:
    lines, points = [], []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["row"] * 8 + ["two", "four", "trailing", "huge", "tab"]))
        stamp = draw(st.integers(0, 2_000_000_000_000))
        text, value = draw(number_text())
        if value is None:
            text, value = "0.5", 0.5
        text = text.strip()
        step = draw(huge_steps) if kind == "huge" else draw(steps)
        if kind == "two":  # no step: MLflow reads step 0
            lines.append(f"{stamp} {text}")
            points.append([("m", 0, value)])
        elif kind == "four":  # MLflow rejects a 4th field: the line is skipped, not shifted
            lines.append(f"{stamp} {text} {step} 7")
            points.append([])
        elif kind == "trailing":  # MLflow strips the line first: a trailing space is fine
            lines.append(f"{stamp} {text} {step} ")
            points.append([("m", step, value)])
        elif kind == "tab":
            lines.append(f"{stamp}\t{text} {step}")
            points.append([])
        else:
            lines.append(f"{stamp} {text} {step}")
            points.append([] if kind == "huge" else [("m", step, value)])
    return TextCase(lines, points, final_newline=draw(st.booleans()))


# -- how they are read ------------------------------------------------------------------


def _csv_read(path: Path, state):
    return read(CSV, path, state)


def _jsonl_read(path: Path, state):
    return read(JSONL, path, state)


def _mlflow_read(path: Path, state):
    folder = path.parent.parent  # <run>/metrics/m
    source = RunSource(id=".", name="r", format="mlflow_file", root=str(folder),
                       files=(str(path),))
    return MLFLOW.read(source, str(path), state)


def _mlflow_path(tmp: Path) -> Path:
    (tmp / "metrics").mkdir(parents=True, exist_ok=True)
    return tmp / "metrics" / "m"


FORMATS = {
    "csv": (csv_cases(), lambda tmp: tmp / "log.csv", _csv_read),
    "jsonl": (jsonl_cases(), lambda tmp: tmp / "log.jsonl", _jsonl_read),
    "mlflow": (mlflow_cases(), _mlflow_path, _mlflow_read),
}


def live_and_cold(case: TextCase, cuts: list[int], folder: Path, where, reader) -> None:
    """Write ``case`` in chunks ending at ``cuts``; after each, the live read so far must
    equal a cold read of the bytes written and the points of their complete lines."""
    import pandas as pd

    from curvedoc.ingest.frames import concat

    data = case.data()
    path = where(folder)
    (folder / "cold").mkdir(exist_ok=True)
    cold_path = where(folder / "cold")
    path.write_bytes(b"")
    state, frames = None, []
    for end in [*sorted(set(cuts)), len(data)]:
        with path.open("ab") as fh:
            fh.write(data[path.stat().st_size : end])
        result = reader(path, state)
        if result.errors:  # nothing usable yet (an empty file, a header alone): read anew
            state, frames = None, []
            continue
        check_dtypes(result.scalars)
        frames = [result.scalars] if result.reset else [*frames, result.scalars]
        state = result.state
        live = concat(frames) if frames else pd.DataFrame(columns=["tag", "step", "value"])
        cold_path.write_bytes(data[:end])
        cold = reader(cold_path, None)
        want = expected_rows(case.expected(data[:end]))
        assert rows_of(cold.scalars) == want, ("cold", end, data[:end])
        assert rows_of(live) == want, ("live", end, data[:end])
    final = reader(path, None)
    assert rows_of(final.scalars) == expected_rows(case.expected(data))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_live_reads_equal_cold_reads_and_what_was_written(fmt, tmp_path_factory):
    cases, where, reader = FORMATS[fmt]

    @SETTINGS
    @given(case=cases, cuts=st.lists(st.integers(1, 4000), max_size=6),
           block=st.sampled_from([tab.BLOCK_BYTES, 1, 7, 64]))
    def check(case, cuts, block):
        folder = tmp_path_factory.mktemp(fmt)
        default, tab.BLOCK_BYTES = tab.BLOCK_BYTES, block  # lines across block boundaries
        try:
            live_and_cold(case, cuts, folder, where, reader)
        finally:
            tab.BLOCK_BYTES = default

    check()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_byte_at_a_time_is_read_like_the_whole(fmt, tmp_path):
    """The slowest writer there is: every byte a separate write and a separate read."""
    _, where, reader = FORMATS[fmt]
    lines = {
        "csv": TextCase(["step,loss,acc", "1,0.93,1e-3", "2,-0.0,nan", "9007199254740993,0.5,"],
                        [[], [("loss", 1, 0.93), ("acc", 1, 1e-3)],
                         [("loss", 2, -0.0), ("acc", 2, math.nan)],
                         [("loss", 9007199254740993, 0.5)]], newline="\r\n"),
        "jsonl": TextCase(['{"step": 1, "loss": 0.93}', '{"step": 9007199254740993, "loss": 2}'],
                          [[("loss", 1, 0.93)], [("loss", 9007199254740993, 2.0)]]),
        "mlflow": TextCase(["1700000000000 0.93 1", "1700000000001 0.5 9007199254740993"],
                           [[("m", 1, 0.93)], [("m", 9007199254740993, 0.5)]]),
    }[fmt]
    data = lines.data()
    live_and_cold(lines, list(range(1, len(data))), tmp_path, where, reader)


# -- numbers, named ---------------------------------------------------------------------


def test_csv_steps_beyond_int64_are_named_and_skipped_and_big_ones_kept_exactly(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("step,loss\n9007199254740993,0.1\n1e30,0.2\n99999999999999999999,0.3\n"
                    "-9223372036854775808,0.4\n")
    result = read(CSV, path)
    assert result.scalars["step"].tolist() == [9007199254740993, -9223372036854775808]
    assert result.scalars["value"].tolist() == [0.1, 0.4]
    (warning,) = [w for w in result.warnings if "64-bit" in w]
    assert "log.csv" in warning and "line 3, 4" in warning


def test_jsonl_steps_beyond_int64_and_400_digit_values_are_named(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"step": 9007199254740993, "loss": 1}\n'
                    '{"step": 100000000000000000000000000000, "loss": 2}\n'
                    '{"step": 3, "loss": ' + "7" * 400 + ', "acc": 0.5}\n')
    result = read(JSONL, path)
    assert sorted(zip(result.scalars["tag"].astype(str), result.scalars["step"].tolist(),
                      strict=True)) == [("acc", 3), ("loss", 9007199254740993)]
    text = "\n".join(result.warnings)
    assert "line 2" in text and "64-bit" in text
    assert "'loss' at line 3" in text and "too large" in text


def test_mlflow_lines_with_a_fourth_field_are_rejected_never_shifted(tmp_path):
    path = _mlflow_path(tmp_path)
    path.write_text("1700000000000 0.5 1 extra\n1700000000000 0.25 2 \n1700000000000 0.125 3\n")
    result = _mlflow_read(path, None)
    assert result.scalars["step"].tolist() == [2, 3]
    assert result.scalars["value"].tolist() == [0.25, 0.125]
    (warning,) = result.warnings
    assert str(path) in warning and "line 1" in warning


def test_a_quoted_cell_after_a_space_costs_only_its_own_cell(tmp_path):
    path = tmp_path / "log.csv"
    rows = "".join(f"{i},{i / 10}\n" for i in range(147))
    path.write_text('step,loss\n50, "x,y"\n' + rows)
    result = read(CSV, path)
    assert result.errors == []
    assert len(result.scalars) == 147
    assert any("line 2" in w for w in result.warnings)


def test_a_ragged_csv_keeps_every_row_widening_the_header(tmp_path):
    """Issue 13: a 3-column header, then 15-column rows (a logger added metrics mid-run)."""
    path = tmp_path / "results.csv"
    wide = "".join(f"{i},{i}.5,{i}.25" + "".join(f",{k}" for k in range(12)) + "\n"
                   for i in range(3, 1000))
    path.write_text("step,loss,acc\n1,1.5,1.25\n2,2.5,2.25\n" + wide)
    result = read(CSV, path)
    loss = result.scalars[result.scalars["tag"] == "loss"]
    assert loss["step"].tolist() == list(range(1, 1000))
    extra = result.scalars[result.scalars["tag"] == "column_15"]
    assert len(extra) == 997 and set(extra["value"]) == {11.0}
    assert any("line 4" in w and "widened" in w for w in result.warnings)


def test_a_new_header_line_names_the_columns_from_there_on(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("step,loss\n1,0.5\nstep,loss,acc\n2,0.4,0.9\n")
    result = read(CSV, path)
    got = sorted(zip(result.scalars["tag"].astype(str), result.scalars["step"].tolist(),
                     strict=True))
    assert got == [("acc", 2), ("loss", 1), ("loss", 2)]
    assert result.errors == []


def test_a_damaged_first_row_does_not_hide_the_file(tmp_path):
    from curvedoc.ingest import open_root

    run = tmp_path / "exp"
    run.mkdir()
    (run / "log.csv").write_text("step,loss\n1,0.5,junk,more\n2,0.4\n3,0.3\n")
    (run / "other.csv").write_text("step,loss\n\x01\x02\n1,0.9\n")
    with open_root(str(tmp_path), cache=False) as catalog:
        runs = {rid: run for rid, run in catalog.runs.items()}
        assert set(runs) == {"exp/log.csv", "exp/other.csv"}
        assert runs["exp/log.csv"].series("loss")["value"].tolist() == [0.5, 0.4, 0.3]
        assert runs["exp/other.csv"].series("loss")["value"].tolist() == [0.9]


def test_a_deep_or_huge_first_line_hides_neither_its_file_nor_its_neighbours(tmp_path):
    from curvedoc.ingest import open_root

    run = tmp_path / "exp"
    run.mkdir()
    deep = '{"step": 0, "x": ' + "[" * 5000 + "]" * 5000 + "}"
    good = '{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n'
    (run / "a.jsonl").write_text(deep + "\n" + good)
    huge = '{"step": 1, "loss": ' + "9" * 400 + "}\n"
    (run / "b.jsonl").write_text(huge + '{"step": 2, "loss": 0.3}\n')
    (run / "c.csv").write_text("step,loss\n1,0.9\n")
    with open_root(str(tmp_path), cache=False) as catalog:
        runs = catalog.runs
        assert runs["exp/a.jsonl"].series("loss")["value"].tolist() == [0.5, 0.4]
        assert any("line 1" in w for w in runs["exp/a.jsonl"].warnings)
        assert runs["exp/b.jsonl"].series("loss")["value"].tolist() == [0.3]
        assert runs["exp/c.csv"].series("loss")["value"].tolist() == [0.9]


def test_one_headerless_column_is_named_once_in_the_warning(tmp_path):
    """A semicolon log whose rows hold one value more than the header names."""
    path = tmp_path / "log.csv"
    path.write_text("epoch;loss;acc\n" + "".join(f"{e};0.{9 - e};0.{e + 4};0.8{e}\n"
                                                 for e in range(1, 6)))
    result = read(CSV, path)
    extra = result.scalars[result.scalars["tag"] == "column_4"]
    assert extra["value"].tolist() == [0.81, 0.82, 0.83, 0.84, 0.85]
    assert any("line 2 has 4 fields where the header names 3" in w
               and "the extra column is read as column_4 " in w for w in result.warnings)
