"""The final labels: cross-fitted (no row labeled by a model that saw it), chosen on dev, any number of classes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from weaksup import ABSTAIN
from weaksup.errors import EndModelError, ParameterError
from weaksup.final_labels import LABEL_SOURCES, FinalLabeler, row_folds
from weaksup.models import DevNaiveBayes, MajorityVote


def synthetic(n: int = 240, k: int = 3, seed: int = 0, vote_classes: tuple[int, ...] | None = None):
    """Texts with class words, keyword LFs (one per class in ``vote_classes``), gold for the first ``n // 4``."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    texts, votes = [], []
    classes = tuple(range(k)) if vote_classes is None else vote_classes
    for c in y_true:
        own = [f"c{c}w{i}" for i in rng.choice(8, 2, replace=False)]
        other = f"c{rng.integers(k)}w{rng.integers(8)}"
        shared = [f"s{i}" for i in rng.integers(0, 30, 4)]
        words = own + [other] + shared
        rng.shuffle(words)
        texts.append(" ".join(words))
        votes.append([j if any(f"c{j}w{i}" in words for i in range(3)) else ABSTAIN for j in classes])
    y = np.full(n, -1)
    y[: n // 4] = y_true[: n // 4]
    return np.array(texts, dtype=object), np.array(votes), y, y_true


def test_three_classes_fit_predict_and_the_dev_references():
    texts, L, y, y_true = synthetic()
    pos = np.arange(len(texts))
    final = FinalLabeler(DevNaiveBayes(3), n_folds=4).fit(texts, L, pos, y)
    proba = final.predict_proba(texts, L, pos)
    assert proba.shape == (240, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert float((proba.argmax(axis=1) == y_true).mean()) > 0.8
    assert set(final.dev_proba_) == {"majority_vote", "label_model", "supervised_on_dev", "final"}
    assert all(p.shape == (60, 3) for p in final.dev_proba_.values())
    dev = np.flatnonzero(y >= 0)
    assert np.array_equal(final.dev_y_, y[dev]) and final.baseline_ is not None and final.baseline_.n_gold == 60
    # the fit rows get their out-of-fold probabilities back from predict_proba
    assert np.allclose(final.dev_proba_["final"], proba[dev])
    assert final.lm_weight_ in final.dev_scores_ and 0 < final.temperature_
    assert set(final.label_source(L)) <= set(LABEL_SOURCES[:2])
    assert final.label_source(np.full((2, 3), ABSTAIN)).tolist() == ["end_model", "end_model"]
    assert final.label_model_.cardinality_ == 3 and final.n_train_rows_ > 100


def hashed_words(texts):
    """A cheap, deterministic sentence embedder for tests: hashed bag of words (the embedding LFs' seam)."""
    out = np.zeros((len(texts), 64))
    for i, text in enumerate(texts):
        for word in str(text).split():
            out[i, sum(map(ord, word)) % 64] += 1.0
    return out


@pytest.mark.parametrize("neighbours", [0, 5])
def test_a_rows_prediction_never_depends_on_its_own_gold_or_weak_label(neighbours, tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "embeddings.sqlite"))
    texts, L, y, _ = synthetic(seed=1)
    pos = np.arange(len(texts))
    kwargs = dict(n_folds=4, calibrate=False, lm_weights=(0.0,),  # the dev-level choices fixed: only the models
                  neighbours=neighbours, embedder=hashed_words, self_train=2)
    base = FinalLabeler(DevNaiveBayes(3), **kwargs).fit(texts, L, pos, y).predict_proba(texts, L, pos)
    gold_row = 3
    flipped = y.copy()
    flipped[gold_row] = (y[gold_row] + 1) % 3
    again = FinalLabeler(DevNaiveBayes(3), **kwargs).fit(texts, L, pos, flipped).predict_proba(texts, L, pos)
    assert np.array_equal(again[gold_row], base[gold_row])
    assert not np.allclose(again, base)  # the other folds' models learned from the flipped label
    weak_row = int(np.flatnonzero((y < 0) & (L != ABSTAIN).any(axis=1))[0])
    L2 = L.copy()
    L2[weak_row] = np.where(L[weak_row] == ABSTAIN, ABSTAIN, (L[weak_row] + 1) % 3)
    again = FinalLabeler(DevNaiveBayes(3), **kwargs).fit(texts, L2, pos, y).predict_proba(texts, L2, pos)
    assert np.array_equal(again[weak_row], base[weak_row])


def test_folds_are_a_stable_function_of_position_and_seed():
    texts, L, y, _ = synthetic(n=120, seed=2)
    pos = np.arange(1000, 1120)
    final = FinalLabeler(DevNaiveBayes(3), n_folds=3, seed=5).fit(texts, L, pos, y)
    shuffled = np.random.default_rng(0).permutation(120)
    assert np.allclose(final.predict_proba(texts[shuffled], L[shuffled], pos[shuffled]),
                       final.predict_proba(texts, L, pos)[shuffled])
    assert np.array_equal(row_folds(pos, 3, 5), row_folds(pos, 3, 5))
    assert not np.array_equal(row_folds(pos, 3, 5), row_folds(pos, 3, 6))
    new = final.predict_proba(["c0w1 c0w2 s3", "c2w0 s1 s2"], [[0, -1, -1], [-1, -1, 2]], [5000, 5001])
    assert new.argmax(axis=1).tolist() == [0, 2]


def test_without_dev_gold_no_calibration_no_baseline():
    texts, L, _, y_true = synthetic(seed=3)
    none = np.full(len(texts), -1)
    final = FinalLabeler(MajorityVote(3), n_folds=3).fit(texts, L, np.arange(len(texts)), none)
    assert final.baseline_ is None and final.dev_proba_ == {} and final.temperature_ == 1.0
    assert final.predict(texts, L, np.arange(len(texts))).shape == (240,)
    assert float((final.predict(texts, L, np.arange(len(texts))) == y_true).mean()) > 0.7
    with pytest.raises(ParameterError, match="learns from dev gold but no row has gold"):
        FinalLabeler(DevNaiveBayes(3), n_folds=3).fit(texts, L, np.arange(len(texts)), none)


def test_a_class_no_lf_votes_for_comes_from_the_dev_gold():
    texts, L, y, y_true = synthetic(seed=4, n=300, vote_classes=(0, 1))
    y[: 150] = y_true[: 150]
    final = FinalLabeler(DevNaiveBayes(3), n_folds=3).fit(texts, L, np.arange(300), y)
    pred = final.predict(texts, L, np.arange(300))
    assert (pred == 2).any() and float((pred[y_true == 2] == 2).mean()) > 0.5


def test_bad_input_names_the_fix():
    texts, L, y, _ = synthetic(n=60)
    pos = np.arange(60)
    with pytest.raises(ParameterError, match="n_folds must be a whole number >= 2"):
        FinalLabeler(DevNaiveBayes(3), n_folds=1).fit(texts, L, pos, y)
    few = np.full(60, -1)
    few[:3] = [0, 1, 2]
    with pytest.raises(ParameterError, match="3 dev gold rows cannot be split into n_folds=5"):
        FinalLabeler(DevNaiveBayes(3)).fit(texts, L, pos, few)
    with pytest.raises(EndModelError, match="features has 59 rows but L has 60"):
        FinalLabeler(DevNaiveBayes(3)).fit(texts[:59], L, pos, y)
    with pytest.raises(EndModelError, match="positions repeat"):
        FinalLabeler(DevNaiveBayes(3)).fit(texts, L, np.zeros(60, dtype=int), y)
    with pytest.raises(EndModelError, match="positions must be one int row position"):
        FinalLabeler(DevNaiveBayes(3)).fit(texts, L, pos[:5], y)
    with pytest.raises(EndModelError, match="not fitted"):
        FinalLabeler(DevNaiveBayes(3)).predict_proba(texts, L, pos)
    with pytest.raises(ParameterError, match="self_train must be a number of rounds"):
        FinalLabeler(DevNaiveBayes(3), self_train=-1).fit(texts, L, pos, y)
    with pytest.raises(ParameterError, match="neighbours"):
        FinalLabeler(DevNaiveBayes(3), neighbours=-2).fit(texts, L, pos, y)
    with pytest.raises(ParameterError, match="features"):
        FinalLabeler(DevNaiveBayes(3), features="bert").fit(texts, L, pos, y)
    with pytest.raises(ParameterError, match="weak_labels must be 'confidence' or 'proba'"):
        FinalLabeler(DevNaiveBayes(3), weak_labels="soft").fit(texts, L, pos, y)
    with pytest.raises(ParameterError, match="lm_weight_rule must be 'one_se' or 'best'"):
        FinalLabeler(DevNaiveBayes(3), lm_weight_rule="min").fit(texts, L, pos, y)
    with pytest.raises(ParameterError, match="lm_weights must be"):
        FinalLabeler(DevNaiveBayes(3), lm_weights=(2.0,)).fit(texts, L, pos, y)


@pytest.mark.slow
def test_youtube_final_labels_at_50_dev_rows_beat_the_gold_only_classifier(tmp_path):
    """benchmarks/earn_its_keep.py on one dev subsample of the shipped example: its JSON, and the final labels
    ahead of the classifier trained on the 50 dev gold rows alone (0.931 vs 0.907 on this subsample) and of majority
    vote (0.866). With the 28 shipped LFs the label model is stronger still (0.948): the final labels trail it here,
    so the +1 point target over it is not met at 50 rows."""
    import importlib.util
    import json

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("earn_its_keep", REPO / "benchmarks" / "earn_its_keep.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "earn.json"
    bench.main(["--tasks", "youtube", "--sizes", "50", "--repeats", "1", "--json", str(out)])
    result = json.loads(out.read_text())
    row = result["youtube"]["50"]
    assert set(row) == {"majority_vote", "label_model", "supervised_on_dev", "final", "final_ece"}
    assert row["final"] > row["supervised_on_dev"] > row["majority_vote"], row
    assert row["final"] >= row["supervised_on_dev"] + 0.01 and row["label_model"] > row["majority_vote"], row
    assert row["final_ece"] < 0.1


def test_the_label_model_counts_only_when_dev_shows_it_helps_beyond_noise():
    from weaksup.final import choose_lm_weight

    y = np.array([0, 1, 0, 1] * 10)
    end = np.array([[0.6, 0.4], [0.4, 0.6], [0.45, 0.55], [0.5, 0.5]] * 10)
    good_lm = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]] * 10)
    weight, scores = choose_lm_weight(good_lm, end, np.ones(40, bool), y, (0.0, 0.5, 1.0))
    assert weight > 0 and scores[weight] < scores[0.0]
    # a label model barely different from the end model: the difference is noise, the end model alone is kept
    close_lm = np.clip(end + np.array([[0.01, -0.01], [-0.02, 0.02], [-0.01, 0.01], [0.01, -0.01]] * 10), 0, 1)
    weight, scores = choose_lm_weight(close_lm, end, np.ones(40, bool), y, (0.0, 0.5, 1.0))
    assert weight == 0.0 and min(scores.values()) <= scores[0.0]
    # rule="best": the lowest dev log-loss, noise or not
    noisy_lm = np.clip(end + np.array([[0.05, -0.05], [-0.05, 0.05], [0.05, -0.05], [0.05, -0.05]] * 10), 0, 1)
    one_se, _ = choose_lm_weight(noisy_lm, end, np.ones(40, bool), y, (0.0, 0.5, 1.0))
    best, scores = choose_lm_weight(noisy_lm, end, np.ones(40, bool), y, (0.0, 0.5, 1.0), rule="best")
    assert scores[best] == min(scores.values()) and best == 1.0 > one_se
    # rows without a vote never take the label model
    assert weight == choose_lm_weight(good_lm, end, np.zeros(40, bool), y, (0.0, 1.0))[0]


def test_self_training_learns_the_rows_no_lf_votes_on():
    texts, L, y, y_true = synthetic(seed=5, n=300)
    pos = np.arange(300)
    once = FinalLabeler(DevNaiveBayes(3), n_folds=3, self_train=False).fit(texts, L, pos, y)
    twice = FinalLabeler(DevNaiveBayes(3), n_folds=3).fit(texts, L, pos, y)
    unvoted = (L == ABSTAIN).all(axis=1) & (y < 0)
    assert unvoted.sum() > 10 and twice.n_train_rows_ > once.n_train_rows_
    assert not np.allclose(twice.predict_proba(texts, L, pos)[unvoted], once.predict_proba(texts, L, pos)[unvoted])


def test_a_custom_end_model_and_a_text_column_frame():
    import pandas as pd
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    texts, L, y, y_true = synthetic(seed=6)
    pos = np.arange(len(texts))
    custom = FinalLabeler(DevNaiveBayes(3), n_folds=3, end_model=make_pipeline(CountVectorizer(), MultinomialNB()))
    pred = custom.fit(texts, L, pos, y).predict(texts, L, pos)
    assert float((pred == y_true).mean()) > 0.8
    assert custom.baseline_ is not None and hasattr(custom.baseline_.model[-1], "feature_log_prob_")
    frame = pd.DataFrame({"text": texts})
    default = FinalLabeler(DevNaiveBayes(3), n_folds=3).fit(frame, L, pos, y)
    assert np.allclose(default.predict_proba(frame, L, pos), default.predict_proba(texts, L, pos))
    with pytest.raises(EndModelError, match="reads one text column"):
        default.predict_proba(frame.assign(other=1), L, pos)


def test_label_propagation_moves_the_self_training_labels_of_no_vote_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "embeddings.sqlite"))
    texts, L, y, y_true = synthetic(seed=5, n=300)
    pos = np.arange(300)
    plain = FinalLabeler(DevNaiveBayes(3), n_folds=3).fit(texts, L, pos, y)
    spread = FinalLabeler(DevNaiveBayes(3), n_folds=3, neighbours=5, embedder=hashed_words).fit(texts, L, pos, y)
    unvoted = (L == ABSTAIN).all(axis=1) & (y < 0)
    p_plain, p_spread = plain.predict_proba(texts, L, pos), spread.predict_proba(texts, L, pos)
    assert not np.allclose(p_spread[unvoted], p_plain[unvoted])
    assert float((p_spread.argmax(axis=1) == y_true).mean()) > 0.8



def test_the_earn_its_keep_dev_check_never_reads_the_test_labels():
    """benchmarks/earn_its_keep.py --dev-check (how the defaults are chosen): scored on the dev rows outside each
    subsample, out of fold for "all"; scrambling every test label changes nothing."""
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("earn_its_keep", REPO / "benchmarks" / "earn_its_keep.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    texts, L, y, y_true = synthetic(n=200, seed=7)
    y_dev = np.where(np.arange(200) < 80, y_true, -1)
    y_test = np.where(np.arange(200) >= 150, y_true, -1)
    kwargs = dict(n_folds=3, self_train=1)
    runs = [bench.dev_check(bench.Task(texts, L, y_dev, test_labels, 3), ("20", "all"), 2, **kwargs)
            for test_labels in (y_test, np.where(y_test >= 0, (y_test + 1) % 3, -1))]
    for size in ("20", "all"):
        assert runs[0][size]["final"] == runs[1][size]["final"] > 0.7
        assert set(runs[0][size]) >= {"label_model", "supervised_on_dev", "final", "final_ece", "runs"}
    assert len(runs[0]["20"]["runs"]) == 2 and len(runs[0]["all"]["runs"]) == 1


def test_the_ensemble_end_model_is_trained_whole_in_every_fold(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "embeddings.sqlite"))
    texts, L, y, y_true = synthetic(seed=8)
    pos = np.arange(len(texts))
    final = FinalLabeler(DevNaiveBayes(3), n_folds=3, features="ensemble", embedder=hashed_words)
    pred = final.fit(texts, L, pos, y).predict(texts, L, pos)
    assert float((pred == y_true).mean()) > 0.8
    assert type(final.baseline_.model).__name__ == "SoftVote"
    assert [name for name, _ in final.fold_models_[0][1].estimators] == ["tfidf", "embeddings"]


@pytest.mark.parametrize("columns", [["amount"], []])
def test_neighbours_on_a_frame_of_one_column_or_none_is_refused_naming_the_setting(columns):
    """Case: neighbours=3 with an end model reading columns was refused only for a frame of two columns or more; a
    one-column (or, the id left out, a zero-column) frame went on to embed the frame's column names: IndexError."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    gen = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": gen.gamma(2, 600, 60)})[columns]
    y = np.where(np.arange(60) < 30, np.arange(60) % 2, -1)
    L = np.where(np.arange(60)[:, None] % 3 == 0, np.arange(60)[:, None] % 2, -1)
    labeler = FinalLabeler(DevNaiveBayes(2), end_model=DummyClassifier(), neighbours=3, n_folds=2)
    expected = ("FinalLabeler.fit: neighbours=3 finds each row's neighbours among sentence embeddings of the rows' "
                f"texts, and the end model reads the rows' columns instead (a DataFrame of columns {columns}): set "
                "neighbours=0 ([end_model] neighbours = 0 in a run config), or pass one text per row")
    with pytest.raises(ParameterError, match=re.escape(expected)):
        labeler.fit(frame, L, np.arange(60), y)
    one_text_column = pd.DataFrame({"text": [f"word{i % 7} thing" for i in range(60)]})  # the default end model's
    fitted = FinalLabeler(DevNaiveBayes(2), neighbours=3, n_folds=2, self_train=1, embedder=hashed_words).fit(
        one_text_column, L, np.arange(60), y)
    assert fitted.predict_proba(one_text_column, L, np.arange(60)).shape == (60, 2)
