"""ScoredVotes: model LFs' probabilities carried row for row beside the votes (taken with the rows, checked for
shape and range), scored from a model LF through its held-out file, and read by VoteStacker(scores=True) and
VoteBlend(scored=True) (a third member only when the votes carry scores; on by default)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from weaksup.errors import LabelModelError, VoteMatrixError
from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes, VoteBlend, VoteStacker, multilabel_model_lf
from weaksup.multilabel.held_out import save_held_out
from weaksup.multilabel.models_base import f1_per_label
from weaksup.multilabel.models_blend import BLEND_MEMBERS, SCORED_MEMBER
from weaksup.multilabel.persist import multilabel_model_from_dict, multilabel_model_to_dict
from weaksup.multilabel.scored import ScoredVotes, model_lf_scores, score_logits, scores_of, with_model_scores

SPACE = MultiLabelSpace(["a", "b", "none"], none_label="none")


def scored_task(n=1600, seed=0):
    """'a' (30%) has a keyword LF that fires on 40% of its rows; 'b' (25%) has a yes/no vote at p >= 0.5 of a score
    whose log-odds grow with the truth on a curve the vote cannot show: the score separates 'b' far better than
    its vote does."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n, 3), dtype=bool)
    Y[:, 0] = rng.random(n) < 0.3
    Y[:, 1] = rng.random(n) < 0.25
    Y[:, 2] = ~Y[:, :2].any(axis=1)
    logit_b = np.where(Y[:, 1], 1.2, -1.2) + rng.normal(0, 1.0, n) - 0.9
    p = np.full((n, 1, 3), np.nan)
    p[:, 0, 1] = 1 / (1 + np.exp(-logit_b))
    V = np.full((n, 2, 3), -1, dtype=np.int8)
    V[:, 0, 0] = np.where(Y[:, 0] & (rng.random(n) < 0.4), 1, -1)
    V[:, 1, 1] = np.where(p[:, 0, 1] >= 0.5, 1, -1)
    return ScoredVotes(V, ["kw_a@1", "model@1"], SPACE, scores=p, score_ids=["model@1"]), Y


def plain(votes):
    return MultiLabelVotes(votes.values, votes.lf_ids, votes.space, votes.row_ids)


def test_scores_follow_their_rows_and_are_checked():
    votes, _ = scored_task(20)
    part = votes.take(np.array([5, 2]))
    assert isinstance(part, ScoredVotes) and part.row_ids.tolist() == [5, 2]
    np.testing.assert_array_equal(part.scores, votes.scores[[5, 2]])
    assert votes.take(np.arange(20)) == votes and votes.take(np.arange(20)) != plain(votes)
    assert isinstance(votes.select(["model@1"]), ScoredVotes) and votes.select(["model@1"]).m == 1
    assert scores_of(plain(votes))[0].shape == (20, 0, 3) and scores_of(votes)[1] == ["model@1"]
    logits = score_logits(votes, 1)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits[:, 0])), votes.scores[:, 0, 1], atol=1e-9)
    assert (score_logits(votes, 0) == 0).all()  # no score on 'a': a zero feature
    with pytest.raises(VoteMatrixError, match="must be"):
        ScoredVotes(votes.values, votes.lf_ids, SPACE, scores=votes.scores[:, :, :2], score_ids=["m"])
    with pytest.raises(VoteMatrixError, match="probabilities"):
        ScoredVotes(votes.values, votes.lf_ids, SPACE, scores=votes.scores * 3, score_ids=["m"])


def test_model_lf_scores_map_labels_by_name_and_use_the_held_out_file(tmp_path):
    model = DummyClassifier(strategy="prior").fit([[0], [1], [1], [1]], [0, 1, 1, 1])  # p = 0.25, 0.75
    texts = ["seen in training", "new text"]
    held = tmp_path / "held.npz"
    save_held_out(held, texts[:1], np.array([[0.9, 0.05]]))
    lf = multilabel_model_lf("m", model, ["b", "a"], held_out=held)
    frame = pd.DataFrame({"text": texts})
    scores, ids = model_lf_scores([lf], frame, SPACE)
    assert ids == [lf.lf_id] and scores.shape == (2, 1, 3)
    np.testing.assert_allclose(scores[:, 0, :2], [[0.05, 0.9], [0.75, 0.25]])  # columns by label name
    assert np.isnan(scores[:, 0, 2]).all()
    votes = MultiLabelVotes(np.full((2, 1, 3), -1), ["kw@1"], SPACE)
    assert with_model_scores(votes, [], frame) is votes  # no model LF: nothing to carry
    assert isinstance(with_model_scores(votes, [lf], frame), ScoredVotes)
    with pytest.raises(VoteMatrixError, match="same rows"):
        with_model_scores(votes, [lf], frame.iloc[:1])


def test_the_stacker_reads_the_score_and_beats_its_yes_no_vote():
    votes, Y = scored_task()
    dev, rest = np.arange(800), np.arange(800, 1600)
    fit = {"dev": (votes.take(dev), Y[dev])}
    with_scores = VoteStacker(scores=True, backoff=False).fit(votes.take(rest), **fit)
    without = VoteStacker(backoff=False).fit(votes.take(rest), **fit)
    assert with_scores.score_ids_ == ["model@1"] and without.score_ids_ == []
    f1_with = f1_per_label(Y[rest], with_scores.predict(votes.take(rest)))
    f1_without = f1_per_label(Y[rest], without.predict(votes.take(rest)))
    assert f1_with[1] > f1_without[1] + 0.03
    # plain votes: scores=True reads nothing and decides as the plain stacker
    on_plain = VoteStacker(scores=True, backoff=False).fit(plain(votes.take(rest)), dev=(plain(votes.take(dev)), Y[dev]))
    np.testing.assert_array_equal(on_plain.predict(plain(votes.take(rest))), without.predict(votes.take(rest)))
    with pytest.raises(LabelModelError, match="fitted on the model scores"):
        with_scores.predict(plain(votes.take(rest)))
    with pytest.raises(LabelModelError, match="score_scale"):
        VoteStacker(scores=True, score_scale=0).fit(votes.take(rest), **fit)
    again = multilabel_model_from_dict(json.loads(json.dumps(multilabel_model_to_dict(with_scores))))
    np.testing.assert_array_equal(again.predict(votes.take(rest)), with_scores.predict(votes.take(rest)))


def test_a_scored_blend_adds_a_scored_stacker_only_for_scored_votes_and_scored_false_does_not():
    votes, Y = scored_task()
    dev, rest = np.arange(800), np.arange(800, 1600)
    blend = VoteBlend().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]))  # the default: scored=True
    assert list(blend.members_) == [*BLEND_MEMBERS, SCORED_MEMBER]
    assert blend.members_[SCORED_MEMBER].score_ids_ == ["model@1"] and blend.members_["vote_stacker"].score_ids_ == []
    unscored = VoteBlend(scored=False).fit(votes.take(rest), dev=(votes.take(dev), Y[dev]))
    on_plain = VoteBlend(scored=True).fit(plain(votes.take(rest)), dev=(plain(votes.take(dev)), Y[dev]))
    assert list(unscored.members_) == list(on_plain.members_) == list(BLEND_MEMBERS)
    np.testing.assert_array_equal(on_plain.predict_proba(plain(votes.take(rest))),
                                  unscored.predict_proba(votes.take(rest)))
    with pytest.raises(LabelModelError, match="scored must be"):
        VoteBlend(scored="yes").fit(votes.take(rest), dev=(votes.take(dev), Y[dev]))
