"""Faults injected into real runs: what weaksup does when an LF hangs or leaks, the disk fills up,
MLflow is down or slow, or a Dask worker dies mid-apply.

Each test states the fault, how it is injected, and what the user gets: the run completes with
the fault reported, or it stops with an error naming the culprit; never a silently wrong or
partial output.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup import ABSTAIN, VoteMatrix, apply_lfs, keyword_lf, labeling_function
from weaksup.errors import LFApplyError, ParameterError, TrackingError
from weaksup.models import BaseLabelModel

# ----------------------------------------------------------------------------------- an LF that hangs

SLOW_ROW_SECONDS = 0.01


@labeling_function
def slow_lf(x):
    """Slow on every row: 200 rows take 2 s, far beyond a 0.3 s budget."""
    time.sleep(SLOW_ROW_SECONDS)
    return 1


HANG_FRAME = pd.DataFrame({"text": ["spam here", "ham"] * 100}, index=[f"r{i}" for i in range(200)])
KW_SPAM = keyword_lf("kw_spam", "spam", 1)


@pytest.mark.parametrize("chunk_rows", [250_000, 40])
def test_a_slow_lf_is_stopped_at_its_time_budget_and_reported(chunk_rows, caplog):
    """fault_tolerant=True: the LF votes until its budget is spent, then abstains on the rest (counted in
    ``votes.timeouts``, with a warning); the other LFs are untouched and the run finishes in bounded time."""
    budget = 0.3
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="weaksup"):
        votes = apply_lfs([KW_SPAM, slow_lf], HANG_FRAME, fault_tolerant=True, lf_timeout=budget, chunk_rows=chunk_rows)
    elapsed = time.perf_counter() - started
    assert elapsed < budget + 0.5 < len(HANG_FRAME) * SLOW_ROW_SECONDS  # it did not run all 200 rows (2 s)
    slow = votes.column("slow_lf")
    reached = int((slow == 1).sum())
    assert 0 < reached < len(HANG_FRAME)
    assert (slow[:reached] == 1).all() and (slow[reached:] == ABSTAIN).all()  # it ran in row order, then stopped
    assert votes.timeouts == {"kw_spam": 0, "slow_lf": len(HANG_FRAME) - reached}
    assert votes.faults == {"kw_spam": 0, "slow_lf": 0}
    assert np.array_equal(votes.column("kw_spam"), apply_lfs([KW_SPAM], HANG_FRAME).column("kw_spam"))
    assert votes.row_ids.tolist() == HANG_FRAME.index.tolist()
    assert "'slow_lf' ran out of its time budget lf_timeout=0.3 s on row id" in caplog.text
    assert "VoteMatrix.timeouts" in caplog.text


def test_a_slow_lf_without_fault_tolerance_is_an_error_naming_it_the_budget_and_the_row():
    started = time.perf_counter()
    with pytest.raises(LFApplyError, match=r"'slow_lf' \(defined at .*test_faults\.py:\d+\) ran out of its time budget "
                                           r"lf_timeout=0\.2 s on row id 'r\d+' \(row \d+ of this batch of 200\).*"
                                           r"raise lf_timeout, or pass fault_tolerant=True"):
        apply_lfs([KW_SPAM, slow_lf], HANG_FRAME, lf_timeout=0.2)
    assert time.perf_counter() - started < 1.0


def test_timeouts_are_saved_with_the_votes_and_a_budget_must_be_positive(tmp_path):
    votes = apply_lfs([slow_lf], HANG_FRAME.iloc[:40], fault_tolerant=True, lf_timeout=0.05)
    assert votes.timeouts["slow_lf"] > 0
    for suffix in (".npz", ".parquet"):
        assert VoteMatrix.load(votes.save(tmp_path / f"votes{suffix}")).timeouts == votes.timeouts
    assert votes.select(["slow_lf"]).timeouts == votes.timeouts == votes.take(np.arange(40)).timeouts
    for bad in (0, -1.0):
        with pytest.raises(ParameterError, match=r"lf_timeout must be a number > 0 \(seconds; None for no budget\); got "):
            apply_lfs([slow_lf], HANG_FRAME, lf_timeout=bad)
    fast = apply_lfs([KW_SPAM, slow_lf], HANG_FRAME.iloc[:5], lf_timeout=60)  # a budget that is not reached
    assert fast.timeouts == {"kw_spam": 0, "slow_lf": 0} and (fast.column("slow_lf") == 1).all()


# ----------------------------------------------------------------------------------- an LF that leaks memory

LEAKED: list[bytearray] = []
LEAK_BYTES = 10_000


@labeling_function
def leaky_lf(x):
    """Votes like ``kw_spam`` but keeps 10 kB per call for ever (a cache that never evicts)."""
    LEAKED.append(bytearray(LEAK_BYTES))
    return 1 if "spam" in x.text.split() else ABSTAIN


@labeling_function
def tidy_lf(x):
    return 1 if "spam" in x.text.split() else ABSTAIN


#: The leak measured in a fresh process: in the test process, memory freed by earlier tests is reused by the
#: leak's allocations, so its RSS may grow by far less than the leak (25 MB of 60 MB was seen in CI).
LEAK_SCRIPT = """
import psutil
import pandas as pd
from weaksup import ABSTAIN, apply_lfs, labeling_function
leaked = []
@labeling_function
def leaky_lf(x):
    leaked.append(bytearray(10_000))
    return 1 if "spam" in x.text.split() else ABSTAIN
frame = pd.DataFrame({"text": ["spam here", "ham", "more spam"] * 2000})
apply_lfs([leaky_lf], frame.iloc[:3])
before = psutil.Process().memory_info().rss
apply_lfs([leaky_lf], frame)
print(psutil.Process().memory_info().rss - before, len(leaked))
"""


@pytest.mark.slow  # RSS thresholds depend on the allocator and the machine: not for the fast lane
def test_a_leaking_lf_still_gives_the_right_votes_and_weaksup_itself_does_not_leak():
    """weaksup does not watch an LF's memory: a leak grows the process (measured here with psutil) until the
    OS stops it; the run is otherwise unaffected. Applying again and again does not grow weaksup's own memory."""
    psutil = pytest.importorskip("psutil")
    process = psutil.Process()
    frame = pd.DataFrame({"text": ["spam here", "ham", "more spam"] * 2000})
    expected = apply_lfs([tidy_lf], frame)
    done = subprocess.run([sys.executable, "-c", LEAK_SCRIPT], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    grown, calls = (int(x) for x in done.stdout.split())
    assert calls == 3 + len(frame) and grown > 0.8 * len(frame) * LEAK_BYTES  # the leak is real and visible: ~60 MB
    try:
        votes = apply_lfs([leaky_lf, KW_SPAM], frame)
        assert len(LEAKED) == len(frame)
    finally:
        LEAKED.clear()
    assert np.array_equal(votes.column("leaky_lf"), expected.column("tidy_lf"))
    assert np.array_equal(votes.column("kw_spam"), expected.column("tidy_lf"))

    apply_lfs([tidy_lf, KW_SPAM], frame)  # warm up caches
    settled = process.memory_info().rss
    for _ in range(5):
        assert np.array_equal(apply_lfs([tidy_lf, KW_SPAM], frame).values, votes.values)
    assert process.memory_info().rss - settled < 20e6  # 5 more runs of 6,000 rows: no growth worth the name


# ----------------------------------------------------------------------------------- a full disk

FULL_DISK_SCRIPT = r"""
import json, os, resource, signal, sys
import numpy as np
from weaksup import VoteMatrix
from weaksup.models import DawidSkene

folder = sys.argv[1]
rng = np.random.default_rng(0)
votes = VoteMatrix(rng.integers(-1, 5, (200_000, 8)))  # ~1 MB compressed
model = DawidSkene(cardinality=5).fit(rng.integers(-1, 5, (300, 400)))  # ~1 MB of JSON
targets = [(votes, "votes.npz"), (votes, "votes.parquet"), (model, "model.json"), (model, "model.npz")]
VoteMatrix(np.zeros((2, 2), dtype=int)).save(os.path.join(folder, "votes.npz"))  # older, whole versions of two
DawidSkene(cardinality=2).fit([[0, 1]]).save(os.path.join(folder, "model.json"))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))  # every file stops at 64 kB: a disk that fills up
results = {}
for obj, name in targets:
    try:
        obj.save(os.path.join(folder, name))
        results[name] = None
    except Exception as exc:
        results[name] = [type(exc).__name__, getattr(exc, "errno", None), str(exc)]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory):
    """Save a vote matrix and a label model (npz, Parquet, JSON) in a process whose files may not exceed 64 kB."""
    folder = tmp_path_factory.mktemp("full_disk")
    old = {}
    proc = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(folder)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("votes.npz", "model.json"):
        old[name] = (folder / name).read_bytes()
    return folder, json.loads(proc.stdout.strip().splitlines()[-1]), old


@pytest.mark.parametrize("name", ["votes.npz", "votes.parquet", "model.json", "model.npz"])
def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_or_temporary_file(full_disk, name):
    folder, results, old = full_disk
    assert results[name] is not None, f"saving {name} past the file-size limit did not fail"
    kind, errno_, message = results[name]
    assert kind == "WriteError" and errno_ == 27  # a weaksup error and an OSError; EFBIG (ENOSPC on a really full disk takes the same path)
    assert f"cannot write {str(folder / name)!r}" in message  # the file the user asked for, not a temporary name
    assert "disk is full or a file-size limit was reached; nothing was written" in message
    assert "free some space" in message
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["model.json", "votes.npz"], "a partial or temporary file was left behind"
    if name in old:  # the earlier, whole version is still there, unchanged
        assert (folder / name).read_bytes() == old[name]
    if name == "votes.npz":
        assert VoteMatrix.load(folder / name).shape == (2, 2)
    if name == "model.json":
        assert BaseLabelModel.load(folder / name).n_lfs_ == 2


# ----------------------------------------------------------------------------------- MLflow down or slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections, reads, and never answers (a hung MLflow);
    with ``healthy``, it answers ``GET /health`` and nothing else (an MLflow whose API hangs)."""

    def __init__(self, healthy: bool = False) -> None:
        self.healthy = healthy
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)  # kept open, never answered
            if self.healthy:
                threading.Thread(target=self._health, args=(conn,), daemon=True).start()

    @staticmethod
    def _health(conn: socket.socket) -> None:
        try:
            if conn.recv(65536).startswith(b"GET /health "):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
                conn.close()
        except OSError:
            pass

    def close(self) -> None:
        self.stopped = True
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def tiny_report():
    from weaksup.report import build_report

    report = build_report(VoteMatrix([[0, 1, -1], [1, 1, 0], [-1, -1, 1]], lf_names=["a", "b", "c"]))
    yield report
    report.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield f"http://127.0.0.1:{server.port}"
    server.close()


@pytest.mark.mlflow
@pytest.mark.parametrize("state", ["down", "slow"])
def test_mlflow_down_or_slow_warns_within_a_bounded_time(state, tiny_report, silent_server, monkeypatch, caplog):
    """Nothing listens (down), or a server accepts and never answers (slow): ``log_report`` returns None with a
    warning within ``PING_TIMEOUT`` (plus slack); ``strict=True`` raises TrackingError just as quickly."""
    from weaksup.tracking import PING_TIMEOUT, log_report

    uri = f"http://127.0.0.1:{_free_port()}" if state == "down" else silent_server
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    bound = (1.0 if state == "down" else PING_TIMEOUT) + 2.0
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="weaksup"):
        assert log_report(tiny_report) is None
    assert time.perf_counter() - started < bound
    assert "the run was NOT logged to MLflow" in caplog.text and uri in caplog.text
    assert ("unreachable" if state == "down" else "timed out") in caplog.text
    started = time.perf_counter()
    with pytest.raises(TrackingError, match=rf"MLflow tracking server {uri} is unreachable .*MLFLOW_TRACKING_URI"):
        log_report(tiny_report, strict=True)
    assert time.perf_counter() - started < bound


@pytest.mark.mlflow
def test_mlflow_answering_health_but_hanging_on_the_api_gives_up_within_a_bounded_time(tiny_report, monkeypatch,
                                                                                      caplog):
    """The server passes the health check, then never answers ``runs/create``: MLflow's own client would wait
    120 s and retry 7 times; ``log_report`` bounds each request (``REQUEST_TIMEOUT``, ``REQUEST_RETRIES``, 10 s and
    1 retry by default, made small here) and gives a warning, or TrackingError with ``strict=True``."""
    import mlflow

    import weaksup.tracking as tracking

    server = SilentServer(healthy=True)
    try:
        uri = f"http://127.0.0.1:{server.port}"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
        monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
        monkeypatch.setattr(tracking, "REQUEST_TIMEOUT", 1.0)
        monkeypatch.setattr(tracking, "REQUEST_RETRIES", 1)
        assert tracking.check_tracking(uri) == uri  # it looks healthy
        started = time.perf_counter()
        with caplog.at_level(logging.WARNING, logger="weaksup"):
            assert tracking.log_report(tiny_report) is None
        assert time.perf_counter() - started < 2 * 1.0 + 4.0
        assert "the run was NOT logged to MLflow" in caplog.text and "Read timed out" in caplog.text
        assert mlflow.active_run() is None
        assert "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ  # the bound holds only while logging
        with pytest.raises(TrackingError, match=rf"logging the run to MLflow at {uri} failed.*Read timed out"):
            tracking.log_report(tiny_report, strict=True)
        # the user's own settings win over weaksup's bound
        monkeypatch.setattr(tracking, "REQUEST_TIMEOUT", 600.0)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        started = time.perf_counter()
        assert tracking.log_report(tiny_report) is None
        assert time.perf_counter() - started < 1.0 + 4.0
    finally:
        server.close()


# ----------------------------------------------------------------------------------- a Dask worker killed mid-apply

DASK_ROW_SECONDS = 0.004


@labeling_function
def slow_parity(x):
    """Slow enough (4 ms a row) that a worker can be killed while it runs a partition."""
    time.sleep(DASK_ROW_SECONDS)
    return int(x.n) % 2


@labeling_function
def kills_its_worker(x):
    """A crash that takes the worker process down (as a segfault in a C extension or the OOM killer would)."""
    if x.n == 13 and _on_a_dask_worker():
        os.kill(os.getpid(), signal.SIGKILL)
    return ABSTAIN


def _on_a_dask_worker() -> bool:
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster_client():
    """Two worker processes (restarted by their nannies when killed); a task may lose one worker and be retried."""
    import dask
    distributed = pytest.importorskip("distributed")

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        yield client


def _worker_pids(client) -> dict[str, int]:
    return client.run(os.getpid)


@pytest.mark.slow
def test_a_worker_killed_mid_apply_is_replaced_and_no_row_is_lost_or_repeated(cluster_client):
    dd = pytest.importorskip("dask.dataframe")
    from weaksup.apply.dask import apply_lfs_dask

    frame = pd.DataFrame({"n": np.arange(600), "text": ["spam", "ham", "x"] * 200},
                         index=np.random.default_rng(1).permutation(600) + 10_000)
    ddf = dd.from_pandas(frame, npartitions=12, sort=False)  # 50 rows, ~0.2 s a partition
    pids = _worker_pids(cluster_client)
    killed: list[tuple[str, int, list]] = []

    def kill_one_busy_worker() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = {w: keys for w, keys in cluster_client.processing().items()
                    if w in pids and any(str(k).startswith("weaksup-apply-") for k in keys)}
            if busy:
                time.sleep(0.1)  # into the partition's run
                worker, keys = next(iter(busy.items()))
                os.kill(pids[worker], signal.SIGKILL)
                killed.append((worker, pids[worker], list(keys)))
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_one_busy_worker)
    killer.start()
    votes = apply_lfs_dask([slow_parity, KW_SPAM], ddf, client=cluster_client)
    killer.join()
    assert killed, "no worker was busy: the kill did not land mid-apply"
    worker, pid, keys = killed[0]
    assert any(str(k).startswith("weaksup-apply-") for k in keys)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # that process is gone
    assert votes.row_ids.tolist() == frame.index.tolist()  # every row once, in input order
    assert votes.values.shape == (600, 2)
    assert np.array_equal(votes.column("slow_parity"), frame["n"].to_numpy() % 2)
    local = apply_lfs([KW_SPAM], frame)
    assert np.array_equal(votes.column("kw_spam"), local.column("kw_spam"))
    assert votes.faults == {"slow_parity": 0, "kw_spam": 0}
    cluster_client.wait_for_workers(2, timeout=60)  # the nanny brought a new worker up


@pytest.mark.slow
def test_an_lf_that_keeps_killing_its_worker_is_a_clear_error(cluster_client):
    dd = pytest.importorskip("dask.dataframe")
    from weaksup.apply.dask import apply_lfs_dask

    cluster_client.wait_for_workers(2, timeout=60)
    frame = pd.DataFrame({"n": np.arange(40)})
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)  # row 13 is in partition 1
    # the worker running part 1 dies; a part that was on that worker with it may reach its allowed failures first,
    # so the message may name that part: it must name one part, its number and its task consistently
    with pytest.raises(LFApplyError, match=r"Dask workers died 2 time\(s\) running the LF application task of part "
                                           r"(\d) \(number \1 of 4, task 'weaksup-apply-\w+-\1'\); nothing was "
                                           r"returned.*worker logs"):
        apply_lfs_dask([kills_its_worker], ddf, client=cluster_client)
    cluster_client.wait_for_workers(2, timeout=60)
