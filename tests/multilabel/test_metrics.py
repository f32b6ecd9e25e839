"""Multi-label metrics against scikit-learn's, and the per-(LF, label) summary on hand-counted votes."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_score, recall_score

from weaksup.errors import ParameterError
from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
from weaksup.multilabel.metrics import headline, multilabel_metrics
from weaksup.multilabel.summary import multilabel_lf_summary


def test_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    Y = rng.random((300, 5)) < [0.4, 0.2, 0.1, 0.05, 0.0]
    P = Y ^ (rng.random((300, 5)) < 0.1)
    m = multilabel_metrics(Y, P, labels=list("abcde"))
    assert m["micro_f1"] == pytest.approx(f1_score(Y, P, average="micro"))
    assert m["macro_f1"] == pytest.approx(f1_score(Y, P, average="macro", zero_division=0))
    assert m["hamming"] == pytest.approx(hamming_loss(Y, P))
    assert m["subset_acc"] == pytest.approx(accuracy_score(Y, P))
    table = m["per_label"]
    assert table["label"].tolist() == list("abcde")
    assert table["precision"].tolist() == pytest.approx(precision_score(Y, P, average=None, zero_division=0))
    assert table["recall"].tolist() == pytest.approx(recall_score(Y, P, average=None, zero_division=0))
    assert table["support"].tolist() == Y.sum(axis=0).tolist()
    assert sum(m["set_sizes"]["true"].values()) == 300 and sum(m["set_sizes"]["pred"].values()) == 300
    assert m["set_sizes"]["true"] == {int(s): int((Y.sum(1) == s).sum()) for s in np.unique(Y.sum(1))}
    assert np.isnan(m["ece"]) and table["ece"].isna().all()
    assert set(headline(m)) == {"macro_f1", "micro_f1", "hamming", "subset_acc"}


def test_calibration_per_label():
    Y = np.array([[True], [False]] * 50)
    perfect = multilabel_metrics(Y, Y, labels=["a"], probs=Y.astype(float))
    overconfident = multilabel_metrics(Y, Y, labels=["a"], probs=np.where(Y, 0.6, 0.4))
    assert perfect["ece"] == pytest.approx(0.0) and overconfident["ece"] == pytest.approx(0.4)
    assert overconfident["per_label"]["ece"].tolist() == pytest.approx([0.4])


def test_bad_inputs():
    with pytest.raises(ParameterError, match=r"\(n, 2\) bool"):
        multilabel_metrics(np.zeros((3, 3), bool), np.zeros((3, 3), bool), labels=["a", "b"])
    with pytest.raises(ParameterError, match="same shape"):
        multilabel_metrics(np.zeros((3, 2), bool), np.zeros((4, 2), bool), labels=["a", "b"])
    with pytest.raises(ParameterError, match="bool"):
        multilabel_metrics(np.full((1, 1), 2), np.zeros((1, 1), bool), labels=["a"])
    with pytest.raises(ParameterError, match="probs has shape"):
        multilabel_metrics(np.zeros((2, 1), bool), np.zeros((2, 1), bool), labels=["a"], probs=np.zeros((2, 2)))


def test_lf_summary_counts():
    space = MultiLabelSpace(["joy", "anger", "neutral"], none_label="neutral")
    values = np.full((4, 3, 3), -1)
    values[:, 0, 0] = [1, 1, 1, -1]     # kw_joy says yes to joy on rows 0-2
    values[:, 1, 0] = [0, -1, 1, -1]    # not_joy: no on row 0 (conflicts with kw_joy), yes on row 2 (agrees)
    values[:, 1, 1] = [1, -1, -1, -1]   # ... and yes to anger on row 0
    Y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    votes = MultiLabelVotes(values, ["kw_joy@1", "not_joy@1", "silent@1"], space)
    s = multilabel_lf_summary(votes, Y).set_index(["lf", "label"])
    assert list(s.index) == [("kw_joy@1", "joy"), ("not_joy@1", "joy"), ("not_joy@1", "anger"), ("silent@1", "joy")]
    joy = s.loc[("kw_joy@1", "joy")]
    assert (joy["yes"], joy["no"], joy["coverage"], joy["overlaps"], joy["conflicts"]) == (3, 0, 0.75, 0.5, 0.25)
    assert joy["precision"] == pytest.approx(2 / 3)
    nj = s.loc[("not_joy@1", "joy")]
    assert (nj["yes"], nj["no"], nj["conflicts"], nj["precision"], nj["no_precision"]) == (1, 1, 0.25, 0.0, 0.0)
    assert s.loc[("silent@1", "joy"), "coverage"] == 0.0
    assert np.isnan(multilabel_lf_summary(votes)["precision"]).all()
    with pytest.raises(ParameterError, match="expected"):
        multilabel_lf_summary(votes, Y[:, :2])
