"""Remote roots for real: ``s3://bucket/runs`` through s3fs, against moto's S3 server.

The server listens on 127.0.0.1 on a free port for this module and is stopped at its end;
credentials are dummies. Requests are counted by wrapping ``S3FileSystem._call_s3``, the one
method every s3fs request goes through.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

sys.path.insert(0, str(Path(__file__).parent))
from samples.tensorboard import curves, scalar_event, write_events  # noqa: E402

from curvedoc.ingest import open_root  # noqa: E402
from curvedoc.ingest.discover import walk  # noqa: E402


@pytest.fixture(scope="module")
def endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(endpoint, monkeypatch, tmp_path):
    """A fresh bucket on the server; s3fs finds the server through AWS_ENDPOINT_URL."""
    import s3fs

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "cache"))
    s3fs.S3FileSystem.clear_instance_cache()
    name = f"logs-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    yield Bucket(client, name)
    s3fs.S3FileSystem.clear_instance_cache()


class Bucket:
    def __init__(self, client, name: str):
        self.client = client
        self.name = name

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def url(self, prefix: str) -> str:
        return f"s3://{self.name}/{prefix}"


@pytest.fixture
def requests(monkeypatch):
    """Every S3 request s3fs makes, by API name, with its arguments."""
    import s3fs

    calls: list[tuple[str, dict]] = []
    original = s3fs.S3FileSystem._call_s3

    async def counting(self, method, *args, **kwargs):
        calls.append((getattr(method, "__name__", str(method)), kwargs))
        return await original(self, method, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "_call_s3", counting)
    return calls


def event_bytes(tmp_path: Path, n_steps: int = 40, shift: float = 0.0) -> bytes:
    data = curves(n_steps)
    events = sorted((scalar_event(tag, step, v + shift) for tag, pts in data.items()
                     for step, v in pts), key=lambda e: e.step)
    folder = tmp_path / uuid.uuid4().hex
    return write_events(folder, events).read_bytes()


def frame_of(catalog) -> pd.DataFrame:
    frame = catalog.scalars()
    frame = frame.assign(run=frame["run"].astype(str), tag=frame["tag"].astype(str))
    return frame.sort_values(["run", "tag", "step"]).reset_index(drop=True)


def test_a_bucket_reads_like_the_same_folder_on_disk(bucket, tmp_path):
    local = tmp_path / "runs"
    csv = "step,loss,val_loss\n" + "".join(f"{s},{2 / (s + 1)},{2.2 / (s + 1)}\n"
                                           for s in range(30))
    (local / "sweep" / "lr_0.1").mkdir(parents=True)
    (local / "sweep" / "lr_0.1" / "history.csv").write_text(csv)
    (local / "tb" / "seed_0").mkdir(parents=True)
    (local / "tb" / "seed_0" / "events.out.tfevents.1.host").write_bytes(event_bytes(tmp_path))
    for path in local.rglob("*"):
        if path.is_file():
            bucket.put(f"runs/{path.relative_to(local).as_posix()}", path.read_bytes())

    remote = open_root(bucket.url("runs"), cache=False)
    here = open_root(str(local), cache=False)

    assert list(remote.runs) == ["sweep/lr_0.1", "tb/seed_0"] == list(here.runs)
    assert [r.format for r in remote.runs.values()] == ["csv_table", "tensorboard"]
    assert all(not r.errors and not r.warnings for r in remote.runs.values())
    pd.testing.assert_frame_equal(frame_of(remote), frame_of(here))


def test_a_bucket_of_1000_runs_is_listed_in_one_pass(bucket, tmp_path, requests):
    body = event_bytes(tmp_path, n_steps=5)
    for i in range(1000):
        bucket.put(f"runs/group_{i % 10}/run_{i:04d}/events.out.tfevents.1.host", body)

    found = walk(bucket.url("runs"))

    assert len(found.sources) == 1000 and not found.warnings
    assert found.sources[0].id == "group_0/run_0000"
    by_api = Counter(name for name, _ in requests)
    # one recursive listing (1,000 keys fit in one ListObjectsV2 page), plus the look at
    # what the root is; nothing per folder, nothing per file
    assert by_api["list_objects_v2"] <= 2, by_api
    assert sum(by_api.values()) <= 4, by_api


def test_reading_the_runs_asks_nothing_more_about_their_files(bucket, tmp_path, requests):
    body = event_bytes(tmp_path)
    for i in range(20):
        bucket.put(f"runs/run_{i:02d}/events.out.tfevents.1.host", body)

    catalog = open_root(bucket.url("runs"), cache=False)

    assert len(catalog.runs) == 20 and all(len(r.scalars) == 80 for r in catalog.runs.values())
    by_api = Counter(name for name, _ in requests)
    assert by_api["head_object"] <= 1, by_api  # sizes come from the one listing
    # one ranged GET per file for its records, one for the cache's ident of a small file
    # (its first and last 4 KiB, which tell a grown object from a replaced one)
    assert by_api["get_object"] == 40, by_api


def test_a_growing_object_is_read_from_where_the_last_read_stopped(bucket, tmp_path, requests):
    key = "runs/live/events.out.tfevents.1.host"
    first = event_bytes(tmp_path, n_steps=40)
    bucket.put(key, first)
    catalog = open_root(bucket.url("runs"), cache=False)
    assert catalog.runs["live"].scalars["step"].max() == 39

    # S3 has no append: the trainer's sync uploads the whole, longer file again
    more = sorted((scalar_event(tag, step, v) for tag, pts in curves(60).items()
                   for step, v in pts if step >= 40), key=lambda e: e.step)
    longer = event_bytes_appended(tmp_path, first, more)
    bucket.put(key, longer)
    requests.clear()

    assert catalog.refresh() == {"live"}
    refresh_ranges = [kw.get("Range", "") for name, kw in requests if name == "get_object"]

    run = catalog.runs["live"]
    cold = open_root(bucket.url("runs"), cache=False).runs["live"]
    assert run.scalars["step"].max() == 59 and len(run.scalars) == 120
    pd.testing.assert_frame_equal(run.scalars.reset_index(drop=True),
                                  cold.scalars.reset_index(drop=True))
    # the records are read on from where the last read stopped; the other GETs are the
    # cache ident's look at the object's first and last 4 KiB (that it only grew)
    records = [r for r in refresh_ranges if not r.startswith("bytes=0-")]
    assert records and all(r.startswith(f"bytes={len(first)}-") for r in records), refresh_ranges
    assert len(refresh_ranges) <= 3, refresh_ranges


def event_bytes_appended(tmp_path: Path, head: bytes, events) -> bytes:
    from samples.tensorboard import write_records

    path = tmp_path / f"{uuid.uuid4().hex}.tfevents"
    path.write_bytes(head)
    write_records(path, [e.SerializeToString() for e in events], mode="ab")
    return path.read_bytes()


def test_an_object_replaced_by_one_of_the_same_size_is_read_again(bucket, tmp_path):
    key = "runs/run/events.out.tfevents.1.host"
    before = event_bytes(tmp_path)
    bucket.put(key, before)
    catalog = open_root(bucket.url("runs"), cache=False)
    old = catalog.runs["run"].scalars["value"].to_numpy()

    after = event_bytes(tmp_path, shift=1.0)  # same steps and tags: the same size
    assert len(after) == len(before) and after != before
    bucket.put(key, after)  # within the same second: size and LastModified alike

    assert catalog.refresh() == {"run"}
    np.testing.assert_allclose(catalog.runs["run"].scalars["value"].to_numpy(), old + 1.0,
                               rtol=1e-6)


def test_check_reads_a_bucket_like_the_folder_it_was_copied_from(bucket, tmp_path):
    from click.testing import CliRunner

    from curvedoc.dashboard.cli import cli

    local = tmp_path / "runs"
    steps = np.arange(0, 2001, 10)
    train = 0.1 + 2.2 * np.exp(-steps / 200)
    for name, val in (("healthy", train * 1.15 + 0.03),
                      ("overfit", np.where(steps < 600, train * 1.2, 0.3 + steps / 2000))):
        (local / name).mkdir(parents=True)
        rows = "".join(f"{s},{float(t)!r},{float(v)!r}\n"
                       for s, t, v in zip(steps, train, val, strict=True))
        (local / name / "metrics.csv").write_text("step,train_loss,val_loss\n" + rows)
        bucket.put(f"runs/{name}/metrics.csv", (local / name / "metrics.csv").read_bytes())
    runner = CliRunner()

    here = runner.invoke(cli, ["check", str(local), "--format", "json", "--no-cache"])
    cold = runner.invoke(cli, ["check", bucket.url("runs"), "--format", "json"])
    warm = runner.invoke(cli, ["check", bucket.url("runs"), "--format", "json"])
    missing = runner.invoke(cli, ["check", bucket.url("nothing"), "--format", "json"])

    assert cold.exit_code == here.exit_code == 1, cold.output
    assert json.loads(cold.output) == json.loads(here.output) == json.loads(warm.output)
    assert "overfitting" in json.loads(cold.output)["runs"][1]["labels"]
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_missing_prefix_says_so(bucket):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        walk(bucket.url("nothing/here"))
