"""Fixtures of the dashboard tests (helpers live in dash_fixtures.py, importable from here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dash_fixtures import write_sample_root


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory) -> Path:
    """A small log root written by tensorboardX: an LR sweep and two seeds."""
    return write_sample_root(tmp_path_factory.mktemp("dash_runs"))
