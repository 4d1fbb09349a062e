"""What `curvedoc serve` says in the terminal: where to open it, how many runs, nothing
from waitress's queue, "Stopped." on Ctrl+C, and a folder without runs said plainly
(issue 9, Terminal: serve; issue 12, item 15)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import urlopen

import pytest
from dash_fixtures import memory_run, sweep_curves, write_tb_run
from security_helpers import CALLBACK_URL, Callbacks

from curvedoc.dashboard.app import create_app, folder_notice, poll

TIMEOUT_S = 120


class ServeProcess:
    """`curvedoc serve PATH --port 0 --no-browser …` in a child process, read line by line."""

    def __init__(self, *args: str) -> None:
        code = "from curvedoc.dashboard.cli import main; main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", *args, "--port", "0", "--no-browser"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "NO_COLOR": "1"},
            # Ctrl+C must reach it even when the tests run with SIGINT ignored (CI)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: list[str] = []
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        found: list[str] = []

        def read() -> None:
            for line in self.proc.stdout:
                self.lines.append(line)
                match = re.search(r"http://\S+/", line)
                if match:
                    found.append(match.group(0))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(TIMEOUT_S)
        if not found:
            self.proc.kill()
            raise AssertionError(f"serve printed no URL: {self.lines} {self.proc.stderr.read()}")
        return found[0]

    def stop(self) -> tuple[str, str, int]:
        """Ctrl+C; the whole stdout, stderr and the exit code."""
        self.proc.send_signal(signal.SIGINT)
        try:
            out, err = self.proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return "".join(self.lines) + out, err, self.proc.returncode


@pytest.fixture(scope="module")
def one_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("one_run")
    write_tb_run(root / "only", sweep_curves(1e-3, n=30), every={"val/loss": 10})
    return root


def test_serve_says_where_to_open_it_and_stopped_on_ctrl_c(one_run):
    serve = ServeProcess(str(one_run), "--threads", "1")
    try:
        with urlopen(serve.url, timeout=TIMEOUT_S) as resp:
            assert resp.status == 200
        # more connections at once than threads: waitress would log its queue depth
        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(lambda _: urlopen(serve.url, timeout=TIMEOUT_S).read(),
                                  range(16)))
        assert all(b"_dash-config" in p for p in pages)
    finally:
        out, err, code = serve.stop()
    assert re.search(r"^Open http://127\.0\.0\.1:\d+/ in your browser", out, re.M), out
    assert "curvedoc: 1 run under" in out and "1 runs" not in out + err
    assert out.rstrip().endswith("Stopped.") and code == 0, (out, err)
    assert "Task queue depth" not in err


def test_serve_on_a_folder_without_runs_says_what_it_looked_for(tmp_path):
    serve = ServeProcess(str(tmp_path))
    out, err, code = serve.stop()
    assert f"No runs found under {tmp_path}" in err
    for fmt in ("TensorBoard", "CSV", "JSON lines", "MLflow", "Lightning", "trainer_state"):
        assert fmt in err, fmt
    assert "Open http://" in out and code == 0


def test_the_page_says_no_runs_until_some_arrive(tmp_path):
    app = create_app(str(tmp_path), poll_s=1)
    state = app.server.config["CURVEDOC_STATE"]
    client = app.server.test_client()
    calls = Callbacks(client)
    notice = calls.find("app-notice.children")
    resp = client.post(CALLBACK_URL, json=calls.body(notice, {"data-version-store.data": 0}))
    text = json.dumps(resp.get_json())  # Dash writes "/" as "\\/"
    assert resp.status_code == 200 and f"No runs found under {tmp_path}" in text
    assert "TensorBoard event files" in text and "MLflow" in text
    write_tb_run(tmp_path / "late", sweep_curves(1e-3, n=30), every={"val/loss": 10})
    poll(state)
    assert list(state.runs) == ["late"] and folder_notice(state) is None


def test_status_line_counts_one_run_as_one_run():
    run = memory_run("a")
    app = create_app({run.id: run}, poll_s=1)
    state = app.server.config["CURVEDOC_STATE"]
    state.pending = {"a"}
    _, status = poll(state)
    assert "diagnosing 1 run…" in status
