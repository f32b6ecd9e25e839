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
