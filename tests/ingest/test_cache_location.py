"""Where the cache lives and how it is written: in curvedoc's own folder, never in a log
folder, never through a symlink, never into a folder that is not the user's."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from curvedoc.ingest import open_root, read_scalars
from curvedoc.ingest.cache import Cache, root_folder, root_key
from curvedoc.ingest.cache.folder import Folder, RefusedFolder

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")


def _snapshot(folder):
    """Every path under a folder with its type, size and mtime (what 'nothing written' means)."""
    out = {}
    for dirpath, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, folder)] = (stat.S_IFMT(st.st_mode), st.st_size,
                                               st.st_mtime_ns)
    return out


@pytest.fixture
def logs(fake, tmp_path):
    root = tmp_path / "logs"
    for i in range(2):
        fake.write(root / f"run{i}" / "x.fake", fake.curve("loss", range(10)))
    return root


def test_the_cache_lives_in_the_user_cache_folder(logs, _private_cache_dir):
    before = _snapshot(logs)
    frame = read_scalars(str(logs))
    assert len(frame) == 20
    assert _snapshot(logs) == before  # nothing written in the log folder
    mine = _private_cache_dir / "roots" / root_key(str(logs))
    assert len(list((mine / "files").glob("*.cdc"))) == 2
    assert (_private_cache_dir / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f")


def test_the_environment_and_cache_argument_choose_the_folder(logs, tmp_path, monkeypatch,
                                                              _private_cache_dir):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "env"))
    open_root(str(logs)).close()
    assert list((tmp_path / "env").rglob("*.cdc"))
    open_root(str(logs), cache=tmp_path / "arg").close()
    assert list((tmp_path / "arg").rglob("*.cdc"))
    assert not _private_cache_dir.exists()


def test_a_root_is_keyed_by_its_real_path(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert root_key(str(tmp_path / "link")) == root_key(str(tmp_path / "real"))
    assert root_key(str(tmp_path / "real")) != root_key(str(tmp_path / "other"))
    assert root_key("memory://runs") != root_key(str(tmp_path / "runs"))
    assert root_folder("x", tmp_path).parent == tmp_path / "roots"


@posix_only
def test_folders_are_private(logs, _private_cache_dir):
    open_root(str(logs)).close()
    for folder in [_private_cache_dir, *(p for p in _private_cache_dir.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in _private_cache_dir.rglob("*.cdc"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_cache_that_came_with_the_logs_is_never_read_nor_written(logs, fake, tmp_path):
    """An old <root>/.curvedoc-cache/ with symlinks to outside files stays as it is."""
    outside = tmp_path / "outside.db"
    outside.write_bytes(b"another app's database")
    legacy = logs / ".curvedoc-cache"
    legacy.mkdir()
    (legacy / "reads.sqlite").symlink_to(outside)
    (legacy / "reads.sqlite-wal").symlink_to(tmp_path / "planted")
    before, outside_before = _snapshot(logs), outside.read_bytes()
    with open_root(str(logs)) as catalog:
        assert len(catalog.runs) == 2 and not catalog.warnings
    assert _snapshot(logs) == before
    assert outside.read_bytes() == outside_before
    assert not (tmp_path / "planted").exists()


@posix_only
def test_a_symlinked_cache_folder_is_refused_not_written_through(logs, tmp_path, monkeypatch):
    target = tmp_path / "victim"
    target.mkdir()
    (tmp_path / "cachelink").symlink_to(target, target_is_directory=True)
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "cachelink"))
    with open_root(str(logs)) as catalog:
        assert len(catalog.runs) == 2
        assert all(len(r.scalars) == 10 for r in catalog.runs.values())
        (warning,) = catalog.warnings
        assert "symlink" in warning and "cache is off" in warning
    assert list(target.iterdir()) == []


@posix_only
@pytest.mark.parametrize("inner", ["roots", "ROOT", "files", "summaries"])
def test_a_symlinked_folder_inside_the_cache_is_refused(logs, tmp_path, inner):
    base = tmp_path / "cache"
    target = tmp_path / "victim"
    target.mkdir()
    mine = root_folder(str(logs), base)
    link = {"roots": mine.parent, "ROOT": mine}.get(inner, mine / inner)
    link.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    link.symlink_to(target, target_is_directory=True)
    with open_root(str(logs), cache=base) as catalog:
        assert len(catalog.runs) == 2
        assert catalog.cache is not None and not catalog.cache.enabled
        assert any("symlink" in w for w in catalog.warnings)
    assert list(target.iterdir()) == []


@posix_only
def test_a_symlink_planted_at_a_cache_file_is_replaced_never_followed(logs, fake, tmp_path):
    base = tmp_path / "cache"
    open_root(str(logs), cache=base).close()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for path in base.rglob("*.cdc"):
        path.unlink()
        path.symlink_to(victim)  # a planted link where curvedoc reads and writes
    with open_root(str(logs), cache=base) as catalog:
        assert all(len(r.scalars) == 10 for r in catalog.runs.values())  # read, not followed
    assert victim.read_text() == "keep me"
    for path in base.rglob("*.cdc"):
        assert not path.is_symlink()  # the link was replaced by a fresh file


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a folder to another user needs root")
def test_a_cache_folder_of_another_user_is_refused(tmp_path):
    base = tmp_path / "cache"
    base.mkdir(mode=0o700)
    os.chown(base, 12345, -1)
    with pytest.raises(RefusedFolder, match="another user"):
        Folder.base(base)
    cache = Cache(str(tmp_path / "logs"), base)
    assert not cache.enabled and "another user" in cache.disabled_reason


def test_a_folder_that_is_a_file_switches_the_cache_off(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(str(tmp_path / "logs"), blocker / "cache")
    assert not cache.enabled and "cache is off" in cache.disabled_reason
    assert cache.files is None and cache.summaries is None


def test_a_file_name_is_never_a_path(tmp_path):
    folder = Folder.base(tmp_path / "c")
    for name in ("../x", "a/b", "..", ""):
        with pytest.raises(ValueError):
            folder.write(name, [b"x"])
        with pytest.raises(ValueError):
            folder.read(name, 10)
    assert sorted(os.listdir(tmp_path)) == ["c"]


# -- the commands ---------------------------------------------------------------------------


def _cli(*args):
    from curvedoc.dashboard.cli import cli

    return CliRunner().invoke(cli, [*map(str, args)])


@pytest.fixture
def csv_logs(tmp_path):
    root = tmp_path / "logs"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        rows = "\n".join(f"{s},{2.0 / (1 + s)}" for s in range(50))
        (root / name / "metrics.csv").write_text("step,train_loss\n" + rows + "\n")
    return root


def test_check_writes_nothing_into_the_log_folder(csv_logs, _private_cache_dir):
    before = _snapshot(csv_logs)
    result = _cli("check", csv_logs, "--format", "json", "--no-progress", "-j", "1")
    assert result.exit_code in (0, 1), result.output
    assert _snapshot(csv_logs) == before
    assert list(_private_cache_dir.rglob("*.cdc"))


def test_check_no_cache_writes_nothing_anywhere(csv_logs, _private_cache_dir):
    before = _snapshot(csv_logs)
    result = _cli("check", csv_logs, "--no-cache", "--no-progress", "-j", "1")
    assert result.exit_code in (0, 1), result.output
    assert _snapshot(csv_logs) == before and not _private_cache_dir.exists()


def test_check_cache_dir_is_where_the_cache_goes(csv_logs, tmp_path, _private_cache_dir):
    result = _cli("check", csv_logs, "--cache-dir", tmp_path / "mine", "--no-progress", "-j", "1")
    assert result.exit_code in (0, 1), result.output
    assert list((tmp_path / "mine").rglob("*.cdc")) and not _private_cache_dir.exists()
    both = _cli("check", csv_logs, "--cache-dir", tmp_path / "mine", "--no-cache")
    assert both.exit_code == 2 and "exclude each other" in both.output


def test_the_cache_options_of_serve_and_report(csv_logs, tmp_path):
    for command in ("serve", "report"):
        text = _cli(command, "--help").output
        assert "--cache-dir" in text and "--no-cache" in text
    out = tmp_path / "r.html"
    result = _cli("report", csv_logs, "-o", out, "--no-charts", "--cache-dir", tmp_path / "rc")
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "rc").rglob("*.cdc"))


def test_the_dashboard_of_a_folder_writes_nothing_into_it(csv_logs, tmp_path):
    from curvedoc.dashboard.app import create_app

    empty = tmp_path / "empty"
    empty.mkdir()
    before = _snapshot(csv_logs)
    create_app(str(csv_logs), poll_s=0)
    create_app(str(empty), poll_s=0)
    assert _snapshot(csv_logs) == before and list(empty.iterdir()) == []


def test_check_output_is_the_same_cold_and_warm(csv_logs):
    cold = _cli("check", csv_logs, "--format", "json", "--no-progress", "-j", "1")
    warm = _cli("check", csv_logs, "--format", "json", "--no-progress", "-j", "1")
    assert json.loads(cold.stdout) == json.loads(warm.stdout)
    assert cold.stdout == warm.stdout and cold.exit_code == warm.exit_code
