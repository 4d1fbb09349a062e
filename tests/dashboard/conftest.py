"""Fixtures of the dashboard tests (helpers live in dash_fixtures.py and browser.py).

One Chromium serves every browser test of the session (starting one costs seconds);
each test gets it back at 1440×900 with its console log emptied.
"""

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


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """The session's headless Chromium (skipped where none is installed)."""
    from browser import need_browser, start_chromium

    need_browser()
    drv = start_chromium(str(tmp_path_factory.mktemp("chromium-profile")))
    yield drv
    drv.quit()


@pytest.fixture
def driver(chromium):
    """The session's Chromium, at 1440×900 with an empty console log."""
    chromium.set_window_size(1440, 900)
    chromium.get("about:blank")
    chromium.get_log("browser")  # drain what earlier tests left
    yield chromium
