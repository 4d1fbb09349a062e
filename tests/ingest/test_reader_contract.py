"""The shared reader suite: every format, through the ingest core, keeps the same contract.

Each module in ``tests/ingest/samples/`` is named after a format and has
``write_sample(folder) -> {"path", "tags", "n"}`` (``tags``: tag -> points, or a list).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from format_calls import assert_canonical

from curvedoc.ingest import discover, open_root, read_run
from curvedoc.ingest.formats.base import formats
from curvedoc.ingest.frames import later_wins

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.py") if not p.stem.startswith("_"))


def _sample(name: str):
    spec = importlib.util.spec_from_file_location(f"curvedoc_sample_{name}", SAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=SAMPLE_NAMES)
def sample(request, tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))
    root = tmp_path / "logs"
    root.mkdir()
    info = _sample(request.param).write_sample(root)
    tags = info["tags"]
    info["counts"] = dict(tags) if isinstance(tags, dict) else None
    info["tags"] = sorted(tags)
    info["format"] = request.param
    info["root"] = root
    return info


def test_every_format_has_a_sample_module():
    missing = sorted(set(formats()) - set(SAMPLE_NAMES))
    assert not missing, f"add tests/ingest/samples/<format>.py for: {missing}"


def test_discover_finds_exactly_one_run_of_the_format(sample):
    sources = discover(str(sample["root"]))
    assert len(sources) == 1, [s.id for s in sources]
    assert sources[0].format == sample["format"]
    path = Path(sample["path"])
    inside = path if path.is_dir() else path.parent
    assert all(Path(f).resolve().is_relative_to(inside.resolve()) for f in sources[0].files)


def test_read_run_gives_the_canonical_frame_tags_and_rows(sample):
    (source,) = discover(str(sample["root"]))
    run = read_run(source)
    assert run.errors == []
    frame = run.scalars
    assert_canonical(frame)
    assert sorted(frame["tag"].unique()) == sample["tags"]
    assert len(frame) == sample["n"]
    if sample["counts"]:
        per_tag = frame.groupby("tag", observed=True).size().to_dict()
        assert per_tag == sample["counts"]


def test_roles_include_a_loss(sample):
    (source,) = discover(str(sample["root"]))
    roles = read_run(source).roles
    assert "train_loss" in roles or "val_loss" in roles, roles


def test_rereading_with_state_adds_nothing(sample):
    (source,) = discover(str(sample["root"]))
    fmt = formats()[source.format]
    for path in source.files:
        first = fmt.read(source, path, None)
        again = fmt.read(source, path, first.state)
        merged, _ = later_wins([first.scalars, again.scalars])
        assert len(merged) == len(first.scalars), path
        assert again.errors == []


def test_a_refresh_of_an_unchanged_folder_changes_nothing(sample):
    with open_root(str(sample["root"])) as catalog:
        before = catalog.scalars()
        assert catalog.refresh() == set()
        pd.testing.assert_frame_equal(catalog.scalars(), before)


def test_a_warm_open_parses_nothing_and_gives_the_same_frame(sample, monkeypatch):
    with open_root(str(sample["root"])) as cold:
        first = {rid: run.scalars for rid, run in cold.runs.items()}
        fmt = formats()[next(iter(cold.runs.values())).format]

    def no_parsing(*args, **kwargs):
        raise AssertionError("a warm open parsed a file")

    monkeypatch.setattr(fmt, "read", no_parsing)
    with open_root(str(sample["root"])) as warm:
        assert list(warm.runs) == list(first)
        for rid, run in warm.runs.items():
            assert run.errors == []
            pd.testing.assert_frame_equal(run.scalars, first[rid])


def test_the_format_sniffs_its_files(sample):
    (source,) = discover(str(sample["root"]))
    fmt = formats()[source.format]
    for path in source.files:
        with open(path, "rb") as fh:
            head = fh.read(4096)
        assert fmt.sniff(path, head), path
