"""The end model on the local engine never labels (nor learns from) a row without text, as the streaming run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.engines.engine_data import run_labels, streaming_labels, youtube_config
from weaksup.engines.driver import run_engine

#: Rows of the shipped example whose text is taken away (in three of its four parts of 500 rows): 3, 52, 60 and 1900
#: have no vote left; 51 is a dev gold row; ``spam_accounts`` still votes on 1271 (its author).
MISSING: dict[int, object] = {3: None, 51: None, 52: "  ", 60: float("nan"), 1271: None, 1900: "\t"}
NO_VOTES = [3, 52, 60, 1900]


@pytest.mark.slow
def test_the_end_model_on_an_engine_leaves_rows_without_text_to_the_label_model(tmp_path):
    config = youtube_config(tmp_path, rows_per_part=500, end_model={"enabled": True})
    parts = sorted((tmp_path / "input").glob("part-*.parquet"))
    start = 0
    for path in parts:  # the parts the engine reads, some texts taken away
        frame = pd.read_parquet(path)
        text = frame["text"].astype(object)
        for row, value in MISSING.items():
            if start <= row < start + len(frame):
                text.iloc[row - start] = value
        frame.assign(text=text).to_parquet(path, index=False)
        start += len(frame)
    result = run_engine(config, engine="local")
    labels, streaming = run_labels(result.run_dir), streaming_labels(config)
    pd.testing.assert_frame_equal(labels, streaming, check_exact=True)  # the same final labels, row for row
    assert len(labels) == start == 1956
    silent = labels.iloc[NO_VOTES]
    assert silent["n_votes"].eq(0).all() and silent["label"].isna().all() and silent["label_source"].isna().all()
    assert silent["review_status"].eq("needs_review").all()
    np.testing.assert_allclose(silent[["prob_ham", "prob_spam"]].to_numpy(), 0.5)
    assert tuple(labels.iloc[51][["review_status", "label_source"]]) == ("reviewed", "human")
    voted = labels.iloc[1271]
    assert (voted["n_votes"], voted["label"], voted["label_source"]) == (1, "spam", "label_model")
    assert (labels["label_source"] == "end_model").sum() > 1000  # the end model still labels the rows with text
