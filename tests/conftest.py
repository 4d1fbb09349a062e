"""Fixtures for every test: no test writes into the machine's own cache folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache_dir(monkeypatch, tmp_path_factory):
    """curvedoc's default cache folder, for one test: a fresh folder outside its tmp_path
    (XDG_CACHE_HOME for subprocesses, the function itself for every platform)."""
    from curvedoc.ingest.cache import location

    base = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    monkeypatch.delenv("CURVEDOC_CACHE_DIR", raising=False)
    monkeypatch.setattr(location, "user_cache_dir", lambda: base / "curvedoc")
    return base / "curvedoc"
