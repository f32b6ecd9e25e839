"""Saved state is verified: the vote parts a run reuses are the ones it wrote, and ``votes/index.json`` can
point nowhere but ``votes/``.

Every vote part carries a sha256 of its bytes in ``votes/index.json`` (written when the part is written);
any run that would reuse a part (``--resume``, or the LF-column reuse of a normal run) checks it and
recomputes a part that does not match, with a warning naming it. A part that fails the check after its
hash (too few rows, votes out of range) is recomputed the same way. An index entry whose file resolves
outside ``votes/`` is refused before anything is read or deleted, naming the entry and ``--fresh``.

The runs go through the CLI in a subprocess; ``WEAKSUP_SRC`` (default: this checkout) picks the
code under test, so the same tests can be run against an older commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config

SRC = os.environ.get("WEAKSUP_SRC", str(REPO))
#: Every test runs weaksup in subprocesses (several seconds each); the fast checks of the same
#: mechanism are in tests/pipeline/test_vote_store.py.
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path, youtube):
    """A project (in ``tmp_path/p``) with a finished run of four chunks in ``out/``."""
    folder = tmp_path / "p"
    folder.mkdir()
    make_project(folder, youtube)
    write_config(folder)
    done = weaksup(folder, "run", "run.toml")
    assert done.returncode == 0, done.stderr
    return folder


def weaksup(folder: Path, *args: str, preexec_fn=None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-m", "weaksup", *args, "--no-progress"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300, preexec_fn=preexec_fn)


def fresh_labels(folder: Path) -> pd.DataFrame:
    done = weaksup(folder, "run", "run.toml", "--fresh", "--set", "output.path=fresh/labels.parquet")
    assert done.returncode == 0, done.stderr
    return pd.read_parquet(folder / "fresh" / "labels.parquet")


def rewrite_part(folder: Path, name: str, change, *, rehash: bool = False) -> None:
    """Rewrite ``out/votes/<name>`` as valid Parquet (same schema and metadata) with ``change`` applied to its
    vote columns; ``rehash``: also put the new file's sha256 in the index, as a forger would."""
    path = folder / "out" / "votes" / name
    table = pq.read_table(path)
    columns = {"row_id": table.column("row_id")}
    for column in table.column_names[1:]:
        columns[column] = pa.array(change(table.column(column).to_numpy()))
    rows = min(len(c) for c in columns.values())
    new = pa.table({k: v[:rows] for k, v in columns.items()}).replace_schema_metadata(table.schema.metadata)
    pq.write_table(new, path)
    if rehash:
        index_path = folder / "out" / "votes" / "index.json"
        index = json.loads(index_path.read_text())
        for entry in index["parts"]:
            if entry["file"] == name:
                entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        index_path.write_text(json.dumps(index))


def flipped(votes: np.ndarray) -> np.ndarray:
    return np.where(votes >= 0, 1 - votes, votes).astype(votes.dtype)


def first_half(votes: np.ndarray) -> np.ndarray:
    return votes[: len(votes) // 2]


def out_of_range(votes: np.ndarray) -> np.ndarray:
    votes = votes.copy()
    votes[3] = 7  # the task has two classes
    return votes


@pytest.mark.parametrize(("change", "rehash"), [(flipped, False), (first_half, False), (first_half, True),
                                               (out_of_range, False), (out_of_range, True)],
                         ids=["flipped", "fewer-rows", "fewer-rows-hash-forged", "out-of-range",
                              "out-of-range-hash-forged"])
@pytest.mark.parametrize("flag", ["--resume", None], ids=["resume", "normal-run"])
def test_a_rewritten_vote_part_is_recomputed_not_reused(project, change, rehash, flag):
    """Case 14 (flipped votes reused by --resume: 91,188 of 600,000 labels changed) and the tracebacks of a
    part with fewer rows than its chunk (a broadcast ValueError) and a vote out of range (no part named).
    ``hash-forged``: the index's sha256 rewritten too, the part's own checks still catch it."""
    rewrite_part(project, "part-00001.parquet", change, rehash=rehash)
    done = weaksup(project, "run", "run.toml", *([flag] if flag else []))
    assert done.returncode == 0, done.stderr
    assert "part-00001.parquet" in done.stderr  # the warning names the part it recomputed
    assert "1 chunk(s) voted, 3 reused whole" in done.stdout
    pd.testing.assert_frame_equal(pd.read_parquet(project / "out" / "labels.parquet"), fresh_labels(project))
    again = weaksup(project, "run", "run.toml", "--resume")  # the recomputed part was saved, with its hash
    assert again.returncode == 0 and "0 chunk(s) voted, 4 reused whole" in again.stdout, again.stdout + again.stderr


def test_an_index_from_before_hashes_is_not_trusted(project):
    """An index entry without a sha256 (written before parts were hashed) cannot be verified: recomputed."""
    index_path = project / "out" / "votes" / "index.json"
    index = json.loads(index_path.read_text())
    for entry in index["parts"]:
        entry.pop("sha256", None)
    index_path.write_text(json.dumps(index))
    rewrite_part(project, "part-00002.parquet", flipped)
    done = weaksup(project, "run", "run.toml", "--resume")
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(project / "out" / "labels.parquet"), fresh_labels(project))


def escape(project: Path, entry_file: str, *, position: int) -> None:
    index_path = project / "out" / "votes" / "index.json"
    index = json.loads(index_path.read_text())
    entry = dict(index["parts"][-1] if position >= len(index["parts"]) else index["parts"][position])
    entry["file"] = entry_file
    if position >= len(index["parts"]):
        index["parts"].append(entry)  # a part beyond the input's last chunk: a resume would delete its file
    else:
        index["parts"][position] = entry
    index_path.write_text(json.dumps(index))


@pytest.mark.parametrize("flag", ["--resume", None], ids=["resume", "normal-run"])
@pytest.mark.parametrize("position", [4, 0], ids=["extra-entry", "first-entry"])
def test_an_index_entry_outside_votes_is_refused_never_read_or_deleted(project, flag, position):
    """Case 15: ``"file": "../../../x/important.txt"`` made a resume delete that file outside the run folder."""
    outside = project.parent / "x"
    outside.mkdir()
    important = outside / "important.txt"
    important.write_text("keep me")
    keys = (project / "out" / "votes" / "part-00000.keys.npy").read_bytes()
    (outside / "important.keys.npy").write_bytes(keys)
    entry = "../../../x/important.txt"
    escape(project, entry, position=position)
    done = weaksup(project, "run", "run.toml", *([flag] if flag else []))
    assert done.returncode == 2, done.stderr
    assert entry in done.stderr and "--fresh" in done.stderr and "Traceback" not in done.stderr
    assert important.read_text() == "keep me" and (outside / "important.keys.npy").exists()
    fresh = weaksup(project, "run", "run.toml", "--fresh")  # the fix the message names
    assert fresh.returncode == 0, fresh.stderr
    assert important.read_text() == "keep me"


def test_an_index_entry_pointing_at_a_parquet_outside_is_never_read(project):
    """Case 15, the read side: an absolute path to a Parquet file outside, and a symlink inside votes/ that
    leads outside, are refused (their votes are never reused)."""
    outside = project.parent / "elsewhere"
    outside.mkdir()
    votes = project / "out" / "votes"
    for name in ("part-00000.parquet", "part-00000.keys.npy"):
        (outside / name).write_bytes((votes / name).read_bytes())
    escape(project, str(outside / "part-00000.parquet"), position=0)
    done = weaksup(project, "run", "run.toml", "--resume")
    assert done.returncode == 2 and str(outside / "part-00000.parquet") in done.stderr, done.stderr
    assert "--fresh" in done.stderr
    escape(project, "part-00000.parquet", position=0)
    (votes / "part-00000.parquet").unlink()
    (votes / "part-00000.parquet").symlink_to(outside / "part-00000.parquet")
    done = weaksup(project, "run", "run.toml", "--resume")
    assert done.returncode == 2 and "part-00000.parquet" in done.stderr and "--fresh" in done.stderr, done.stderr
    assert (outside / "part-00000.parquet").exists()


def test_the_index_holds_no_absolute_paths_and_a_moved_run_folder_reuses_its_votes(project):
    """B1 may stage the run folder and rename it: ``index.json`` names parts relative to ``votes/``."""
    index = json.loads((project / "out" / "votes" / "index.json").read_text())
    assert str(project) not in json.dumps(index)
    assert all(len(entry["sha256"]) == 64 for entry in index["parts"])
    (project / "out").rename(project / "moved")
    done = weaksup(project, "run", "run.toml", "--resume", "--set", "output.path=moved/labels.parquet")
    assert done.returncode == 0, done.stderr
    assert "0 chunk(s) voted, 4 reused whole" in done.stdout


@pytest.mark.parametrize("limit", [4096, 20_000], ids=["parquet-part", "keys-file"])
def test_a_full_disk_while_votes_are_written_names_the_part(tmp_path, youtube, limit):
    """``OSError: 100000 requested and 77296 written`` (numpy writing a part's keys file on a full disk) named
    no file and was a traceback: the error names the vote part, never a temporary name, exit 2. ``ulimit -f``
    stands in for a full disk: 4 KB stops the Parquet part (15 KB), 20 KB its keys file (31 KB)."""
    import resource

    make_project(tmp_path, youtube.assign(row_id=range(len(youtube))))
    write_config(tmp_path, input={"chunk_rows": 2000})

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = weaksup(tmp_path, "run", "run.toml", preexec_fn=cap)
    assert done.returncode == 2, done.stderr
    name = "part-00000.parquet" if limit < 10_000 else "part-00000.keys.npy"
    assert f"votes/{name}" in done.stderr and "requested and" not in done.stderr, done.stderr
    assert f".{name}." not in done.stderr and "Traceback" not in done.stderr  # not the temporary file
    assert not [p for p in (tmp_path / "out").rglob(".part-*")]  # no partial part left behind


LOAD_VOTES = "import sys; from weaksup.pipeline import load_votes; print(load_votes(sys.argv[1]).shape)"


def test_load_votes_reads_only_verified_parts_inside_votes(project):
    """Case 15 through ``load_votes``/``load_run``: an entry outside ``votes/`` is never read; a changed part
    is refused naming it (a finished run folder has nothing to recompute from)."""
    env = {**os.environ, "PYTHONPATH": SRC}

    def load() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", LOAD_VOTES, "out"], cwd=project, env=env, capture_output=True,
                              text=True, timeout=120)

    assert load().stdout.strip() == "(1956, 5)"
    rewrite_part(project, "part-00001.parquet", flipped)
    changed = load()
    assert "part-00001.parquet" in changed.stderr and "sha256" in changed.stderr, changed.stdout + changed.stderr
    outside = project.parent / "elsewhere" / "part-00000.parquet"
    outside.parent.mkdir()
    for name in ("part-00000.parquet", "part-00000.keys.npy"):
        (outside.parent / name).write_bytes((project / "out" / "votes" / name).read_bytes())
    escape(project, str(outside), position=1)
    refused = load()
    assert "outside" in refused.stderr and str(outside) in refused.stderr, refused.stdout + refused.stderr
