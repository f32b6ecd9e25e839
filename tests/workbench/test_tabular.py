"""The Workbench on data without text: ``exclude_columns`` leaves columns out of the end model and
``supervised_on_dev``, and the summary names a column that alone predicts the dev gold label (as `weaksup run`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from weaksup.errors import MissingColumnError, ParameterError
from weaksup.workbench import Workbench

REPO = Path(__file__).resolve().parents[2]
SAID = ("column 'reviewed_outcome' alone predicts the dev gold label for 100% of 488 rows: if it is the label or "
        "derived from it, leave it out with Workbench(..., exclude_columns=['reviewed_outcome'])")


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.Series]:
    """The shipped tennis example's dev video (data/tennis: 746 frames) with an old label of the reviewed frames
    (``reviewed_outcome``, the gold label copied in), and the dev gold labels (488 frames)."""
    data = pd.read_csv(REPO / "data" / "tennis" / "frames.csv")
    data = data[data["video"] == "dev"].reset_index(drop=True)
    gold = pd.read_csv(REPO / "gold_sets" / "tennis" / "labels.csv").set_index("row_id")
    data["reviewed_outcome"] = data["row_id"].map(gold["label"])
    return data, gold.loc[gold["split"] == "dev", "label"]


def bench(frames: tuple[pd.DataFrame, pd.Series], **kwargs: object) -> Workbench:
    data, dev = frames
    return Workbench(data, gold=dev, lfs=str(REPO / "labeling_functions" / "tennis.py"), text_column=None,
                     label_space=["not_rally", "rally"], **kwargs)


def test_a_column_holding_the_label_is_named_and_exclude_columns_leaves_it_out(frames):
    # before: supervised_on_dev read the copied label (1.000 on dev, out of fold) and nothing said why
    leaked = bench(frames).summary()
    assert leaked.leaks == [SAID] and f"leak: {SAID}" in repr(leaked) and "leak: column" in leaked._repr_html_()
    assert leaked.references["supervised_on_dev"].accuracy == 1.0
    assert bench(frames).summary(references=False).leaks == [SAID]  # (said without fitting the final labels too)

    wb = bench(frames, exclude_columns=["reviewed_outcome"])
    kept = wb.summary()
    assert kept.leaks == [] and "leak:" not in repr(kept)
    kinds = wb.final_labeler().end_model.steps[0][1].kinds
    read = [*kinds["numbers"], *kinds["dates"], *kinds["categories"]]
    assert "reviewed_outcome" not in read and "reviewed_outcome" not in kinds["left_out"] and "det_0" in read
    assert kept.references["supervised_on_dev"].accuracy < 0.95


def test_the_tennis_columns_alone_raise_no_leak(frames):
    data, dev = frames
    assert bench((data.drop(columns="reviewed_outcome"), dev)).summary(references=False).leaks == []


def test_exclude_columns_must_name_columns_of_data_without_text(frames):
    data, dev = frames
    with pytest.raises(MissingColumnError, match=r"Workbench: exclude_columns names \['reviewed'\], which is not a "
                                                 r"column of the data; its columns are \['row_id', 'video', 'frame'"):
        bench(frames, exclude_columns=["reviewed"])
    with pytest.raises(ParameterError, match=r"exclude_columns = \['frame'\] leaves columns out of the end model of "
                                             r"rows without text, and the data has a text column \('video'\).*"
                                             r"set text_column=None"):
        Workbench(data, gold=dev, text_column="video", exclude_columns=["frame"])
