"""Files as a live log folder holds them: empty at first, unreadable for a moment, not
regular files at all, YAML bombs, a wrong config key, crafted SQLite stores.

Each test builds its folder from scratch and asserts what the user sees: the good runs
read, the bad file named on its run, nothing hanging, nothing lost for good.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from curvedoc.ingest import fs, open_root
from curvedoc.ingest.catalog import Catalog
from curvedoc.ingest.formats import _yaml
from curvedoc.ingest.formats.mlflow_sqlite import FORMAT as SQLITE
from curvedoc.ingest.model import RunSource

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


def _catalog(root: Path) -> Catalog:
    return open_root(str(root), cache=False)


# -- item 2: empty at the first scan ----------------------------------------------------


@pytest.mark.parametrize("name,text", [
    ("metrics.csv", "step,loss\n1,0.5\n"),
    ("train.jsonl", '{"step": 1, "loss": 0.5}\n'),
    ("results.tsv", "epoch\tloss\n1\t0.5\n"),
])
def test_a_log_empty_at_the_first_scan_is_picked_up_once_written(tmp_path, name, text):
    run = tmp_path / "exp"
    run.mkdir()
    (run / name).write_text("")
    catalog = _catalog(tmp_path)
    (run / name).write_text(text)
    assert "exp" in catalog.refresh()
    assert catalog.runs["exp"].series("loss")["value"].tolist() == [0.5]


def test_a_lightning_metrics_csv_empty_at_first_is_read_once_written(tmp_path):
    run = tmp_path / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("")
    catalog = _catalog(tmp_path)
    assert catalog.runs["lightning_logs/version_0"].errors
    (run / "metrics.csv").write_text("step,train_loss\n0,1.5\n")
    catalog.refresh()
    run_ = catalog.runs["lightning_logs/version_0"]
    assert run_.errors == [] and run_.series("train_loss")["value"].tolist() == [1.5]


# -- item 6: a moment of trouble is not permanent ---------------------------------------


def _deny(monkeypatch, victim: Path, exc: OSError) -> list[bool]:
    """Make every open of ``victim`` through curvedoc.ingest.fs raise ``exc`` while the
    returned flag is set (tests run as root: mode 000 would not stop a read)."""
    flag = [True]
    real = fs.open_binary

    def open_binary(path, offset=0, **kwargs):
        if flag[0] and os.path.realpath(str(path)) == os.path.realpath(str(victim)):
            raise exc
        return real(path, offset, **kwargs)

    monkeypatch.setattr(fs, "open_binary", open_binary)
    return flag


@pytest.mark.parametrize("name,text,more", [
    ("log.csv", "step,loss\n1,0.5\n2,0.4\n", "3,0.3\n"),
    ("log.jsonl", '{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n',
     '{"step": 3, "loss": 0.3}\n'),
])
def test_a_file_unreadable_during_one_poll_is_read_at_the_next(
    tmp_path, monkeypatch, name, text, more
):
    run = tmp_path / "exp"
    run.mkdir()
    (run / name).write_text(text)
    (run / "other.csv").write_text("step,loss\n1,0.9\n")  # two logs: one run per file
    rid = f"exp/{name}"
    catalog = _catalog(tmp_path)
    assert len(catalog.runs[rid].scalars) == 2
    flag = _deny(monkeypatch, run / name, PermissionError(13, "Permission denied"))
    with (run / name).open("a") as fh:
        fh.write(more)
    catalog.refresh()
    (error,) = catalog.runs[rid].errors
    assert name in error and "Permission denied" in error
    assert catalog.runs["exp/other.csv"].errors == []
    flag[0] = False  # the trouble passes; the file did not change again
    catalog.refresh()
    assert catalog.runs[rid].errors == []
    assert len(catalog.runs[rid].scalars) == 3


def test_an_unreadable_csv_is_named_on_its_run_not_left_out(tmp_path, monkeypatch):
    run = tmp_path / "exp"
    run.mkdir()
    (run / "log.csv").write_text("step,loss\n1,0.5\n")
    (run / "good.csv").write_text("step,loss\n1,0.9\n")
    _deny(monkeypatch, run / "log.csv", PermissionError(13, "Permission denied"))
    catalog = _catalog(tmp_path)
    assert "exp/log.csv" in catalog.runs
    (error,) = catalog.runs["exp/log.csv"].errors
    assert "log.csv" in error and "Permission denied" in error
    assert catalog.runs["exp/good.csv"].series("loss")["value"].tolist() == [0.9]


@pytest.mark.parametrize("name,first,second", [
    ("log.csv", "step,loss\n1,0.5\n2,0.4\n", "2,0.3\n"),
    ("log.jsonl", '{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n',
     '{"step": 2, "loss": 0.3}\n'),
])
def test_a_step_relogged_across_two_polls_keeps_both_rows_like_a_cold_read(
    tmp_path, name, first, second
):
    run = tmp_path / "exp"
    run.mkdir()
    (run / name).write_text(first)
    catalog = _catalog(tmp_path)
    with (run / name).open("a") as fh:
        fh.write(second)
    catalog.refresh()
    live = catalog.runs["exp"].series("loss")
    cold = _catalog(tmp_path).runs["exp"].series("loss")
    assert live["value"].tolist() == cold["value"].tolist() == [0.5, 0.4, 0.3]


def test_a_live_catalog_equals_a_cold_one_after_every_chunk(tmp_path):
    """The catalog path (refresh, append, tail warnings) over a CSV written in pieces."""
    run = tmp_path / "exp"
    run.mkdir()
    data = ("step,loss,acc\n" + "".join(f"{i},{0.93 + i / 1000!r},{i / 7!r}\n"
                                        for i in range(200))).encode()
    path = run / "log.csv"
    path.write_bytes(data[:20])
    catalog = _catalog(tmp_path)
    for end in range(20, len(data) + 37, 37):
        path.write_bytes(data[:end])
        catalog.refresh()
        cold = _catalog(tmp_path)
        for tag in ("loss", "acc"):
            live_rows = catalog.runs["exp"].series(tag)
            cold_rows = cold.runs["exp"].series(tag)
            assert live_rows["step"].tolist() == cold_rows["step"].tolist(), end
            assert live_rows["value"].tolist() == cold_rows["value"].tolist(), end
        # the warning about an unfinished last line holds only while there is one
        assert catalog.runs["exp"].warnings == cold.runs["exp"].warnings, end


# -- item 7: only regular files, with a size cap ----------------------------------------


@posix_only
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", [
    "metrics.csv", "train.jsonl", "trainer_state.json", "events.out.tfevents.1.host",
])
def test_a_fifo_named_like_a_log_is_named_never_opened(tmp_path, name):
    run = tmp_path / "exp"
    run.mkdir()
    os.mkfifo(run / name)
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "log.csv").write_text("step,loss\n1,0.5\n")
    done = threading.Event()
    result = {}

    def work():
        result["catalog"] = _catalog(tmp_path)
        done.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    if not done.wait(30):
        with open(run / name, "wb"):  # let the blocked reader go before failing
            pass
        pytest.fail(f"reading a FIFO named {name} blocked")
    catalog = result["catalog"]
    assert catalog.runs["good"].series("loss")["value"].tolist() == [0.5]
    # given as PATH, the FIFO is a run whose error says what it is
    (run_,) = open_root(str(run / name), cache=False).runs.values()
    (error,) = run_.errors
    assert name in error and "FIFO" in error and "regular file" in error


@posix_only
@pytest.mark.timeout(60)
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["trainer_state.json", "metrics.csv", "log.jsonl"])
def test_a_symlink_to_dev_zero_is_refused_not_read(tmp_path, name):
    run = tmp_path / "exp"
    run.mkdir()
    os.symlink("/dev/zero", run / name)
    catalog = _catalog(tmp_path)
    for r in catalog.runs.values():
        assert len(r.scalars) == 0
    with pytest.raises(fs.NotRegularFile, match="character device"):
        fs.read_bytes(str(run / name))


def test_a_file_beyond_its_formats_cap_is_named_with_the_cap(tmp_path, monkeypatch):
    from curvedoc.ingest.formats import hf_trainer_state

    monkeypatch.setattr(hf_trainer_state, "MAX_BYTES", 1000)
    run = tmp_path / "out"
    run.mkdir()
    (run / "trainer_state.json").write_text('{"log_history": [' + ", ".join(
        f'{{"step": {i}, "loss": 1.0}}' for i in range(100)) + "]}")
    (error,) = _catalog(tmp_path).runs["out"].errors
    assert "trainer_state.json" in error and "1,000 bytes" in error


# -- item 10 and 5: YAML -----------------------------------------------------------------


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _lightning(root: Path, hparams: str) -> Path:
    run = root / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("step,train_loss\n0,1.5\n1,1.2\n")
    (run / "hparams.yaml").write_text(hparams)
    return run


@pytest.mark.timeout(60)
@pytest.mark.parametrize("hparams,why", [
    (_bomb(), "alias"),
    ("a: " + "[" * 3000 + "]" * 3000 + "\n", "nested"),
    ("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n", "nested"),
    ("lr: 0.1\n" + "x: " + "y" * (2 << 20) + "\n", "bytes"),
], ids=["alias-bomb", "deep-list", "deep-map", "huge"])
def test_a_hostile_hparams_yaml_is_named_and_the_scalars_kept(tmp_path, hparams, why):
    _lightning(tmp_path, hparams)
    run = _catalog(tmp_path).runs["lightning_logs/version_0"]
    assert run.series("train_loss")["value"].tolist() == [1.5, 1.2]
    assert run.hparams == {}
    assert any("hparams.yaml" in w and why in w for w in run.warnings), run.warnings


def test_an_invalid_date_in_hparams_yaml_is_kept_as_written(tmp_path):
    _lightning(tmp_path, "lr: 0.01\nstarted: 2024-13-45\nday: 2024-01-02\n")
    run = _catalog(tmp_path).runs["lightning_logs/version_0"]
    assert run.hparams == {"lr": 0.01, "started": "2024-13-45", "day": "2024-01-02"}
    assert run.series("train_loss")["value"].tolist() == [1.5, 1.2]


def test_the_budget_loader_keeps_real_anchors_and_refuses_many():
    assert _yaml.loads("base: &b {lr: 0.1}\nrun: *b\n") == {"base": {"lr": 0.1},
                                                               "run": {"lr": 0.1}}
    many = "a: &a 1\nl: [" + ", ".join(["*a"] * (_yaml.MAX_ALIASES + 1)) + "]\n"
    data, problem = _yaml.load(many)
    assert data is None and "aliases" in problem
    assert _yaml.load("x: !!python/object/apply:os.system ['echo hi']\n")[0] == {
        "x": ["echo hi"]
    }


@pytest.mark.parametrize("meta", [
    "run_id: abc\nlifecycle_stage: active\nstart_time: 2024-13-45 10:00:00\n",
    "run_id: abc\nx: " + "[" * 3000 + "]" * 3000 + "\n",
    _bomb(),
], ids=["bad-date", "deep", "alias-bomb"])
def test_a_broken_mlflow_meta_yaml_keeps_the_run(tmp_path, meta):
    run = tmp_path / "mlruns" / "0" / "abc"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text(meta)
    (run / "metrics" / "loss").write_text("1700000000000 0.5 1\n1700000000001 0.4 2\n")
    catalog = _catalog(tmp_path)
    assert catalog.runs["mlruns/0/abc"].series("loss")["value"].tolist() == [0.5, 0.4]


# -- item 5: config ---------------------------------------------------------------------


@pytest.mark.parametrize("toml,key", [
    ("roles = 5\n", "roles"),
    ("[roles]\nval_loss = 3\n", "roles"),
    ("rules = [1, 2]\n", "rules"),
    ("num_classes = \"ten\"\n", "num_classes"),
])
def test_a_config_key_of_the_wrong_type_costs_only_itself(tmp_path, toml, key):
    run = tmp_path / "exp"
    run.mkdir()
    (run / "log.csv").write_text("step,loss\n1,0.5\n")
    (tmp_path / "curvedoc.toml").write_text(toml + "\n[tool]\n")
    catalog = _catalog(tmp_path)
    assert catalog.runs["exp"].series("loss")["value"].tolist() == [0.5]
    assert key not in catalog.config
    assert any("curvedoc.toml" in w and key in w for w in catalog.warnings), catalog.warnings


def test_the_check_command_survives_a_wrong_config_key(tmp_path):
    from click.testing import CliRunner

    from curvedoc.dashboard.cli import cli

    run = tmp_path / "exp"
    run.mkdir()
    (run / "log.csv").write_text("step,loss\n" + "".join(f"{i},{1 / (i + 1)}\n"
                                                         for i in range(50)))
    (tmp_path / "curvedoc.toml").write_text("roles = 5\n")
    result = CliRunner().invoke(cli, ["check", str(tmp_path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert '"exp"' in result.output


# -- item 9: SQLite ---------------------------------------------------------------------


def _store(path: Path, metrics_sql: str, rows: list[tuple]) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE experiments (experiment_id INTEGER, name TEXT);"
        "CREATE TABLE runs (run_uuid TEXT, name TEXT, lifecycle_stage TEXT, start_time INT);"
        "CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);"
        f"CREATE TABLE metrics ({metrics_sql});"
        "INSERT INTO runs VALUES ('r1', 'one', 'active', 1);"
    )
    for row in rows:
        conn.execute("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                     "VALUES (?, ?, ?, ?, ?, ?)", row)
    conn.commit()
    conn.close()


def _read_store(path: Path):
    source = RunSource(id="mlflow.db#r1", name="one", format="mlflow_sqlite",
                       root=str(path.parent), files=(str(path),), key="r1")
    return SQLITE.read(source, str(path), None)


PLAIN = "key TEXT, value REAL, timestamp INT, run_uuid TEXT, step INT, is_nan INT"


def test_sqlite_steps_are_exact_and_beyond_int64_named(tmp_path):
    path = tmp_path / "mlflow.db"
    _store(path, PLAIN, [
        ("loss", 0.5, 1000, "r1", 2**53 + 1, 0),
        ("loss", 0.4, 1001, "r1", 1e30, 0),
        ("loss", 0.3, 1002, "r1", 3, 0),
    ])
    result = _read_store(path)
    assert result.scalars["step"].tolist() == [2**53 + 1, 3]
    assert result.scalars["value"].tolist() == [0.5, 0.3]
    (warning,) = result.warnings
    assert "mlflow.db" in warning and "64-bit" in warning and "rowid 2" in warning


@pytest.mark.timeout(60)
def test_a_crafted_generated_column_cannot_blow_memory(tmp_path):
    path = tmp_path / "mlflow.db"
    crafted = ("key TEXT, raw REAL, timestamp INT, run_uuid TEXT, step INT, is_nan INT, "
               "value BLOB GENERATED ALWAYS AS (zeroblob(400000000)) VIRTUAL")
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE experiments (experiment_id INTEGER, name TEXT);"
        "CREATE TABLE runs (run_uuid TEXT, name TEXT, lifecycle_stage TEXT, start_time INT);"
        "CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);"
        f"CREATE TABLE metrics ({crafted});"
        "INSERT INTO runs VALUES ('r1', 'one', 'active', 1);"
        "INSERT INTO metrics (key, raw, timestamp, run_uuid, step, is_nan) "
        "VALUES ('loss', 0.5, 1, 'r1', 1, 0);"
    )
    conn.commit()
    conn.close()
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = _read_store(path)
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.errors and "mlflow.db" in result.errors[0]
    assert grew_kb < 200_000  # the 400 MB blob was never built


def test_stores_are_opened_read_only_with_untrusted_schema_and_a_length_limit(tmp_path):
    from curvedoc.ingest.formats.mlflow_sqlite import MAX_VALUE_BYTES, connect

    path = tmp_path / "mlflow.db"
    _store(path, PLAIN, [])
    conn = connect(str(path))
    try:
        assert conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
        with pytest.raises(sqlite3.Error):
            conn.execute("SELECT zeroblob(?)", (MAX_VALUE_BYTES + 1,)).fetchone()
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("CREATE TABLE x (a)")
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_a_fifo_named_like_a_log_inside_a_tree_is_named_not_read(tmp_path):
    run = tmp_path / "runs" / "a"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    os.mkfifo(tmp_path / "runs" / "b.csv")
    with open_root(str(tmp_path / "runs"), cache=False) as catalog:
        assert list(catalog.runs) == ["a"]
        assert any("b.csv" in w and "not a regular file" in w for w in catalog.warnings)
