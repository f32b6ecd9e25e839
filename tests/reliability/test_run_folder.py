"""A run folder is whole: one run's labels, votes, model and ``run.json``, never a mix, and nothing else touched.

Cases 7 (a run deleted the user's dotfiles), 12 (two runs on one folder mixed their outputs, or one died
because the other's sweep deleted its in-flight files) and 13 (after a failure the folder mixed two runs),
the tracebacks of a full disk and of an output folder made read-only mid-run, and the property: for random
kill points and a second concurrent run with other settings, the published folder is one run's whole output.

The runs go through the CLI in a subprocess; ``WEAKSUP_SRC`` (default: this checkout) picks the code under
test, so the same tests can be run against an older commit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config

SRC = os.environ.get("WEAKSUP_SRC", str(REPO))

#: A generic LF slow enough (0.5 ms a row) that a run can be killed or watched while it votes.
SLOW_LFS = '''
import time
from weaksup import ABSTAIN, labeling_function

@labeling_function(fields=["text"])
def slow_exclaim(x):
    time.sleep(SECONDS)
    return 1 if x.text is not None and "!" in x.text else ABSTAIN
'''.replace("SECONDS", "0.0005")

USER_DOTFILES = {".pre-commit-config.yaml": "repos: []\n", ".env.production": "SECRET=1\n",
                 ".env.local": "A=b\n", ".gitlab-ci.yml": "stages: [test]\n", ".weaksup.toml": "x = 1\n"}


def weaksup(folder: Path, *args: str, env: dict[str, str] | None = None, preexec_fn=None,
            wait: bool = True) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    """``weaksup <args> --no-progress`` in ``folder`` with the code under test."""
    full_env = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    command = [sys.executable, "-m", "weaksup", *args, "--no-progress"]
    if not wait:
        return subprocess.Popen(command, cwd=folder, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, preexec_fn=preexec_fn)
    return subprocess.run(command, cwd=folder, env=full_env, capture_output=True, text=True, timeout=300,
                          preexec_fn=preexec_fn)


@pytest.fixture
def project(tmp_path, youtube):
    """A project in ``tmp_path/p`` (quick LFs, a slow one, the comments) with run configs writing to ``out/``:
    ``run.toml`` (majority vote over the quick LFs) and ``other.toml`` (other settings: Dawid-Skene, the slow
    LF too)."""
    folder = tmp_path / "p"
    folder.mkdir()
    make_project(folder, youtube)
    (folder / "slow_lfs.py").write_text(SLOW_LFS)
    write_config(folder)
    write_config(folder, "other.toml", lfs={"modules": ["quick_lfs.py", "slow_lfs.py"]},
                 label_model={"name": "DawidSkene"})
    return folder


def run_ok(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = weaksup(folder, "run", *args)
    assert done.returncode == 0, done.stderr
    return done


def snapshot(run_dir: Path) -> dict[str, bytes]:
    """Every file of a run folder (not the weaksup staging folders), by relative path."""
    return {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and ".weaksup-stage-" not in p.as_posix()}


def assert_whole(run_dir: Path) -> dict:
    """``run_dir`` is one run's whole output: labels, votes, model and ``run.json`` from the same run."""
    from weaksup.pipeline import load_votes
    from weaksup.votes import VoteMatrix  # noqa: F401 - the loaders below return it

    manifest = json.loads((run_dir / "run.json").read_text())
    labels = pd.read_parquet(run_dir / "labels.parquet")
    votes = load_votes(run_dir)
    model = json.loads((run_dir / "label_model.json").read_text())
    assert len(labels) == manifest["counts"]["rows"] == len(votes.row_ids)
    assert votes.row_ids.astype(str).tolist() == labels["row_id"].tolist()
    assert set(labels["rule_version"]) == {manifest["rule_version"]}
    assert set(labels["label_model"]) == {manifest["label_model"]}
    assert model.get("class", model.get("name", manifest["label_model"])) == manifest["label_model"] or \
        manifest["label_model"] in json.dumps(model)[:200]
    assert sorted(votes.lf_names) == sorted(lf["name"] for lf in manifest["lfs"])
    return manifest


def part_written_since(run_dir: Path, start: float) -> bool:
    """Whether a vote part was written anywhere under ``run_dir`` since ``start`` (a run is voting)."""
    return any(p.stat().st_mtime > start for p in run_dir.rglob("part-*.parquet") if p.is_file())


def part_indexed_since(run_dir: Path, start: float) -> bool:
    """Whether a run recorded a finished vote part in an index since ``start`` (what ``--resume`` reuses)."""
    for index in run_dir.rglob("index.json"):
        try:
            if index.stat().st_mtime > start and json.loads(index.read_text(encoding="utf-8")).get("parts"):
                return True
        except (OSError, ValueError):  # being replaced at this moment
            continue
    return False


def wait_until(condition, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not condition():
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before the moment the test waits for: " + proc.communicate()[1]


# ---------------------------------------------------------------------------------------------- case 7
@pytest.mark.slow
def test_a_run_never_removes_files_it_did_not_make(project):
    """Case 7: the stale-temporary sweep removed every ``.*.*`` file of the output folder (it deleted
    ``.pre-commit-config.yaml``, ``.env.production``...). Only weaksup's own temporary names of a dead
    writer are removed now; a live writer's temporary file is left alone."""
    site = project / "site"
    site.mkdir()
    for name, text in USER_DOTFILES.items():
        (site / name).write_text(text)
    config = write_config(project, "site.toml", output={"path": "site/labels.parquet"})
    run_ok(project, str(config))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = site / f".weaksup-tmp-{int(dead.stdout)}-0badf00d-labels.parquet"
    live = site / f".weaksup-tmp-{os.getpid()}-0badf00d-labels.parquet"
    stale.write_text("left by a killed run")
    live.write_text("in flight")
    (site / "votes" / ".keep").write_text("mine")
    run_ok(project, str(config), "--fresh")
    for name, text in USER_DOTFILES.items():
        assert (site / name).read_text() == text, f"{name} was changed or deleted"
    assert (site / "votes" / ".keep").read_text() == "mine"
    assert not stale.exists() and live.read_text() == "in flight"
    load_run_checked(site)


def load_run_checked(run_dir: Path):
    from weaksup.pipeline import load_run

    return load_run(run_dir)


# ---------------------------------------------------------------------------------------------- case 12
@pytest.mark.slow
def test_a_second_run_on_a_busy_folder_waits_or_exits_2_naming_the_holder(project):
    """Case 12: two runs with different settings on one folder mixed their outputs (labels and model from
    one, ``run.json`` from the other). Now the second waits for the lock up to ``WEAKSUP_LOCK_TIMEOUT``,
    then exits 2 naming the holder; with a longer wait it runs after the first, and the folder is whole."""
    run_ok(project, "run.toml")
    (project / "slow_lfs.py").write_text(SLOW_LFS.replace("0.0005", "0.004"))  # about 8 s of votes
    start = time.time()
    first = weaksup(project, "run", "other.toml", "--fresh", wait=False)
    try:
        wait_until(lambda: part_written_since(project / "out", start), first)
        busy = weaksup(project, "run", "run.toml", env={"WEAKSUP_LOCK_TIMEOUT": "0.5"})
        assert first.poll() is None, "the first run ended before the second was tried"
        assert busy.returncode == 2, busy.stderr
        assert f"pid {first.pid}" in busy.stderr and "other.toml" in busy.stderr and "in use" in busy.stderr
        assert "Traceback" not in busy.stderr
        waiting = weaksup(project, "run", "run.toml", env={"WEAKSUP_LOCK_TIMEOUT": "120"}, wait=False)
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        out, err = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, err
    finally:
        first.kill()
    assert assert_whole(project / "out")["label_model"] == "MajorityVote"


@pytest.mark.slow
def test_a_stale_lock_of_a_killed_run_is_taken_over(project):
    """A run killed while it held the folder leaves its staging folder (with its holder) behind: the next
    run takes the folder over at once and finishes."""
    start = time.time()
    proc = weaksup(project, "run", "other.toml", wait=False)
    wait_until(lambda: part_written_since(project / "out", start), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    began = time.monotonic()
    done = weaksup(project, "run", "other.toml", env={"WEAKSUP_LOCK_TIMEOUT": "0"})
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - began < 60
    assert assert_whole(project / "out")["label_model"] == "DawidSkene"
    assert not list((project / "out").glob(".weaksup-*"))


@pytest.mark.slow
def test_sigterm_stops_a_run_as_ctrl_c_does(project):
    """SIGTERM is how cron, Airflow, systemd and Kubernetes stop a job: it is a KeyboardInterrupt, as Ctrl-C is (so
    an MLflow run being logged ends FAILED, not RUNNING forever); the run publishes nothing, says why, exits 143,
    and --resume goes on from its saved votes."""
    run_ok(project, "run.toml")
    before = snapshot(project / "out")
    start = time.time()
    proc = weaksup(project, "run", "other.toml", wait=False)
    wait_until(lambda: part_indexed_since(project / "out", start), proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "stopped (SIGTERM)" in err and "Traceback" not in err, err
    assert snapshot(project / "out") == before
    resumed = run_ok(project, "other.toml", "--resume")
    assert "reused from saved votes" in resumed.stdout + resumed.stderr


# ---------------------------------------------------------------------------------------------- case 13
@pytest.mark.slow
def test_a_killed_run_leaves_the_previous_run_whole_and_resume_reuses_its_chunks(project):
    """Case 13 (killed): the new run's partial votes never replace the published ones; ``--resume`` still
    picks up the killed run's finished chunks."""
    run_ok(project, "run.toml")
    before = snapshot(project / "out")
    start = time.time()
    proc = weaksup(project, "run", "other.toml", wait=False)
    wait_until(lambda: part_indexed_since(project / "out", start), proc)  # a part written and indexed: reusable
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(project / "out") == before
    assert assert_whole(project / "out")["label_model"] == "MajorityVote"
    resumed = run_ok(project, "other.toml", "--resume")
    votes = next(line for line in resumed.stdout.splitlines() if line.startswith("votes: "))
    assert "reused whole from saved votes" in votes and " 0 reused whole" not in votes, votes
    assert assert_whole(project / "out")["label_model"] == "DawidSkene"


@pytest.mark.slow
def test_a_full_disk_keeps_the_previous_run_and_names_the_users_file(project):
    """Case 13 (disk full) and its traceback: a file-size limit (standing in for a full disk) while the
    labels are written: exit 2, a message naming ``out/labels.parquet`` (no temporary name), and the
    folder still holds the previous run, whole."""
    import resource

    run_ok(project, "run.toml")
    before = snapshot(project / "out")
    size = (project / "out" / "labels.parquet").stat().st_size

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))

    done = weaksup(project, "run", "run.toml", "--set", "label_model.name=DawidSkene", preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and ".weaksup-" not in done.stderr, done.stderr
    assert str(project / "out" / "labels.parquet") in done.stderr and "free some space" in done.stderr
    assert done.stderr.count("free some space") == 1, done.stderr  # said once (the write error says it)
    assert snapshot(project / "out") == before
    assert assert_whole(project / "out")["label_model"] == "MajorityVote"


def test_an_output_folder_made_read_only_mid_run_is_exit_2_naming_the_users_path(project, monkeypatch, capsys):
    """The traceback of an output folder made read-only mid-run (its message named a temporary file).
    Simulated where the run moves its outputs into the folder (``chmod`` does not stop root)."""
    import errno

    from weaksup.cli import main
    from weaksup.pipeline import folder

    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as first:
        main(["run", "run.toml", "--no-progress"])
    assert first.value.code == 0
    before = snapshot(project / "out")
    real_replace = os.replace

    def read_only(src, dst, *args, **kwargs):  # the folder turns read-only once the run is under way
        if Path(dst).parent == project / "out" and ".weaksup-stage-" in str(src):
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(folder.os, "replace", read_only)
    with pytest.raises(SystemExit) as second:
        main(["run", "run.toml", "--no-progress", "--set", "label_model.name=DawidSkene"])
    err = capsys.readouterr().err
    assert second.value.code == 2, err
    assert ".weaksup-" not in err and "Traceback" not in err and str(project / "out") in err, err
    assert "permissions" in err
    monkeypatch.setattr(folder.os, "replace", real_replace)
    assert snapshot(project / "out") == before


# ---------------------------------------------------------------------------------------------- load_run
@pytest.mark.slow
def test_load_run_refuses_a_folder_whose_parts_disagree(project):
    """``load_run`` gave 20 labels beside 30,000 vote rows: now it names the parts that disagree."""
    from weaksup.errors import DataError
    from weaksup.pipeline import load_run

    run_ok(project, "run.toml")
    run_ok(project, "other.toml", "--set", "output.path=other/labels.parquet")
    load_run(project / "out")
    out, other = project / "out", project / "other"
    (out / "label_model.json").write_bytes((other / "label_model.json").read_bytes())
    with pytest.raises(DataError, match="label_model.json is not the file this run wrote"):
        load_run(out)
    assert load_run(out, verify=False).manifest["label_model"] == "MajorityVote"
    run_ok(project, "run.toml")
    pd.read_parquet(other / "labels.parquet").iloc[:20].to_parquet(out / "labels.parquet")
    with pytest.raises(DataError, match=r"labels.parquet holds 20 rows.*weaksup run"):
        load_run(out)


def test_a_publish_cut_short_is_finished_by_the_next_reader(project, monkeypatch):
    """A run killed between the renames of its publish: the committed staging folder is rolled forward by
    the next ``load_run`` (or run), so the folder is the new run's whole output, never a mix."""
    from weaksup.config import load_config
    from weaksup.pipeline import folder, load_run, run

    monkeypatch.chdir(project)
    run(load_config("run.toml"), progress=False)
    real_replace, calls = os.replace, []

    def killed_after_two(src, dst, *args, **kwargs):
        if Path(dst).parent == project / "out":
            calls.append(dst)
            if len(calls) == 3:
                raise KeyboardInterrupt  # stands in for a SIGKILL between two renames
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(folder.os, "replace", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        run(load_config("other.toml"), progress=False)
    monkeypatch.setattr(folder.os, "replace", real_replace)
    assert json.loads((project / "out" / "run.json").read_text())["label_model"] == "MajorityVote"
    assert load_run(project / "out").manifest["label_model"] == "DawidSkene"
    assert assert_whole(project / "out")["label_model"] == "DawidSkene"
    assert not list((project / "out").glob(".weaksup-*"))


# ---------------------------------------------------------------------------------------------- property
@pytest.fixture(scope="module")
def template(tmp_path_factory, youtube) -> tuple[Path, dict[str, tuple[bytes, dict]]]:
    """A project with a published run of ``run.toml`` in ``out/``, and the labels and model of an undisturbed
    run of each config (copied for each example of the property)."""
    folder = tmp_path_factory.mktemp("template")
    make_project(folder, youtube)
    (folder / "slow_lfs.py").write_text(SLOW_LFS)
    write_config(folder)
    write_config(folder, "other.toml", lfs={"modules": ["quick_lfs.py", "slow_lfs.py"]},
                 label_model={"name": "DawidSkene"})
    reference = {name: _reference(folder, name) for name in ("run.toml", "other.toml")}
    run_ok(folder, "run.toml")
    return folder, reference


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("WEAKSUP_PROPERTY_EXAMPLES", "4")), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(first=st.sampled_from(["run.toml", "other.toml"]), second_after=st.floats(0.0, 2.0),
       kill=st.sampled_from(["first", "second", "both", "none"]), kill_after=st.floats(0.2, 3.0))
def test_the_published_folder_is_always_one_runs_whole_output(template, tmp_path_factory, first, second_after, kill,
                                                              kill_after):
    """For random kill points (SIGKILL at a random time) and a second concurrent run with other settings,
    the published folder is one run's whole output: byte for byte the labels and model of an undisturbed
    run of the config its ``run.json`` names, with that run's votes."""
    import shutil

    source, reference = template
    folder = tmp_path_factory.mktemp("prop") / "p"
    shutil.copytree(source, folder, symlinks=True)
    env = {"WEAKSUP_LOCK_TIMEOUT": "120"}
    second = "other.toml" if first == "run.toml" else "run.toml"
    started = time.monotonic()
    procs = {"first": weaksup(folder, "run", first, env=env, wait=False)}
    killed = False
    while time.monotonic() - started < max(second_after, kill_after if kill != "none" else 0) + 0.01:
        now = time.monotonic() - started
        if "second" not in procs and now >= second_after:
            procs["second"] = weaksup(folder, "run", second, env=env, wait=False)
        if not killed and kill != "none" and now >= kill_after:
            for name, proc in procs.items():
                if kill in (name, "both"):
                    proc.send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.01)
    for proc in procs.values():
        proc.communicate(timeout=300)
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr
    manifest = assert_whole(folder / "out")
    name = Path(manifest["config_source"]).name
    labels, model = reference[name]
    assert (folder / "out" / "labels.parquet").read_bytes() == labels
    assert json.loads((folder / "out" / "label_model.json").read_text()) == model
    load_run_checked(folder / "out")


def _reference(folder: Path, config: str) -> tuple[bytes, dict]:
    out = f"ref-{Path(config).stem}"
    run_ok(folder, config, "--set", f"output.path={out}/labels.parquet")
    return (folder / out / "labels.parquet").read_bytes(), json.loads((folder / out / "label_model.json").read_text())


def test_weaksup_apply_after_a_run_publishes_its_votes_whole_and_keeps_the_labels_file(project, monkeypatch):
    """``weaksup apply`` into a folder holding a finished run: the folder becomes the apply's (votes and a
    ``run.json`` saying ``applied``; the old model is gone with the old run), and the labels file is kept
    (no longer claimed by ``run.json``), never deleted."""
    from weaksup.config import load_config
    from weaksup.errors import DataError
    from weaksup.pipeline import load_run, run

    monkeypatch.chdir(project)
    run(load_config("run.toml"), progress=False)
    labels = (project / "out" / "labels.parquet").read_bytes()
    run(load_config("other.toml"), progress=False, stop_after="apply")
    saved = load_run(project / "out")
    assert saved.manifest["status"] == "applied" and len(saved.votes().lf_names) == 6
    assert (project / "out" / "labels.parquet").read_bytes() == labels
    assert not (project / "out" / "label_model.json").exists()
    with pytest.raises(DataError, match="wrote no labels"):
        saved.labels_path  # noqa: B018 - the property raises


def test_a_held_lock_is_waited_for_then_refused_naming_the_holder(project, monkeypatch):
    """The lock without a second process: while this process holds the folder (its holder written as a run
    writes it), a run waits ``WEAKSUP_LOCK_TIMEOUT`` seconds, then stops naming the pid, start and config."""
    from weaksup.config import load_config
    from weaksup.errors import DataError
    from weaksup.pipeline import run
    from weaksup.pipeline.folder import FolderLock
    from weaksup.pipeline.staging import Stage

    monkeypatch.chdir(project)
    (project / "out").mkdir()
    monkeypatch.setenv("WEAKSUP_LOCK_TIMEOUT", "0.3")
    with FolderLock(project / "out"):
        stage = Stage.open(project / "out", config_source="elsewhere/busy.toml", votes_key=None, reuse=False,
                           clean=False)
        began = time.monotonic()
        with pytest.raises(DataError, match=rf"in use by another weaksup run \(pid {os.getpid()} .*busy.toml"):
            run(load_config("run.toml"), progress=False)
        assert 0.3 <= time.monotonic() - began < 30
        stage.abandon()
    run(load_config("run.toml"), progress=False)  # free again
    assert assert_whole(project / "out")["label_model"] == "MajorityVote"
