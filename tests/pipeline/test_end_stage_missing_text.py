"""Rows without text and the end model: the end model never labels a row whose text is missing (None, NaN, or
only whitespace after cleaning), nor learns from one; such a row keeps the label model's outcome (no label and
review without votes; the label model's label where an LF voted through another field), as with the end model off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.config import load_config
from weaksup.pipeline import run

pytestmark = pytest.mark.slow

#: Rows of the shipped example whose text is taken away, and how: 3, 52, 60 (not gold) and 50 (gold test) have no
#: vote left; 51 is a dev gold row; LFs still vote on the others through other fields: 1271's author is on the
#: spam-accounts list (``spam_accounts``), 1700 and 1800 are short (``short_comment`` reads ``n_chars``).
MISSING: dict[int, object] = {3: None, 50: None, 51: None, 52: None, 60: "   ", 1271: None, 1700: float("nan"),
                              1800: "\t \n"}
NO_VOTES = [3, 50, 52, 60]
VOTED = {1271: "spam", 1700: "ham", 1800: "ham"}


def without_texts(folder) -> str:
    """The shipped example as one Parquet file with the texts of :data:`MISSING` taken away; its path."""
    from weaksup.datasets.examples import load_youtube_spam

    frame = load_youtube_spam().copy()
    text = frame["text"].astype(object)
    for row, value in MISSING.items():
        text.iloc[row] = value
    path = folder / "nulls.parquet"
    frame.assign(text=text).to_parquet(path, index=False)
    return str(path)


def shipped_run(folder, data: str, *overrides: str) -> tuple[object, pd.DataFrame]:
    """``configs/youtube_spam.toml`` on ``data`` (end model on, as shipped) with ``overrides``."""
    config = load_config(REPO / "configs" / "youtube_spam.toml",
                         ['input.example=""', f"input.path={data}", f"output.path={folder / 'labels.parquet'}",
                          "output.report=false", "mlflow.enabled=false", *overrides], project=REPO)
    result = run(config, progress=False)
    return result, pd.read_parquet(result.labels_path)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, youtube):
    """The example without some texts, run with the end model on and off."""
    folder = tmp_path_factory.mktemp("missing_text")
    data = without_texts(folder)
    on = shipped_run(folder / "on", data)
    off = shipped_run(folder / "off", data, "end_model.enabled=false")
    return on, off


def test_rows_without_text_get_no_end_model_label_and_go_to_review(runs, youtube):
    (result, labels), _ = runs
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()  # every row once, in order
    assert result.prep["missing_text"] == len(MISSING)  # the run's own count: the same rows
    silent = labels.iloc[NO_VOTES]
    assert silent["n_votes"].eq(0).all()
    assert silent["label"].isna().all() and silent["label_source"].isna().all()
    assert silent["review_status"].eq("needs_review").all()
    np.testing.assert_allclose(silent[["prob_ham", "prob_spam"]].to_numpy(), 0.5)
    dev = labels.iloc[51]  # a dev gold row keeps its gold label
    assert (dev["label"], dev["review_status"], dev["label_source"]) == (youtube["label"].iloc[51], "reviewed", "human")


def test_a_row_without_text_that_an_lf_voted_on_keeps_the_label_model_outcome(runs):
    (_, labels), (_, off) = runs
    voted = labels.iloc[list(VOTED)]
    assert voted["n_votes"].gt(0).all() and voted["label"].tolist() == list(VOTED.values())
    assert voted["label_source"].eq("label_model").all()
    # every row without text: exactly what the run writes with the end model off (label, probabilities, routing)
    rows = sorted(set(MISSING) - {51})
    pd.testing.assert_frame_equal(labels.iloc[rows].reset_index(drop=True), off.iloc[rows].reset_index(drop=True))


def test_the_rows_with_text_are_still_labeled_by_the_end_model(runs, youtube):
    (result, labels), _ = runs
    has_text = np.ones(len(labels), dtype=bool)
    has_text[list(MISSING)] = False
    unvoted = has_text & labels["n_votes"].eq(0).to_numpy() & youtube["split"].ne("dev").to_numpy()
    assert unvoted.sum() > 50 and labels.loc[unvoted, "label_source"].eq("end_model").all()
    assert labels.loc[has_text & youtube["split"].ne("dev").to_numpy(), "label"].notna().all()
    # the end model learned from the rows with text only: the dev gold row without text is not among them
    assert result.end_model["dev_rows"] == int(youtube["split"].eq("dev").sum()) - 1
    assert result.end_model["rows_without_text"] == len(MISSING)


@pytest.mark.parametrize("tie_break", ["hash", "seeded_random"])
def test_a_tie_break_policy_gives_no_class_to_a_row_nobody_labeled(tmp_path, tie_break):
    # with the end model on, hash / seeded_random broke the uniform "tie" of a row with no text and no vote into a
    # class (spam, spam, ham, ham); with the end model off those rows were abstained
    data = without_texts(tmp_path)
    _, labels = shipped_run(tmp_path / "run", data, f"label_model.tie_break={tie_break}")
    silent = labels.iloc[NO_VOTES]
    assert silent["label"].isna().all() and silent["label_source"].isna().all()
    assert silent["review_status"].eq("needs_review").all()
