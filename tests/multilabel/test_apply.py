"""apply_multilabel_lfs: one apply_lfs pass over the inner LFs, decoded into (n, m, k) yes/no/abstain votes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import LFApplyError, LFDefinitionError, ParameterError
from weaksup.lf import keyword_lf
from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
from weaksup.multilabel.apply import apply_multilabel_lfs
from weaksup.multilabel.lfs import (multilabel_keyword_lf, multilabel_labeling_function, multilabel_lf,
                                    multilabel_regex_lf)
from weaksup.registry import Registry

REPO = Path(__file__).resolve().parents[2]
SPACE = MultiLabelSpace(["gratitude", "anger", "curiosity", "amusement", "neutral"], none_label="neutral")
TEXTS = ["Thanks!", "why would you?", "lol thanks 😂", "I HATE this", "Ünïcödé thanks ok?", None, "", "plain text"]


@multilabel_labeling_function(labels=["curiosity", "neutral"], fields=["text"])
def question(x):
    if not x.text:
        return None
    return {"curiosity": True, "neutral": False} if "?" in x.text else {"neutral"}


def lfs():
    return [multilabel_keyword_lf("kw_thanks", ["thanks"], "gratitude", no=["anger", "neutral"]),
            multilabel_regex_lf("rx_lol", r"\blol\b|😂", "amusement"),
            multilabel_keyword_lf("kw_hate", "hate", "anger"),
            question]


def test_votes_equal_the_row_by_row_calls_in_row_order():
    df = pd.DataFrame({"text": TEXTS}, index=[f"r{i}" for i in range(len(TEXTS))])
    votes = apply_multilabel_lfs(df, lfs(), SPACE, progress=False)
    assert isinstance(votes, MultiLabelVotes) and votes.values.shape == (8, 4, 5) and votes.values.dtype == np.int8
    assert votes.row_ids.tolist() == list(df.index)
    assert votes.lf_ids == [lf.lf_id for lf in lfs()]
    for j, lf in enumerate(lfs()):
        for i, text in enumerate(TEXTS):
            expected = np.full(SPACE.k, -1)
            for label, yes in lf({"text": text}).items():
                expected[SPACE.index(label)] = int(yes)
            assert votes.values[i, j].tolist() == expected.tolist(), (lf.name, text)
    assert votes.values[0, 0].tolist() == [1, 0, -1, -1, 0]  # yes gratitude, no anger, no neutral
    assert votes.values[7, 3].tolist() == [-1, -1, -1, -1, 1]  # a plain text is neutral


def test_id_column_chunks_and_round_trip_through_the_vote_matrix():
    df = pd.DataFrame({"row_id": [f"id{i}" for i in range(40)], "text": TEXTS * 5})
    whole = apply_multilabel_lfs(df, lfs(), SPACE, progress=False, id_column="row_id")
    chunked = apply_multilabel_lfs(df, Registry(lfs()), SPACE, progress=False, id_column="row_id", chunk_rows=7)
    assert whole == chunked and whole.row_ids.tolist() == df["row_id"].tolist()
    assert MultiLabelVotes.from_vote_matrix(whole.to_vote_matrix(), SPACE) == whole


def test_classification_lfs_vote_the_label_at_their_class_id():
    df = pd.DataFrame({"text": ["lol", "meh", "what?"]})
    votes = apply_multilabel_lfs(df, [keyword_lf("kw_lol", "lol", 3)], SPACE, progress=False)
    assert votes.values[:, 0, 3].tolist() == [1, -1, -1] and (votes.values[:, 0, :3] == -1).all()
    with pytest.raises(LFApplyError, match=r"'kw_far'.*class id 7.*multilabel_lf\(lf, label=...\)"):
        apply_multilabel_lfs(df, [keyword_lf("kw_far", "lol", 7)], SPACE, progress=False)


def test_a_wrapped_lf_runs_once_for_several_labels():
    inner = keyword_lf("kw_lol", "lol", 0)
    yes = multilabel_lf(inner, "amusement", name="lol_amused")
    no = multilabel_lf(inner, ["anger"], no=True, name="lol_not_angry")
    votes = apply_multilabel_lfs(pd.DataFrame({"text": ["lol", "no"]}), [yes, no], SPACE, progress=False)
    assert votes.values[:, 0, 3].tolist() == [1, -1] and votes.values[:, 1, 1].tolist() == [0, -1]


def test_errors_name_the_lf_and_the_label():
    df = pd.DataFrame({"text": ["a", "b?"]})
    with pytest.raises(LFDefinitionError, match=r"LF 'kw_x' .*votes on label 'gratitud'.*did you mean 'gratitude'"):
        apply_multilabel_lfs(df, [multilabel_keyword_lf("kw_x", "a", "gratitud")], SPACE, progress=False)
    bad = multilabel_labeling_function(lambda x: {"joy"} if "?" in x.text else None, labels=["joy", "anger"],
                                       name="says_joy")
    space = MultiLabelSpace(["joy", "anger"])
    ok = apply_multilabel_lfs(df, [bad], space, progress=False)
    assert ok.values[:, 0, 0].tolist() == [-1, 1]
    wrong = multilabel_labeling_function(lambda x: {"joyful"} if "?" in x.text else None, labels=["joy"],
                                         name="says_joyful")
    with pytest.raises(LFApplyError, match=r"'says_joyful'.*returned label 'joyful'.*row id 1"):
        apply_multilabel_lfs(df, [wrong], space, progress=False)
    tolerant = apply_multilabel_lfs(df, [wrong], space, progress=False, fault_tolerant=True)
    assert (tolerant.values == -1).all()
    with pytest.raises(ParameterError, match="MultiLabelSpace"):
        apply_multilabel_lfs(df, [wrong], ["joy"], progress=False)


def test_the_shipped_goemotions_lfs_on_their_write_part():
    """The example's LFs vote only labels of its space, cover most rows and keep their precision on the rows they
    were written on (the write part of dev; the other part and test are not looked at here)."""
    from labeling_functions.goemotions import SPACE as space

    registry = Registry.from_modules("labeling_functions.goemotions")
    text = pd.read_csv(REPO / "data" / "goemotions" / "comments.csv", dtype=str, keep_default_na=False)
    gold = pd.read_csv(REPO / "gold_sets" / "goemotions" / "labels.csv", dtype=str, keep_default_na=False)
    rows = text.merge(gold, on="row_id")
    write = rows[(rows["split"] == "dev") & rows["row_id"].map(
        lambda r: hashlib.sha256(r.encode("utf-8")).digest()[0] < 128)].reset_index(drop=True)
    assert len(write) == 2656
    votes = apply_multilabel_lfs(write, registry, space, progress=False, id_column="row_id")
    Y = space.encode(write["labels"].str.split(";").tolist())
    yes = (votes.values == 1).any(axis=1)
    assert yes.any(axis=1).mean() > 0.8  # rows with a yes vote for some label
    precision = {label: Y[yes[:, c], c].mean() for c, label in enumerate(space.labels)}
    assert precision["gratitude"] > 0.85 and precision["love"] > 0.55 and precision["amusement"] > 0.55
    assert all(yes[:, c].any() for c in range(space.k))  # every label has a yes vote somewhere


def test_generic_lfs_vote_the_same_in_forked_processes():
    df = pd.DataFrame({"text": [t or "x" for t in TEXTS] * 1300})  # 10,400 rows: enough for two processes
    one = apply_multilabel_lfs(df, lfs(), SPACE, progress=False)
    two = apply_multilabel_lfs(df, lfs(), SPACE, progress=False, n_jobs=2, chunk_rows=2500)
    assert one == two and (one.values[:, 3] != -1).any()


EXCLUSIVE = MultiLabelSpace(["gratitude", "love", "anger", "neutral"], exclusive=[["gratitude", "love"]],
                            none_label="neutral")


@pytest.mark.parametrize("labels, named", [(["gratitude", "love"], "gratitude and love of the exclusive group"),
                                           (["neutral", "anger"], "the none label 'neutral' with anger")])
def test_a_rule_lf_saying_yes_to_labels_a_row_cannot_carry_together_is_refused(labels, named):
    lf = multilabel_keyword_lf("kw_both", "thank you", labels)
    with pytest.raises(LFDefinitionError, match=f"LF 'kw_both' .* says yes to .*{named}"):
        apply_multilabel_lfs(pd.DataFrame({"text": ["thank you"]}), [lf], EXCLUSIVE, progress=False)
    # yes to one, no to the other is fine
    fine = multilabel_keyword_lf("kw_one", "thank you", "gratitude", no=["love"])
    assert apply_multilabel_lfs(pd.DataFrame({"text": ["thank you"]}), [fine], EXCLUSIVE, progress=False).values.shape


def test_a_function_lf_saying_yes_to_exclusive_labels_is_warned_about_once(caplog):
    @multilabel_labeling_function(labels=["gratitude", "love", "anger"], fields=["text"])
    def warm(x):
        return {"gratitude", "love"} if "thanks" in x.text else {"anger"} if "hate" in x.text else None

    data = pd.DataFrame({"text": ["thanks", "hate", "thanks again", "ok"] * 3})
    with caplog.at_level("WARNING", logger="weaksup.multilabel.apply"):
        votes = apply_multilabel_lfs(data, [warm], EXCLUSIVE, progress=False, chunk_rows=4)
        apply_multilabel_lfs(data, [warm], EXCLUSIVE, progress=False)
    warned = [r.getMessage() for r in caplog.records if "cannot carry together" in r.getMessage()]
    assert len(warned) == 1, warned
    assert "'warm'" in warned[0] and "gratitude and love of the exclusive group ['gratitude', 'love']" in warned[0]
    assert votes.values[0, 0].tolist() == [1, 1, -1, -1]  # the votes are kept as the LF gave them
