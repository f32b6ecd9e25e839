"""The multi-label Workbench: per-label previews, label views and the (LF, label) summary on dev gold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import DataError, LFDefinitionError, MissingColumnError, ParameterError
from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.lfs import multilabel_keyword_lf, multilabel_labeling_function, multilabel_regex_lf
from weaksup.multilabel.workbench import MultiLabelWorkbench, dev_gold

SPACE = MultiLabelSpace(["gratitude", "anger", "amusement", "neutral"], none_label="neutral")
DATA = pd.DataFrame({"row_id": [f"r{i}" for i in range(8)],
                     "text": ["thanks!", "thanks, idiot", "lol thanks", "I hate you", "ok", "lol", "fine", "thanks"]})
GOLD = pd.Series({"r0": "gratitude", "r1": "gratitude;anger", "r2": "amusement;gratitude", "r3": "anger",
                  "r4": "neutral", "r5": "neutral"})  # r6, r7: no gold


def thanks():
    return multilabel_keyword_lf("kw_thanks", "thanks", "gratitude", no=["anger"])


def test_preview_per_label_counts_and_dev_precision():
    wb = MultiLabelWorkbench(DATA, SPACE, gold=GOLD)
    p = wb.preview(thanks())
    table = p.table.set_index("label")
    assert table.loc["gratitude", ["yes", "no", "dev_yes"]].tolist() == [4, 0, 3]
    assert table.loc["gratitude", "precision"] == 1.0  # r0, r1, r2 carry gratitude; r7 has no gold
    assert table.loc["anger", ["yes", "no", "dev_no"]].tolist() == [0, 4, 3]
    assert table.loc["anger", "no_precision"] == pytest.approx(2 / 3)  # r1 is angry
    assert p.wrong["anger"]["row_id"].tolist() == ["r1"] and p.wrong["anger"]["vote"].tolist() == ["no"]
    assert set(p.samples["gratitude"]["vote"]) == {"yes"} and len(p.samples["gratitude"]) == 3
    assert "kw_thanks@" in repr(p) and "dev precision 1.00" in repr(p)
    assert "<table>" in p._repr_html_() and "<mark" in p._repr_html_()  # the keyword is highlighted


def test_new_yes_and_conflicts_against_the_other_lfs():
    angry = multilabel_keyword_lf("kw_idiot", ["idiot", "hate"], "anger")
    lol = multilabel_regex_lf("rx_lol", r"\blol\b", "amusement", no=["gratitude"])
    wb = MultiLabelWorkbench(DATA, SPACE, gold=GOLD, lfs=[angry, lol])
    table = wb.preview(thanks()).table.set_index("label")
    assert table.loc["anger", "conflicts"] == 1  # r1: thanks says no anger, kw_idiot says yes
    assert table.loc["gratitude", "conflicts"] == 1  # r2: rx_lol says no gratitude
    assert table.loc["gratitude", "new_yes"] == 4
    assert len(wb) == 2  # preview does not add


def test_cache_add_replace_remove_and_votes():
    wb = MultiLabelWorkbench(DATA, SPACE, gold=GOLD)
    wb.add(thanks())
    first = wb.votes
    assert first.values.shape == (8, 1, 4) and first.lf_ids == [thanks().lf_id]
    edited = multilabel_keyword_lf("kw_thanks", ["thanks", "thx"], "gratitude")
    wb.add(edited)
    assert wb.votes.lf_ids == [edited.lf_id] and wb.votes.values[1, 0, 1] == -1  # the edit replaced it
    wb.remove("kw_thanks")
    assert len(wb) == 0 and wb.votes.values.shape == (8, 0, 4)
    with pytest.raises(ParameterError, match="no LF named 'nope'"):
        wb.remove("nope")


def test_label_view_recall_and_missed_rows():
    angry = multilabel_keyword_lf("kw_hate", "hate", "anger")
    wb = MultiLabelWorkbench(DATA, SPACE, gold=GOLD, lfs=[thanks(), angry])
    view = wb.label("anger")
    assert view.n_gold == 2 and view.recall == 0.5 and view.n_yes_rows == 1
    assert view.missed["row_id"].tolist() == ["r1"]
    assert view.lfs.set_index("lf").loc["kw_thanks", "no"] == 4
    assert "anger" in view._repr_html_()


def test_summary_precision_on_dev_rows_only():
    wb = MultiLabelWorkbench(DATA, SPACE, gold=GOLD, lfs=[thanks()])
    summary = wb.summary().set_index(["lf", "label"])
    row = summary.loc[(thanks().lf_id, "gratitude")]
    assert row["yes"] == 4 and row["coverage"] == 0.5  # every row counts for coverage
    assert row["precision"] == 1.0 and row["gold_rows"] == 3  # only dev gold rows for precision


def test_generic_lf_and_gold_forms():
    @multilabel_labeling_function(labels=["neutral", "gratitude"])
    def plain(x):
        return {"neutral"} if len(x.text) < 5 else None

    Y = np.zeros((8, 4), dtype=bool)
    Y[[4, 5, 6], 3] = True
    wb = MultiLabelWorkbench(DATA, SPACE, gold=Y)
    table = wb.preview(plain).table.set_index("label")
    assert table.loc["neutral", ["yes", "precision"]].tolist() == [3, 1.0]  # ok, lol, fine
    assert table.loc["gratitude", "yes"] == 0  # a declared label it never votes is listed
    Yd, has = dev_gold({"r1": ["anger"]}, DATA["row_id"].to_numpy(), SPACE)
    assert has.sum() == 1 and Yd[1].tolist() == [False, True, False, False]
    read = pd.Series(["gratitude; anger", float("nan")], index=["r1", "r2"])  # pd.read_csv: a space, an empty cell
    Yd, has = dev_gold(read, DATA["row_id"].to_numpy(), SPACE)
    assert has.sum() == 2 and Yd[1].tolist() == [True, True, False, False] and not Yd[2].any()


def test_dev_gold_rows_with_the_none_label_beside_another_are_kept_and_warned_about(caplog):
    gold = pd.concat([GOLD, pd.Series({"r6": "amusement;neutral"})])  # as GoEmotions' raters label some rows
    with caplog.at_level("WARNING", logger="weaksup"):
        wb = MultiLabelWorkbench(DATA, SPACE, gold=gold)
    assert "1 of 7 gold rows breaks the label space's rules" in wb.gold_note and "r6 [amusement;neutral]" in wb.gold_note
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [wb.gold_note]
    assert wb.label("neutral").n_gold == 3  # kept as labelled: r6 is a neutral row and an amusing one
    assert wb.label("amusement").n_gold == 2
    assert MultiLabelWorkbench(DATA, SPACE, gold=GOLD).gold_note == ""


def test_errors():
    with pytest.raises(DataError, match="none of the 1 gold row ids"):
        MultiLabelWorkbench(DATA, SPACE, gold=pd.Series({"x9": "anger"}))
    with pytest.raises(DataError, match=r"row id 'r1' has two different label sets, \['anger'\] and \['gratitude'\]"):
        MultiLabelWorkbench(DATA, SPACE, gold=pd.Series(["anger", "gratitude"], index=["r1", "r1"]))
    with pytest.raises(ParameterError, match="shape \\(8, 4\\)"):
        MultiLabelWorkbench(DATA, SPACE, gold=np.zeros((8, 3), dtype=bool))
    with pytest.raises(MissingColumnError, match="text column 'body'"):
        MultiLabelWorkbench(DATA, SPACE, text_column="body")
    with pytest.raises(ParameterError, match="MultiLabelSpace"):
        MultiLabelWorkbench(DATA, ["anger"])
    wb = MultiLabelWorkbench(DATA, SPACE)
    with pytest.raises(LFDefinitionError, match="votes on label 'angry'"):
        wb.preview(multilabel_keyword_lf("kw", "hate", "angry"))


def test_from_the_workbench_package():
    from weaksup.workbench import MultiLabelWorkbench as exposed

    assert exposed is MultiLabelWorkbench


def test_preview_tells_rows_without_gold_from_gold_rows_with_an_empty_set():
    """r7 ("thanks") has no dev gold; r8 ("thanks anyway") is a dev gold row whose label set is empty."""
    data = pd.concat([DATA, pd.DataFrame({"row_id": ["r8"], "text": ["thanks anyway"]})], ignore_index=True)
    gold = pd.concat([GOLD, pd.Series({"r8": []}, dtype=object)])
    wb = MultiLabelWorkbench(data, SPACE, gold=gold)
    p = wb.preview(thanks(), n_samples=10)
    by_id = p.samples["gratitude"].set_index("row_id")["gold"]
    assert pd.isna(by_id["r7"]) and by_id["r8"] == "(none)" and by_id["r0"] == "gratitude"
    text = repr(p)
    assert "votes on [yes; no gold] r7: thanks" in text
    assert "votes on [yes; gold (none)] r8: thanks anyway" in text
    assert "votes on [yes; gold gratitude] r0: thanks!" in text
    assert "wrong on dev [yes; gold (none)] r8: thanks anyway" in text  # a yes vote on a row without the label
    assert "gold ]" not in text
    page = p._repr_html_()
    assert "<td>no gold</td>" in page and "<td>(none)</td>" in page and "None" not in page


def test_the_lfs_read_the_text_as_a_run_cleans_it():
    # a byte-order mark and a zero-width space (as in the shipped comments) hide an end-anchored match
    raw = DATA.assign(text=DATA["text"] + "\ufeff\u200b")
    ends = multilabel_regex_lf("re_thanks_end", r"thanks!?$", "gratitude")
    cleaned = MultiLabelWorkbench(raw, SPACE, gold=GOLD).add(ends).votes.values[:, 0, 0]
    as_given = MultiLabelWorkbench(raw, SPACE, gold=GOLD, clean=False).add(ends).votes.values[:, 0, 0]
    assert (cleaned == MultiLabelWorkbench(DATA, SPACE, gold=GOLD).add(ends).votes.values[:, 0, 0]).all()
    assert (cleaned == 1).sum() == 3 and (as_given == 1).sum() == 0
    assert raw["text"].str.endswith("\u200b").all()  # the caller's frame is left as it is
