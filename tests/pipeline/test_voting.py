"""The apply stage: LF time budgets, chunks voted on several threads, errors named as with one thread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.pipeline.helpers import SLOW_LF
from tests.pipeline.helpers import run_config
from tests.pipeline_project import write_config


def test_a_slow_lf_is_stopped_at_its_time_budget_and_reported(project, youtube):
    (project / "slow_lfs.py").write_text(SLOW_LF)
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "slow_lfs.py"], "fault_tolerant": True,
                                        "lf_timeout": 0.2}, input={"chunk_rows": 1000})
    result = run_config(config)
    assert 0 < result.timeouts["slow_question"] < len(youtube)  # 0.004 s a row: the budget ends mid-chunk
    assert "LFs past lfs.lf_timeout (rows abstained): {'slow_question'" in result.summary()
    labels = pd.read_parquet(result.labels_path)
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    again = run_config(config)  # reused from the saved votes, with their counts
    assert again.chunks["reused"] == 2 and again.timeouts == result.timeouts


def test_chunks_voted_on_several_threads_give_the_labels_and_votes_of_one_thread(project, caplog):
    import logging

    from weaksup.pipeline import load_votes

    safe = {"names": ["kw_subscribe", "kw_check", "re_link", "kw_song"]}  # keyword/regex kinds: thread-safe
    configs = [write_config(project, f"w{workers}.toml", lfs={**safe, "workers": workers}, input={"chunk_rows": 150},
                            label_model={"name": "DawidSkene"}, output={"path": f"w{workers}/labels.parquet"})
               for workers in (1, 3)]
    with caplog.at_level(logging.INFO, logger="weaksup.pipeline.voting"):
        one, three = (run_config(config) for config in configs)
    assert "one chunk at a time" not in caplog.text and "voting chunks on 3 thread(s)" in caplog.text
    assert three.chunks["computed"] == 14 and three.labels_path.read_bytes() == one.labels_path.read_bytes()
    serial, parallel = load_votes(one.run_dir), load_votes(three.run_dir)
    assert parallel.row_ids.tolist() == serial.row_ids.tolist()
    np.testing.assert_array_equal(parallel.values, serial.values)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="weaksup.pipeline.voting"):
        run_config(write_config(project, lfs={"workers": 3}))  # with the generic short_comment LF
    assert "voting one chunk at a time: LF(s) ['short_comment'] run user code" in caplog.text


def test_a_bad_chunk_is_named_the_same_with_several_threads(project, youtube):
    from weaksup.errors import DataError

    frame = youtube[["row_id", "text"]].copy()
    frame.loc[1203, "row_id"] = frame.loc[1201, "row_id"]  # a repeated id in chunk 8 of 14
    frame.to_csv(project / "comments.csv", index=False)
    config = write_config(project, lfs={"names": ["kw_subscribe", "re_link"], "workers": 2}, input={"chunk_rows": 150})
    with pytest.raises(DataError, match=r"comments.csv row 1201 \(line 1203\): id .* is not unique \(rows \[1201, 1203\]\)"):
        run_config(config)
    assert not (project / "out" / "labels.parquet").exists()


def test_write_clean_saves_each_cleaned_chunk(project, youtube):
    """``output.write_clean``: one Parquet file per chunk in ``clean/``, every input row once, in order."""
    result = run_config(write_config(project, output={"write_clean": True}))
    parts = sorted((result.run_dir / "clean").glob("part-*.parquet"))
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(4)]
    clean = pd.concat([pd.read_parquet(p) for p in parts])
    assert clean["row_id"].astype(str).tolist() == youtube["row_id"].astype(str).tolist()


#: A generic LF that raises on one row (``row``).
FAILING_LF = '''
from weaksup import ABSTAIN, labeling_function

@labeling_function(fields=["text"])
def fails_on_a_row(x):
    if x.row_id == {row!r}:
        raise RuntimeError("not this row")
    return ABSTAIN
'''


def clean_parts(run_dir):
    """The names of the run's ``clean/`` parts and their rows, concatenated in order."""
    parts = sorted((run_dir / "clean").glob("part-*.parquet"))
    return [p.name for p in parts], pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts \
        else None


@pytest.mark.parametrize("stop_after", ["apply", None])
def test_write_clean_on_reused_votes_still_writes_every_clean_part(project, youtube, stop_after):
    """Case: `weaksup apply` (or `run`) once, then again with `output.write_clean = true`: every chunk's votes were
    reused, so no chunk was cleaned and no `clean/` was written, yet `run.json` named `"clean": "clean/"`."""
    import json

    config = write_config(project)
    first = run_config(config, stop_after=stop_after)
    assert first.chunks["computed"] == 4 and not (first.run_dir / "clean").exists()
    again = run_config(config, "output.write_clean=true", stop_after=stop_after)
    assert again.chunks == {"computed": 0, "reused": 4, "columns_reused": 20, "columns_computed": 0}  # votes reused
    assert json.loads((again.run_dir / "run.json").read_text())["outputs"]["clean"] == "clean/"
    fresh = run_config(config, "output.write_clean=true", "output.path=fresh/labels.parquet", stop_after=stop_after)
    names, clean = clean_parts(again.run_dir)
    fresh_names, fresh_clean = clean_parts(fresh.run_dir)
    assert names == fresh_names == [f"part-{i:05d}.parquet" for i in range(4)]
    assert clean["row_id"].astype(str).tolist() == youtube["row_id"].astype(str).tolist()
    pd.testing.assert_frame_equal(clean, fresh_clean)


def test_resume_with_write_clean_writes_the_clean_parts_of_the_stopped_runs_chunks(project, youtube):
    """Case: a run without `output.write_clean` stopped by an LF error in chunk 2 (its chunk 1 saved in its stage),
    resumed with `output.write_clean = true` (and without the failing LF): the resumed run reused chunk 1's votes and
    wrote no clean part for it."""
    (project / "failing_lfs.py").write_text(FAILING_LF.format(row=str(youtube["row_id"].iloc[600])))
    config = write_config(project, input={"chunk_rows": 500}, lfs={"workers": 1})
    with pytest.raises(Exception, match="not this row"):
        run_config(config, 'lfs.modules=["quick_lfs.py", "failing_lfs.py"]')
    assert list(project.glob("out/.weaksup-stage-*/votes/part-*"))  # chunk 1's votes kept for --resume
    resumed = run_config(config, "output.write_clean=true", resume=True)
    assert resumed.chunks["reused"] == 1 and resumed.chunks["computed"] == 3
    fresh = run_config(config, "output.write_clean=true", "output.path=fresh/labels.parquet")
    names, clean = clean_parts(resumed.run_dir)
    assert names == [f"part-{i:05d}.parquet" for i in range(4)] == clean_parts(fresh.run_dir)[0]
    assert clean["row_id"].astype(str).tolist() == youtube["row_id"].astype(str).tolist()
    pd.testing.assert_frame_equal(clean, clean_parts(fresh.run_dir)[1])


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_a_threshold_lf_over_a_text_column_names_the_input_files_format(tmp_path, monkeypatch, suffix):
    # the error said "makes a CSV column text" of a Parquet input, and suggested lfs.fault_tolerant
    from weaksup.errors import DataError

    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"claim_id": [f"{i:07d}" for i in range(6)], "amount": ["10", "unknown", "6000", "1", "2", "3"]})
    getattr(frame, f"to_{suffix}")(tmp_path / f"claims.{suffix}", index=False)
    (tmp_path / "claims_lfs.py").write_text("from weaksup import threshold_lf\n"
                                            "big_amount = threshold_lf('big_amount', 'amount > 5000', 1)\n")
    config = write_config(tmp_path, task={"name": "claims", "labels": ["legit", "fraud"]},
                          input={"path": f"claims.{suffix}", "id_column": "claim_id", "text_column": ""},
                          lfs={"modules": ["claims_lfs.py"], "fault_tolerant": True},
                          output={"path": "out/labels.parquet"}, mlflow={"enabled": False})
    with pytest.raises(DataError) as caught:
        run_config(config)
    message = str(caught.value)
    assert "pd.to_numeric(df['amount'], errors='coerce')" in message, message
    if suffix == "parquet":
        assert "is a Parquet file that stores column 'amount' as text" in message and "CSV" not in message
    else:
        assert "is a CSV file: one value in column 'amount' that is not a number" in message
