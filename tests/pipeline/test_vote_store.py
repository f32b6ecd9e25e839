"""The vote store: saved votes reused chunk by chunk and LF by LF; a killed run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline.helpers import SLOW_LF
from tests.pipeline.helpers import run_config
from tests.pipeline_project import write_config


def test_editing_one_lf_recomputes_only_its_column(project):
    config = write_config(project)
    run_config(config)
    module = project / "quick_lfs.py"
    module.write_text(module.read_text().replace('["song", "love this", "best"]', '["song", "love", "best"]'))
    again = run_config(config)
    assert again.chunks == {"computed": 4, "reused": 0, "columns_reused": 16, "columns_computed": 4}
    unchanged = run_config(config)
    assert unchanged.chunks == {"computed": 0, "reused": 4, "columns_reused": 20, "columns_computed": 0}
    fresh = run_config(config, "output.path=fresh/labels.parquet", fresh=True)
    pd.testing.assert_frame_equal(pd.read_parquet(unchanged.labels_path), pd.read_parquet(fresh.labels_path))


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_finished_chunk(project, youtube):
    (project / "slow_lfs.py").write_text(SLOW_LF)
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "slow_lfs.py"]}, input={"chunk_rows": 150})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"]
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    index = None
    while time.monotonic() < deadline and proc.poll() is None:  # the run works in a staging folder until it ends
        index = next((project / "out").glob(".weaksup-stage-*/votes/index.json"), None)
        if index is not None and len(json.loads(index.read_text())["parts"]) >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(json.loads(index.read_text())["parts"])
    assert 4 <= done < 14  # 1,956 rows in chunks of 150 are 14 chunks
    assert not (project / "out" / "labels.parquet").exists()
    resumed = subprocess.run([*command, "--resume"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{14 - done} chunk(s) voted, {done} reused whole" in resumed.stdout
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    fresh = run_config(config, "output.path=fresh/labels.parquet", fresh=True)
    pd.testing.assert_frame_equal(labels, pd.read_parquet(fresh.labels_path))
    assert not [p for p in (project / "out").rglob(".*") if p.is_file()]  # no temporary files left


#: An LF module whose LF blocks on row ``{row}`` until a file ``{go}`` exists (the test never makes it: the run is
#: killed there, in the middle of applying the LFs); it says so with a file ``{blocked}``.
BLOCKING_LF = '''
import pathlib, time
from weaksup import ABSTAIN, labeling_function


@labeling_function(fields=["text"])
def blocks(x):
    if x.row_id == {row!r}:
        pathlib.Path({blocked!r}).touch()
        while not pathlib.Path({go!r}).exists():
            time.sleep(0.01)
    return ABSTAIN
'''


@pytest.mark.slow
@pytest.mark.parametrize("write_clean", [False, True])
def test_a_killed_fresh_run_leaves_the_published_votes_to_the_next_run(project, youtube, write_clean):
    """Case: a `weaksup run --fresh` killed while it applied the LFs left its stage (the chunks it had recomputed,
    nothing else) for the next plain run to adopt: that run recomputed every chunk past them, although the
    published votes held them all (and kept them: only the run's reuse of them was lost)."""
    config = write_config(project, input={"chunk_rows": 150}, output={"write_clean": write_clean})
    first = run_config(config)  # published: 14 chunks of 150 rows (1,956 rows), 5 LFs
    assert first.chunks["computed"] == 14 and not first.not_cacheable
    labels = pd.read_parquet(first.labels_path)
    published = {p.name: p.read_bytes() for p in (project / "out" / "votes").iterdir()}
    cleaned = {p.name: p.read_bytes() for p in (project / "out" / "clean").glob("*")}
    assert len(cleaned) == (14 if write_clean else 0)

    blocked = project / "blocked"
    (project / "blocking_lfs.py").write_text(BLOCKING_LF.format(row=str(youtube["row_id"].iloc[450]), go=str(
        project / "go"), blocked=str(blocked)))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "weaksup", "run", str(config), "--fresh", "--no-progress",
               "--set", 'lfs.modules=["quick_lfs.py", "blocking_lfs.py"]']
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    index = None
    while proc.poll() is None:  # blocked in chunk 4 (row 451) once chunks 1-3 are indexed in its stage
        index = next((project / "out").glob(".weaksup-stage-*/votes/index.json"), None)
        if blocked.exists() and index is not None and len(json.loads(index.read_text())["parts"]) == 3:
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()[1].decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert {p.name: p.read_bytes() for p in (project / "out" / "votes").iterdir()} == published

    again = run_config(config)  # plain, the LFs of the first run: the fresh run's 3 chunks and 11 published ones
    assert again.chunks == {"computed": 0, "reused": 14, "columns_reused": 14 * 5, "columns_computed": 0}
    pd.testing.assert_frame_equal(pd.read_parquet(again.labels_path), labels)
    assert {p.name: p.read_bytes() for p in (project / "out" / "clean").glob("*")} == cleaned
    assert not list((project / "out").glob(".weaksup-stage-*"))
    assert run_config(config).chunks["computed"] == 0  # (and the votes it published are reused as well)


def test_resume_without_an_earlier_run_is_an_error(project):
    from weaksup.config import ConfigError

    with pytest.raises(ConfigError, match="holds no saved votes"):
        run_config(write_config(project), resume=True)


def test_resume_after_the_chunking_changed_names_the_setting_and_keeps_the_votes(project):
    from weaksup.config import ConfigError

    config = write_config(project, input={"chunk_rows": 500})
    run_config(config)
    index = project / "out" / "votes" / "index.json"
    saved = index.read_bytes()
    with pytest.raises(ConfigError, match=r"input\.chunk_rows \(was 500, now 300\).*run without --resume"):
        run_config(config, "input.chunk_rows=300", resume=True)
    assert index.read_bytes() == saved
    resumed = run_config(config, resume=True)  # the old setting: every chunk reused
    assert resumed.chunks["computed"] == 0




def _store_with_a_part(folder):
    """A vote store in ``folder/votes`` holding one indexed part of three rows and two LFs."""
    import numpy as np
    import pyarrow as pa

    from weaksup import LabelSpace, keyword_lf
    from weaksup.pipeline.vote_store import VoteStore

    lfs = [keyword_lf("kw_a", "a", 0), keyword_lf("kw_b", "b", 1)]
    store = VoteStore(folder / "votes", {"files": ["x"]})
    ids = pa.array(["r1", "r2", "r3"])
    keys = np.arange(3, dtype=np.uint64)
    entry = store.write_part(0, ids, np.array([[0, -1], [-1, 1], [0, 1]], np.int8), lfs, LabelSpace(["a", "b"]),
                             {}, {}, keys, keys)
    store.record(0, entry)
    return store, ids, LabelSpace(["a", "b"])


def test_parts_carry_the_sha256_of_their_bytes_and_a_changed_part_is_not_reused(tmp_path, caplog):
    import hashlib

    import pyarrow.parquet as pq

    from weaksup.pipeline.vote_store import VoteStore

    store, ids, space = _store_with_a_part(tmp_path)
    entry = store.parts[0]
    part = tmp_path / "votes" / entry["file"]
    assert entry["sha256"] == hashlib.sha256(part.read_bytes()).hexdigest()
    assert entry["keys_sha256"] == hashlib.sha256(part.with_suffix(".keys.npy").read_bytes()).hexdigest()
    again = VoteStore(tmp_path / "votes", {"files": ["x"]})
    assert again.get(0, ids, space).columns[entry["lf_ids"][1]].tolist() == [-1, 1, 1]
    table = pq.read_table(part)
    pq.write_table(table.set_column(1, table.column_names[1], table.column(2)), part)  # valid Parquet, other votes
    assert again.get(0, ids, space) is None
    assert "part-00000.parquet" in caplog.text and "sha256" in caplog.text and "--fresh" in caplog.text


@pytest.mark.parametrize("name", ["../../x/important.txt", "/etc/hostname", "../part-00000.parquet", "notes.txt",
                                  "sub/../../part-00000.parquet", "", 3, ".", "x\x00/part-00000.parquet"])
def test_an_index_entry_outside_votes_is_refused_before_anything_is_read(tmp_path, name):
    from weaksup.errors import VoteMatrixError
    from weaksup.pipeline.vote_store import VoteStore

    store, _, _ = _store_with_a_part(tmp_path)
    index = json.loads((tmp_path / "votes" / "index.json").read_text())
    index["parts"][0]["file"] = name
    (tmp_path / "votes" / "index.json").write_text(json.dumps(index))
    with pytest.raises(VoteMatrixError, match=r"index\.json.*--fresh"):
        VoteStore(tmp_path / "votes", {"files": ["x"]})
    assert VoteStore(tmp_path / "votes", {"files": ["x"]}, reuse=False).done == 0  # what --fresh does


def test_a_symlinked_part_leading_outside_votes_is_refused(tmp_path):
    from weaksup.errors import VoteMatrixError
    from weaksup.pipeline.vote_store import VoteStore

    _store_with_a_part(tmp_path)
    outside = tmp_path / "outside.parquet"
    part = tmp_path / "votes" / "part-00000.parquet"
    part.rename(outside)
    part.symlink_to(outside)
    with pytest.raises(VoteMatrixError, match="outside"):
        VoteStore(tmp_path / "votes", {"files": ["x"]})
    assert outside.exists()


def test_a_part_whose_row_ids_differ_from_its_chunk_is_not_reused(tmp_path, caplog):
    """Even with its hash rewritten to match: the labels take their row ids from the parts."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    from weaksup.pipeline.vote_store import VoteStore

    store, ids, space = _store_with_a_part(tmp_path)
    part = tmp_path / "votes" / "part-00000.parquet"
    table = pq.read_table(part)
    pq.write_table(table.set_column(0, "row_id", pa.array(["r1", "rX", "r3"])), part)
    index = json.loads((tmp_path / "votes" / "index.json").read_text())
    index["parts"][0]["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    (tmp_path / "votes" / "index.json").write_text(json.dumps(index))
    assert VoteStore(tmp_path / "votes", {"files": ["x"]}).get(0, ids, space) is None
    assert "part-00000.parquet" in caplog.text and "row ids" in caplog.text


LABEL_CONSTANT_LF = '''
from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["ham", "spam"])
HAM, SPAM = LABELS["ham"], LABELS["spam"]


@labeling_function(fields=["text"])
def says_subscribe(x):
    return SPAM if x.text is not None and "subscribe" in x.text.lower() else HAM
'''


def test_saved_votes_are_not_reused_after_the_label_space_changes(project):
    module = project / "label_lfs.py"
    module.write_text(LABEL_CONSTANT_LF)
    config = write_config(project, lfs={"modules": ["label_lfs.py"]})
    before = run_config(config, stop_after="apply")
    version = json.loads((project / "out" / "votes" / "index.json").read_text())["parts"][0]["lf_ids"]
    module.write_text(LABEL_CONSTANT_LF.replace('["ham", "spam"]', '["ham", "promo", "spam"]'))
    config = write_config(project, task={"labels": ["ham", "promo", "spam"]}, lfs={"modules": ["label_lfs.py"]})
    again = run_config(config)
    index = json.loads((project / "out" / "votes" / "index.json").read_text())
    assert index["parts"][0]["lf_ids"] == version  # the LF's version is the same: its SPAM is now id 2, not 1
    assert before.chunks["computed"] == 4 and again.chunks["reused"] == 0 and again.chunks["columns_reused"] == 0
    assert index["identity"]["labels"] == ["ham", "promo", "spam"]
    fresh = run_config(config, "output.path=fresh/labels.parquet", fresh=True)
    labels = pd.read_parquet(again.labels_path)
    pd.testing.assert_frame_equal(labels, pd.read_parquet(fresh.labels_path))
    assert set(labels["label"]) == {"ham", "spam"}


def test_resume_after_the_labels_changed_names_them(project):
    from weaksup.config import ConfigError

    module = project / "label_lfs.py"
    module.write_text(LABEL_CONSTANT_LF)
    run_config(write_config(project, lfs={"modules": ["label_lfs.py"]}))
    module.write_text(LABEL_CONSTANT_LF.replace('["ham", "spam"]', '["ham", "promo", "spam"]'))
    config = write_config(project, task={"labels": ["ham", "promo", "spam"]}, lfs={"modules": ["label_lfs.py"]})
    with pytest.raises(ConfigError, match=r"task labels \(\[task\] labels\).*run without --resume"):
        run_config(config, resume=True)
