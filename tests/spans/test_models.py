"""Span label models on small synthetic tag chains where the right answer is known (issue 20)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import ConfigError, LabelModelError, NotFittedError, ParameterError
from weaksup.spans import (
    SPAN_MODELS,
    ScoredSpan,
    Span,
    SpanDevClassifier,
    SpanDevSelector,
    SpanHMM,
    SpanLabelModel,
    SpanMajorityVote,
    SpanSpace,
    SpanVotes,
    resolve_span_model,
)
from weaksup.spans.decode import allowed_transitions, viterbi_tags
from weaksup.spans.models_select import doc_counts, f1_from_counts

TYPES = ("A", "B")


def synthetic_docs(n_docs, lfs, *, seed=0, types=TYPES):
    """``(n_tokens, gold, weak)`` per document: gold spans of 1-3 tokens; each LF in ``lfs`` is a dict with
    ``recall`` (tags a gold span with that probability), ``noise`` (a spurious span per document with that
    probability) and ``shift`` (its spans end one token late with that probability)."""
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n_docs):
        n = int(rng.integers(10, 25))
        gold, pos = [], int(rng.integers(0, 3))
        while pos < n - 4:
            length = int(rng.integers(1, 4))
            gold.append(Span(pos, pos + length, str(rng.choice(types))))
            pos += length + int(rng.integers(2, 6))
        weak = []
        for lf in lfs:
            spans = []
            for s in gold:
                if rng.random() < lf.get("recall", 0.9):
                    end = min(s.end + 1, n) if rng.random() < lf.get("shift", 0.0) else s.end
                    spans.append((s.start, end, s.label))
            if rng.random() < lf.get("noise", 0.0):
                start = int(rng.integers(0, n - 1))
                spans.append((start, start + 1, str(rng.choice(types))))
            weak.append(spans)
        docs.append((n, gold, weak))
    return docs


def to_votes(docs, n_lfs, types=TYPES):
    rows = [(d, j, s, e, label) for d, (_, _, weak) in enumerate(docs) for j, spans in enumerate(weak)
            for s, e, label in spans]
    frame = pd.DataFrame(rows, columns=["doc", "lf", "start", "end", "label"])
    return SpanVotes([n for n, _, _ in docs], [f"lf{j}@1" for j in range(n_lfs)], SpanSpace(list(types)), frame)


def corpus(n_docs, lfs, seed=0):
    docs = synthetic_docs(n_docs, lfs, seed=seed)
    return to_votes(docs, len(lfs)), [gold for _, gold, _ in docs]


def f1(gold, pred):
    return float(f1_from_counts(doc_counts(gold, pred).sum(axis=0)))


def is_valid_bio(tags, offsets, space):
    start, trans = allowed_transitions(space)
    for d in range(len(offsets) - 1):
        t = tags[offsets[d]:offsets[d + 1]]
        if len(t) and not start[t[0]]:
            return False
        if not all(trans[a, b] for a, b in zip(t[:-1], t[1:])):
            return False
    return True


#: One accurate LF among noisy ones that fire on many non-entity tokens (and agree with each other there).
PLANTED = [{"recall": 0.95}] + [{"recall": 0.4, "noise": 0.9}] * 3


def test_hmm_recovers_the_planted_accurate_lf():
    votes, gold = corpus(300, PLANTED)
    mv = f1(gold, SpanMajorityVote(vote_on="types").fit(votes).predict(votes))
    hmm = f1(gold, SpanHMM(n_iter=20).fit(votes).predict(votes))
    assert hmm > 0.9 and hmm > mv + 0.05, (hmm, mv)


def test_dawid_skene_hears_silence_only_when_told():
    votes, gold = corpus(300, PLANTED)
    mv = f1(gold, SpanMajorityVote(vote_on="types").fit(votes).predict(votes))
    # "abstain": the accurate LF's silence where the noisy ones fire is evidence of O
    heard = f1(gold, SPAN_MODELS["dawid_skene"](untagged="abstain").fit(votes).predict(votes))
    # "wrench": an LF silent where another tags abstains, so the noisy spans can only be outvoted
    wrench = f1(gold, SPAN_MODELS["dawid_skene"]().fit(votes).predict(votes))
    assert heard > 0.9 and heard > wrench + 0.1 and wrench >= mv - 0.02, (heard, wrench, mv)


def test_dev_classifier_learns_which_boundary_is_right():
    lfs = [{"recall": 0.9, "shift": 0.9}, {"recall": 0.6}]  # LF 0 finds more, but its spans end a token late
    votes, gold = corpus(200, lfs, seed=1)
    dev_votes, dev_gold = corpus(200, lfs, seed=2)
    model = SpanDevClassifier().fit(votes, dev=(dev_votes, dev_gold))
    pred = model.predict(votes)
    assert f1(gold, pred) > 0.7 > f1(gold, SpanMajorityVote().fit(votes).predict(votes))
    kept = [s for doc in pred for s in doc]
    assert kept and all(0.0 <= s.confidence <= 1.0 for s in kept)
    for doc in pred:  # non-overlapping
        assert all(a.end <= b.start for a, b in zip(doc, doc[1:]))


def test_majority_vote_follows_wrench_protocol():
    space = SpanSpace(["A"])
    frame = pd.DataFrame({"doc": [0, 0, 0], "lf": [0, 1, 2], "start": [0, 0, 1], "end": [2, 2, 2],
                          "label": ["A"] * 3})
    votes = SpanVotes([3], ["a@1", "b@1", "c@1"], space, frame)
    proba = SpanMajorityVote().fit(votes).predict_proba(votes)
    # token 1: two LFs say I-A, one says B-A; token 2: nobody tagged it -> O
    assert proba.round(3).tolist() == [[0, 1, 0], [0, 0.333, 0.667], [1, 0, 0]]
    assert SpanMajorityVote().fit(votes).predict(votes) == [[ScoredSpan(0, 2, "A", 0.666667)]]


def test_viterbi_decodes_valid_bio_from_any_marginals():
    space = SpanSpace(["A", "B"])
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(space.n_tags), size=200)
    offsets = np.array([0, 1, 50, 50, 120, 200])
    tags = viterbi_tags(proba, offsets, space)
    assert is_valid_bio(tags, offsets, space)
    naive = proba.argmax(axis=1)
    assert not is_valid_bio(naive, offsets, space)  # the constraint did something


@pytest.mark.parametrize("name", sorted(SPAN_MODELS))
def test_every_model_round_trips_through_json(name):
    votes, gold = corpus(60, PLANTED, seed=3)
    dev = corpus(40, PLANTED, seed=4)
    model = SPAN_MODELS[name]()
    model.fit(votes, dev=dev if model.uses_dev_gold else None)
    saved = json.loads(json.dumps(model.to_json()))
    again = SpanLabelModel.from_json(saved)
    assert type(again) is type(model)
    assert again.predict(votes) == model.predict(votes)
    assert np.allclose(again.predict_proba(votes), model.predict_proba(votes))
    proba = model.predict_proba(votes)
    assert proba.shape == (int(votes.doc_offsets[-1]), votes.space.n_tags)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_selector_keeps_majority_when_dev_shows_nothing_better():
    lfs = [{"recall": 1.0}]  # one perfect LF: every candidate is as good as majority vote
    votes, gold = corpus(60, lfs, seed=5)
    model = SpanDevSelector(n_folds=3).fit(votes, dev=corpus(40, lfs, seed=6))
    assert model.chosen_ == "majority"
    assert f1(gold, model.predict(votes)) == 1.0


def test_selector_moves_off_majority_when_dev_shows_it():
    lfs = [{"recall": 0.9, "shift": 0.9}, {"recall": 0.6}]
    votes, gold = corpus(150, lfs, seed=7)
    model = SpanDevSelector(n_folds=3).fit(votes, dev=corpus(150, lfs, seed=8))
    assert model.chosen_ != "majority"
    assert model.scores_[model.chosen_] > model.scores_["majority"] + 0.1
    assert f1(gold, model.predict(votes)) > f1(gold, SpanMajorityVote().fit(votes).predict(votes)) + 0.1


def test_calibrated_default_is_better_calibrated_than_majority():
    from weaksup.metrics import expected_calibration_error

    def ece(gold, pred):
        conf, hit = [], []
        for g, p in zip(gold, pred):
            for s in p:
                conf.append(s.confidence)
                hit.append(int(Span(*s[:3]) in g))
        c = np.asarray(conf)
        return expected_calibration_error(np.asarray(hit), np.c_[1 - c, c])

    votes, gold = corpus(200, PLANTED, seed=9)
    default = SpanDevSelector(n_folds=3).fit(votes, dev=corpus(200, PLANTED, seed=10))
    mv = SpanMajorityVote().fit(votes)
    assert ece(gold, default.predict(votes)) < ece(gold, mv.predict(votes))


def test_resolve_and_errors():
    assert resolve_span_model("default", True) is SpanDevSelector
    assert resolve_span_model("default", False) is SpanHMM
    assert resolve_span_model("majority", False) is SpanMajorityVote
    with pytest.raises(ConfigError, match="unknown span label model 'crf'"):
        resolve_span_model("crf", True)
    with pytest.raises(ConfigError, match="learns from dev gold"):
        resolve_span_model("dev_select", False)
    votes, _ = corpus(10, PLANTED)
    with pytest.raises(NotFittedError):
        SpanHMM().predict(votes)
    with pytest.raises(LabelModelError, match="needs|learns from dev gold"):
        SpanDevClassifier().fit(votes)
    with pytest.raises(LabelModelError, match="chooses on dev gold"):
        SpanDevSelector().fit(votes)
    with pytest.raises(ParameterError, match="n_iter"):
        SpanHMM(n_iter=0).fit(votes)
    with pytest.raises(ParameterError, match="untagged"):
        SPAN_MODELS["dawid_skene"](untagged="o").fit(votes)
    with pytest.raises(ParameterError, match="vote_on"):
        SpanMajorityVote(vote_on="spans").fit(votes)
    fitted = SpanHMM().fit(votes)
    with pytest.raises(LabelModelError, match="fitted on the LFs"):
        fitted.predict(votes.select(["lf0@1"]))
    with pytest.raises(LabelModelError, match="not a saved span label model"):
        SpanLabelModel.from_json({"format": "other"})


#: Two LFs that each add spurious one-token spans of either type: majority vote ties on many tokens (B-A against
#: I-A or B-B inside another LF's span, A against B, B-A against O-abstain...).
TIED = [{"recall": 0.9, "noise": 0.9}, {"recall": 0.7, "shift": 0.3, "noise": 0.9}]
MODELS = {"majority": SpanMajorityVote, "majority_types": lambda: SpanMajorityVote(vote_on="types"),
          "majority_seeded": lambda: SpanMajorityVote(tie_break="seeded_random"),
          **{name: SPAN_MODELS[name] for name in sorted(SPAN_MODELS) if name != "majority"}}


@pytest.mark.parametrize("name", list(MODELS))
def test_a_document_gets_the_same_spans_whatever_is_predicted_with_it(name):
    votes, _ = corpus(300, TIED, seed=12)
    shares = SpanMajorityVote().fit(votes).vote_shares(votes)
    assert (np.isclose(shares, shares.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum() >= 20  # ties to break
    model = MODELS[name]()
    model.fit(votes, dev=corpus(60, TIED, seed=13) if model.uses_dev_gold else None)
    everything = model.predict(votes)
    odd = np.arange(1, votes.n_docs, 2)
    assert model.predict(votes.take(odd)) == [everything[i] for i in odd]
    assert model.predict(votes.take(np.arange(votes.n_docs)[::-1])) == everything[::-1]
    assert [model.predict(votes.take([d]))[0] for d in range(0, votes.n_docs, 9)] == everything[::9]
