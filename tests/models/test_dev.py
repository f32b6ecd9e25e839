"""The dev-aware models: tables from dev gold, EM only when it predicts dev better, F1 thresholds, selection,
and the issue's WRENCH targets for the default (test split only scored, never fitted on)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import REPO, SHARED_DATA
from tests.models.test_models import L, Y
from weaksup.calibration import apply_temperature
from weaksup.errors import LabelModelError
from weaksup.metrics import expected_calibration_error
from weaksup.models.counts import outcome_counts
from weaksup.models import (
    DEFAULT_MODEL, MODELS, DevNaiveBayes, DevSelector, DevWeightedVote, BaseLabelModel, MajorityVote, break_ties,
    default_label_model, f1_threshold,
)


def calibrated(model: DevSelector, proba: np.ndarray) -> np.ndarray:
    """``proba`` mixed with the uniform distribution (``mix_``), then at the selector's ``temperature_``."""
    k = proba.shape[1]
    return apply_temperature((1 - model.mix_) * proba + model.mix_ / k, model.temperature_)


def synthetic(n: int, seed: int, accuracy=(0.9, 0.8, 0.75, 0.7, 0.65, 0.85), coverage=0.5, positive=0.5):
    """Binary votes from the conditionally independent model."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive).astype(np.int64)
    fires = rng.random((n, len(accuracy))) < coverage
    right = rng.random((n, len(accuracy))) < np.asarray(accuracy)
    return np.where(fires, np.where(right, y[:, None], 1 - y[:, None]), -1).astype(np.int8), y


# -- DevWeightedVote --------------------------------------------------------------------------------------------
def test_weighted_vote_measures_lf_accuracy_on_dev():
    model = DevWeightedVote(cardinality=3, prior_strength=0.0).fit(L, L_dev=L[:200], y_dev=Y[:200])
    voted = L[:200] >= 0
    expected = ((L[:200] == Y[:200, None]) & voted).sum(0) / voted.sum(0)
    assert np.allclose(model.accuracy_, expected)
    assert (model.predict(L, tie_break="hash") == Y).mean() > 0.7


def test_weighted_vote_better_lfs_weigh_more():
    # LF 0 is always right on dev, LF 1 and 2 are coin flips: LF 0 must win a 1-vs-2 disagreement
    y = np.array([0, 1] * 50)
    dev = np.stack([y, np.tile([0, 0, 1, 1], 25), np.tile([1, 0, 0, 1], 25)], axis=1)
    model = DevWeightedVote(cardinality=2).fit(dev, L_dev=dev, y_dev=y)
    assert model.predict([[0, 1, 1]]).tolist() == [0]


# -- DevNaiveBayes ----------------------------------------------------------------------------------------------
def test_naive_bayes_tables_are_smoothed_dev_counts():
    dev = np.array([[0, -1], [0, 1], [1, 1], [-1, 1], [0, -1]])
    y = np.array([0, 0, 1, 1, 0])
    unlabeled = np.array([[0, 1], [-1, -1], [1, -1]])
    model = DevNaiveBayes(cardinality=2, smoothing=2.0, unlabeled="ignore").fit(unlabeled, L_dev=dev, y_dev=y)
    table = np.exp(model.log_conditional_)
    # LF 0 over all 8 rows: abstain 2, vote 0 4, vote 1 2 (+0.5 each) -> spread (2.5, 4.5, 2.5) / 9.5
    spread = np.array([2.5, 4.5, 2.5]) / 9.5
    assert np.allclose(table[0, 0], (np.array([0, 3, 0]) + 2 * spread) / (3 + 2))  # class 0: LF 0 voted 0 three times
    assert np.allclose(table[0, 1], (np.array([1, 0, 1]) + 2 * spread) / (2 + 2))
    assert np.allclose(model.class_prior_, [4 / 7, 3 / 7])
    assert np.allclose(table.sum(axis=2), 1) and model.source_ == "dev" and model.threshold_ is None


def test_naive_bayes_never_overrules_every_vote_unless_told():
    # on dev, LF 0's vote for class 0 is right only 1 time in 5: the model learns to distrust it
    dev = np.array([[0, -1]] * 5 + [[1, -1]] * 5 + [[-1, 0]] * 5)
    y = np.array([1, 1, 1, 1, 0] + [1] * 5 + [0] * 5)
    free = DevNaiveBayes(cardinality=2, restrict_to_voted=False, unlabeled="ignore").fit(dev, L_dev=dev, y_dev=y)
    kept = DevNaiveBayes(cardinality=2, unlabeled="ignore").fit(dev, L_dev=dev, y_dev=y)
    assert free.predict([[0, -1]]).tolist() == [1]
    assert kept.predict([[0, -1]]).tolist() == [0] and kept.raw_proba([[0, -1]])[0, 1] == 0.0
    # no vote: the class balance and each LF's abstaining decide (LF 0 abstains mostly on class 0)
    expected = kept.class_prior_ * np.exp(kept.log_conditional_[:, :, 0].sum(axis=0))
    assert np.allclose(kept.raw_proba([[-1, -1]])[0], expected / expected.sum())
    assert kept.predict([[-1, -1]]).tolist() == [0]


def test_naive_bayes_uses_unlabeled_em_only_when_it_predicts_dev_better():
    L_big, _ = synthetic(40000, seed=1)
    dev, y_dev = synthetic(60, seed=2)
    model = DevNaiveBayes(cardinality=2).fit(L_big, L_dev=dev, y_dev=y_dev)
    assert model.source_ == "unlabeled" and model.dev_brier_["unlabeled"] < model.dev_brier_["dev"]
    # as the centre of the dev counts' shrinkage, EM's tables are as good as alone on these rows (its own assumptions)
    centred = DevNaiveBayes(cardinality=2, shrink_toward="unlabeled").fit(L_big, L_dev=dev, y_dev=y_dev)
    assert centred.source_ == min(centred.dev_brier_, key=centred.dev_brier_.get)
    assert abs(centred.dev_brier_["unlabeled"] - centred.dev_brier_["dev+unlabeled"]) < 0.02
    # the two best LFs mean the opposite on the unlabeled rows: EM's tables fit those rows, not the dev gold
    flipped = L_big.copy()
    flipped[:, :2] = np.where(L_big[:, :2] >= 0, 1 - L_big[:, :2], -1)
    dev, y_dev = synthetic(400, seed=3)
    model = DevNaiveBayes(cardinality=2).fit(flipped, L_dev=dev, y_dev=y_dev)
    assert model.source_ == "dev" and model.dev_brier_["unlabeled"] > model.dev_brier_["dev"]
    assert (model.predict(dev, tie_break="hash") == y_dev).mean() > 0.8


def test_naive_bayes_shrinks_lfs_voting_several_classes_toward_em_tables():
    from weaksup.models import DawidSkene

    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 3000)
    # LFs 0-3 vote all three classes (crowd workers, 80%/70%/60%/55% right); LF 4 only ever votes class 2
    votes = np.full((3000, 8), -1, dtype=np.int64)
    for j, accuracy in enumerate((0.8, 0.7, 0.6, 0.55)):
        fires = rng.random(3000) < 0.6
        wrong = (y + rng.integers(1, 3, 3000)) % 3
        votes[fires, j] = np.where(rng.random(3000) < accuracy, y, wrong)[fires]
    votes[(y == 2) & (rng.random(3000) < 0.5), 4] = 2
    votes[:, 5:] = votes[:, [1]]  # three copies of LF 1: EM's tables alone count it 4 times over (dev Brier worse)
    L, dev, y_dev = votes[:2990], votes[2990:], y[2990:]  # 10 dev rows: the dev counts say little
    model = DevNaiveBayes(cardinality=3, shrink_toward="unlabeled").fit(L, L_dev=dev, y_dev=y_dev)
    plain = DevNaiveBayes(cardinality=3, unlabeled="ignore", thin_dev=0).fit(L, L_dev=dev, y_dev=y_dev)
    assert model.source_ == "dev+unlabeled" and plain.source_ == "dev"
    em = DawidSkene(3).fit(L).confusion_
    table, old = np.exp(model.log_conditional_), np.exp(plain.log_conditional_)
    seen = outcome_counts(L, 3) + outcome_counts(dev, 3) + 0.5
    spread = (seen / seen.sum(axis=1, keepdims=True))[:, None, :]
    # the same dev counts; only the centre of the 3 pseudo-rows moved: to EM's table for LFs 0-3, not for LF 4
    centre = spread + (table - old) * (np.bincount(y_dev, minlength=3)[None, :, None] + 3.0) / 3.0
    assert np.allclose(centre[:4], em[:4]) and np.allclose(centre[5:], em[5:]) and np.allclose(centre[4], spread[4])
    assert (model.predict(L, tie_break="hash") == y[:2990]).mean() > (plain.predict(L, tie_break="hash")
                                                                       == y[:2990]).mean() + 0.01


def test_naive_bayes_centres_a_thin_dev_split_on_em_tables_when_told():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 3100)
    votes = np.full((3100, 5), -1, dtype=np.int64)
    for j, accuracy in enumerate((0.8, 0.7, 0.6, 0.55)):  # crowd workers voting all three classes
        fires = rng.random(3100) < 0.6
        wrong = (y + rng.integers(1, 3, 3100)) % 3
        votes[fires, j] = np.where(rng.random(3100) < accuracy, y, wrong)[fires]
    votes[(y == 2) & (rng.random(3100) < 0.5), 4] = 2
    L = votes[:3000]
    # 12 dev rows for 3 classes (< thin_dev=10 per class): centred as with shrink_toward="unlabeled" (the default for
    # two classes; three take one-coin tables: tests/models/test_naive_bayes.py)
    thin = DevNaiveBayes(cardinality=3, calibrate=False, thin_toward="unlabeled").fit(
        L, L_dev=votes[3000:3012], y_dev=y[3000:3012])
    centred = DevNaiveBayes(cardinality=3, calibrate=False, shrink_toward="unlabeled").fit(
        L, L_dev=votes[3000:3012], y_dev=y[3000:3012])
    off = DevNaiveBayes(cardinality=3, calibrate=False, thin_dev=0).fit(L, L_dev=votes[3000:3012], y_dev=y[3000:3012])
    assert thin.source_ in ("dev+unlabeled", "unlabeled") and off.source_ in ("dev", "unlabeled")
    assert np.allclose(thin.log_conditional_, centred.log_conditional_)
    if off.source_ == "dev" and thin.source_ == "dev+unlabeled":
        assert not np.allclose(thin.log_conditional_, off.log_conditional_)
    # 100 dev rows (33 per class): the dev counts are trusted, the centre stays the spread
    wide = DevNaiveBayes(cardinality=3, calibrate=False).fit(L, L_dev=votes[3000:], y_dev=y[3000:])
    assert wide.source_ in ("dev", "unlabeled")
    assert DevNaiveBayes().get_params()["thin_dev"] == 10.0
    with pytest.raises(LabelModelError, match="thin_dev"):
        DevNaiveBayes(thin_dev=-1).fit(L, L_dev=votes[3000:], y_dev=y[3000:])


def test_naive_bayes_samples_large_unlabeled_matrices():
    L_big, y_big = synthetic(30000, seed=4)
    dev, y_dev = synthetic(300, seed=5)
    sampled = DevNaiveBayes(cardinality=2, max_unlabeled=5000, seed=1).fit(L_big, L_dev=dev, y_dev=y_dev)
    again = DevNaiveBayes(cardinality=2, max_unlabeled=5000, seed=1).fit(L_big, L_dev=dev, y_dev=y_dev)
    assert np.array_equal(sampled.log_conditional_, again.log_conditional_)
    assert (sampled.predict(L_big, tie_break="hash") == y_big).mean() > 0.85


# -- F1 thresholds ----------------------------------------------------------------------------------------------
def test_f1_threshold_picks_the_best_cut():
    assert f1_threshold(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0])) == pytest.approx(0.55)
    assert f1_threshold(np.array([0.2, 0.1, 0.1]), np.array([1, 1, 1])) == 0.0  # everything positive
    assert f1_threshold(np.array([0.2, 0.1]), np.array([0, 0])) > 1.0  # no positive to find


@pytest.mark.parametrize("cls", [DevNaiveBayes, DevWeightedVote, DevSelector], ids=lambda c: c.__name__)
def test_f1_metric_tunes_the_binary_threshold_on_dev(cls, tmp_path):
    # rare positives (10%) and weak LFs: the most likely class is seldom the positive one, F1 wants more positives
    votes, y = synthetic(3000, seed=6, accuracy=(0.7, 0.7, 0.65, 0.6, 0.6), coverage=1.0, positive=0.1)
    model = cls(cardinality=2, metric="f1").fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
    plain = cls(cardinality=2).fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
    assert plain.threshold_ is None and 0 < model.threshold_ < 1

    def f1(pred):
        tp = ((pred == 1) & (y[:2000] == 1)).sum()
        return 2 * tp / (pred.sum() + (y[:2000] == 1).sum())

    assert f1(model.predict(votes[:2000])) > f1(plain.predict(votes[:2000], tie_break="hash")) + 0.04
    # the threshold changes decisions, not probabilities (the selector answers with the model it chose)
    if cls is DevSelector:  # the selector answers with the model it chose, at its fitted temperature
        assert np.allclose(model.predict_proba(votes), calibrated(model, model.best_estimator_.predict_proba(votes)))
    else:
        assert np.array_equal(model.predict_proba(votes), plain.predict_proba(votes))
    back = BaseLabelModel.load(model.save(tmp_path / "m.json"))
    assert back.threshold_ == model.threshold_ and np.array_equal(back.predict(votes), model.predict(votes))


def test_coarse_f1_threshold_with_few_dev_rows_of_a_class():
    from weaksup.models.dev import coarse_f1_threshold

    assert coarse_f1_threshold(np.array([0.9, 0.6, 0.2, 0.1]), np.array([1, 1, 0, 0])) == 0.5
    assert coarse_f1_threshold(np.array([0.3, 0.2, 0.1]), np.array([1, 0, 0])) == 0.0  # 0.5 finds no positive
    # rare positives, weak LFs: with 3 dev positives (< thin_dev=10) the threshold is 0.5 or 0, never a cut fitted to
    # those 3 rows; with 30 of them it is tuned as before; thin_dev=0 always tunes it
    votes, y = synthetic(3000, seed=6, accuracy=(0.7, 0.7, 0.65, 0.6, 0.6), coverage=1.0, positive=0.1)
    few = np.concatenate([np.flatnonzero(y[2000:] == 1)[:3], np.flatnonzero(y[2000:] == 0)[:27]]) + 2000
    thin = DevNaiveBayes(cardinality=2, metric="f1").fit(votes[:2000], L_dev=votes[few], y_dev=y[few])
    tuned = DevNaiveBayes(cardinality=2, metric="f1", thin_dev=0).fit(votes[:2000], L_dev=votes[few], y_dev=y[few])
    assert thin.threshold_ in (0.0, 0.5) and tuned.threshold_ not in (0.0, 0.5)
    wide = DevNaiveBayes(cardinality=2, metric="f1").fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
    assert (y[2000:] == 1).sum() >= 10 and wide.threshold_ not in (0.0, 0.5)


def test_dev_models_need_dev_gold_and_say_so():
    for cls in (DevWeightedVote, DevNaiveBayes, DevSelector):
        with pytest.raises(LabelModelError, match=f"{cls.__name__} needs dev gold labels.*L_dev=.*MajorityVote"):
            cls(cardinality=3).fit(L)
    with pytest.raises(LabelModelError, match="outside classes 0..2.*drop unlabeled dev rows"):
        DevNaiveBayes(cardinality=3).fit(L, L_dev=L[:5], y_dev=[0, 1, 2, 3, -1])
    with pytest.raises(LabelModelError, match=r"expected \(n_dev, 6\) votes"):
        DevNaiveBayes(cardinality=3).fit(L, L_dev=L[:5, :2], y_dev=Y[:5])
    with pytest.raises(LabelModelError, match="needs 2 classes; got 3"):
        DevNaiveBayes(cardinality=3, metric="f1").fit(L, L_dev=L[:50], y_dev=Y[:50])
    with pytest.raises(LabelModelError, match="DevNaiveBayes: smoothing must be a number > 0; got 0"):
        DevNaiveBayes(cardinality=3, smoothing=0).fit(L, L_dev=L[:50], y_dev=Y[:50])
    with pytest.raises(LabelModelError, match=r"prior_accuracy must be a number in \[0, 1\]; got 1.5"):
        DevWeightedVote(cardinality=3, prior_accuracy=1.5).fit(L, L_dev=L[:50], y_dev=Y[:50])
    with pytest.raises(LabelModelError, match="DevWeightedVote: prior_strength must be a number >= 0; got -1"):
        DevWeightedVote(cardinality=3, prior_strength=-1).fit(L, L_dev=L[:50], y_dev=Y[:50])
    with pytest.raises(LabelModelError, match="unknown candidate 'Nope'"):
        DevSelector(cardinality=3, candidates=("MajorityVote", "Nope")).fit(L, L_dev=L[:50], y_dev=Y[:50])


# -- DevSelector and the default --------------------------------------------------------------------------------
def test_selector_keeps_its_fallback_unless_another_model_clearly_wins():
    votes, y = synthetic(2000, seed=7, accuracy=(0.95, 0.6, 0.55, 0.55, 0.6))  # one good LF among weak ones
    mv_first = ("MajorityVote", "DawidSkene", "DevWeightedVote", "DevNaiveBayes")
    chosen = DevSelector(cardinality=2, candidates=mv_first).fit(votes, L_dev=votes[:500], y_dev=y[:500])
    assert chosen.selected_ != "MajorityVote"
    assert chosen.dev_scores_[chosen.selected_] > chosen.dev_scores_["MajorityVote"] + 1
    raw = chosen.best_estimator_.predict_proba(votes)
    assert np.allclose(chosen.predict_proba(votes), calibrated(chosen, raw))
    assert np.array_equal(chosen.predict(votes), break_ties(raw, "abstain"))  # calibration keeps each row's class
    cautious = DevSelector(cardinality=2, candidates=mv_first, margin=100.0).fit(votes, L_dev=votes[:500],
                                                                               y_dev=y[:500])
    assert cautious.selected_ == "MajorityVote" and isinstance(cautious.best_estimator_, MajorityVote)


def test_auto_candidates_fall_back_to_dawid_skene_for_two_classes_and_to_majority_vote_for_more():
    votes, y = synthetic(600, seed=12)
    two = DevSelector(cardinality=2, margin=100.0).fit(votes, L_dev=votes[:100], y_dev=y[:100])
    assert two.candidate_names()[:2] == ("DawidSkene", "MajorityVote") and two.selected_ == "DawidSkene"
    three = DevSelector(cardinality=3, margin=100.0).fit(L, L_dev=L[:100], y_dev=Y[:100])
    assert three.candidate_names()[:2] == ("MajorityVote", "DawidSkene") and three.selected_ == "MajorityVote"
    assert set(two.candidate_names()) == set(three.candidate_names()) and "MajorityVote" in two.dev_scores_


def test_selector_rule_is_the_simplest_candidate_within_noise_of_the_best():
    votes, y = synthetic(3000, seed=8, accuracy=(0.9, 0.7, 0.65, 0.6, 0.6))
    for n_se in (0.0, 0.5, 3.0):
        model = DevSelector(cardinality=2, n_se=n_se).fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
        scores, se, names = model.dev_scores_, model.dev_se_, list(model.candidate_names())
        best = max(scores.values())
        within = [name for name in names if scores[name] >= best - n_se * se[name]]
        assert model.selected_ == within[0]  # the first (simplest) candidate within n_se standard errors
        assert se[max(names, key=lambda name: (scores[name], -names.index(name)))] == 0.0
        assert all(0 <= value < 10 for value in se.values())
    # with zero standard errors allowed the best dev score wins; a huge allowance keeps the fallback
    greedy = DevSelector(cardinality=2, n_se=0.0).fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
    assert greedy.dev_scores_[greedy.selected_] == max(greedy.dev_scores_.values())
    assert DevSelector(cardinality=2, n_se=100.0).fit(votes[:2000], L_dev=votes[2000:],
                                                      y_dev=y[2000:]).selected_ == "DawidSkene"  # the fallback


def test_selector_scores_dev_aware_candidates_by_repeated_cross_validation():
    votes, y = synthetic(1500, seed=9, accuracy=(0.9, 0.7, 0.65, 0.6, 0.6))
    dev, y_dev = votes[1000:1200], y[1000:1200]
    once = DevSelector(cardinality=2, n_repeats=1, seed=4).fit(votes[:1000], L_dev=dev, y_dev=y_dev)
    thrice = DevSelector(cardinality=2, n_repeats=3, seed=4).fit(votes[:1000], L_dev=dev, y_dev=y_dev)
    # unsupervised candidates never see a dev label: the same score however many repeats
    assert once.dev_scores_["MajorityVote"] == thrice.dev_scores_["MajorityVote"]
    assert once.dev_scores_["DawidSkene"] == thrice.dev_scores_["DawidSkene"]
    # a dev-aware candidate's score is the mean over repeats of its out-of-fold accuracy (repeat r: seed + 7919 r)
    fitted = DevWeightedVote(cardinality=2).fit(votes[:1000], L_dev=dev, y_dev=y_dev)
    accs = [(break_ties(fitted.honest_dev_proba(votes[:1000], dev, y_dev, 4 + 7919 * r), "hash") == y_dev).mean()
            for r in range(3)]
    assert thrice.dev_scores_["DevWeightedVote"] == pytest.approx(100 * np.mean(accs))
    assert once.dev_scores_["DevWeightedVote"] == pytest.approx(100 * accs[0])


def test_selector_keeps_its_fallback_on_a_tiny_dev_split():
    votes, y = synthetic(500, seed=10)
    for n_dev in (0, 1, 3):
        model = DevSelector(cardinality=2).fit(votes, L_dev=votes[:n_dev], y_dev=y[:n_dev])
        assert model.selected_ == "DawidSkene" and model.temperature_ == 1.0 and model.mix_ == 0.0
        assert model.predict_proba(votes).shape == (500, 2)
    assert DevSelector(cardinality=3).fit(L, L_dev=L[:3], y_dev=Y[:3]).selected_ == "MajorityVote"


def test_selector_calibrates_an_overconfident_winner():
    # the winner's out-of-fold dev probabilities are off (one adversarial LF): a temperature fitted to them
    # (and kept because it lowers their calibration error) also lowers it on rows the selector never saw
    votes, y = synthetic(4000, seed=11, accuracy=(0.75, 0.7, 0.7, 0.65, 0.65, 0.6), coverage=0.9)
    flipped = votes.copy()
    flipped[:, 0] = np.where(votes[:, 0] >= 0, 1 - votes[:, 0], -1)  # one LF is adversarial
    plain = DevSelector(cardinality=2, calibrate=False, n_se=0.0).fit(flipped[:3000], L_dev=flipped[3000:3500],
                                                                       y_dev=y[3000:3500])
    calibrated = DevSelector(cardinality=2, n_se=0.0).fit(flipped[:3000], L_dev=flipped[3000:3500],
                                                           y_dev=y[3000:3500])
    assert plain.temperature_ == 1.0 and plain.mix_ == 0.0 and calibrated.selected_ == plain.selected_
    assert (calibrated.temperature_, calibrated.mix_) != (1.0, 0.0)
    held, y_held = flipped[3500:], y[3500:]
    ece_plain = expected_calibration_error(y_held, plain.predict_proba(held))
    ece_calibrated = expected_calibration_error(y_held, calibrated.predict_proba(held))
    assert ece_calibrated < ece_plain
    assert np.array_equal(calibrated.predict(held), plain.predict(held))  # the classes never change


def test_naive_bayes_calibrates_its_overconfident_posterior(tmp_path):
    # correlated LFs (three copies of each): naive Bayes counts the same evidence three times, so it is
    # overconfident; the calibration fitted on its out-of-fold dev predictions lowers the ECE on unseen rows
    votes, y = synthetic(4000, seed=12, accuracy=(0.75, 0.7, 0.65), coverage=0.7)
    tripled = np.repeat(votes, 3, axis=1)
    fit = {"L_dev": tripled[3000:3500], "y_dev": y[3000:3500]}
    plain = DevNaiveBayes(cardinality=2, calibrate=False).fit(tripled[:3000], **fit)
    model = DevNaiveBayes(cardinality=2).fit(tripled[:3000], **fit)
    assert (plain.mix_, plain.temperature_) == (0.0, 1.0) and model.temperature_ > 1.0
    held, y_held = tripled[3500:], y[3500:]
    assert np.allclose(model.raw_proba(held), plain.predict_proba(held))
    assert expected_calibration_error(y_held, model.predict_proba(held)) \
        < expected_calibration_error(y_held, plain.predict_proba(held)) - 0.02
    assert np.array_equal(model.predict(held), plain.predict(held))  # the classes never change
    loaded = BaseLabelModel.load(model.save(tmp_path / "nb.json"))
    assert np.allclose(loaded.predict_proba(held), model.predict_proba(held))
    # a dev split too small to show anything keeps the posterior as it is
    tiny = DevNaiveBayes(cardinality=2).fit(tripled[:3000], L_dev=tripled[3000:3001], y_dev=y[3000:3001])
    assert (tiny.mix_, tiny.temperature_) == (0.0, 1.0)


def test_naive_bayes_out_of_fold_from_counts_is_the_refitted_one():
    # the out-of-fold dev posteriors come from fold counts, without refitting: the same numbers as refitting a
    # copy on the other folds; each repeat's seed draws other folds
    from weaksup.models.dev import refit_out_of_fold

    votes, y = synthetic(600, seed=13)
    model = DevNaiveBayes(cardinality=2, unlabeled="ignore", calibrate=False).fit(votes[:400], L_dev=votes[400:],
                                                                                   y_dev=y[400:])
    for seed, restrict in ((0, True), (5, False)):
        fast = model.out_of_fold(votes[:400], votes[400:], y[400:], seed, restrict_to_voted=restrict)
        refitted = refit_out_of_fold(model, votes[:400], votes[400:], y[400:], 5,
                                     {"seed": seed, "restrict_to_voted": restrict})
        assert np.allclose(fast, refitted)
    assert not np.allclose(model.honest_dev_proba(votes[:400], votes[400:], y[400:], 0),
                           model.honest_dev_proba(votes[:400], votes[400:], y[400:], 1))


def test_default_label_model():
    assert DEFAULT_MODEL in MODELS and isinstance(default_label_model(2), MODELS[DEFAULT_MODEL])
    assert default_label_model(2, metric="f1").metric == "f1"
    assert isinstance(default_label_model(2, dev_gold=False), MajorityVote)


# -- the targets on WRENCH -------------------------------------------------------------------------------
WRENCH_7 = ("youtube", "sms", "trec", "chemprot", "imdb", "yelp", "basketball")


def test_default_beats_published_models_on_wrench():
    """Average >= 56.0 over the 7 shared WRENCH sets and never more than 1 point below majority vote."""
    from benchmarks.label_models import score
    from weaksup.datasets import load_wrench

    missing = [name for name in WRENCH_7 if not (SHARED_DATA / name).exists()]
    if missing:
        pytest.skip(f"shared data {missing} not found under {SHARED_DATA} (set WEAKSUP_SHARED_DATA)")
    scores, majority = {}, {}
    for name in WRENCH_7:
        ds = load_wrench(SHARED_DATA / name)
        k, valid, test = ds.label_space.cardinality, ds.splits["valid"], ds.splits["test"]
        fit_on = ds.splits.get("train", valid).votes  # chemprot has no train split: its valid votes, not test
        model = default_label_model(k, metric=ds.metric).fit(fit_on, L_dev=valid.votes, y_dev=valid.y)
        scores[name] = score(ds.metric, test.y, model.predict(test.votes, tie_break="hash"))
        majority[name] = score(ds.metric, test.y, MajorityVote(k).fit(test.votes).predict(test.votes, tie_break="hash"))
    assert np.mean(list(scores.values())) >= 56.0, scores
    assert all(scores[name] >= majority[name] - 1 for name in WRENCH_7), (scores, majority)


@pytest.mark.slow
def test_label_model_benchmark_smoke(tmp_path):
    import json

    if not (SHARED_DATA / "youtube").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set WEAKSUP_SHARED_DATA)")
    from benchmarks.label_models import main

    out = tmp_path / "r.json"
    result = main(["--data", str(SHARED_DATA), "--datasets", "youtube", "--json", str(out)])
    assert result["youtube"]["MajorityVote"]["test"] == 84.0  # WRENCH's published MV
    assert result["youtube"]["default"]["test"] >= result["youtube"]["MajorityVote"]["test"] - 1
    saved = json.loads(out.read_text())
    assert set(saved["youtube"]["default"]) >= {"metric", "test", "valid", "fit_s"}
    assert saved["youtube"]["default"]["metric"] == "acc" and (REPO / "benchmarks" / "label_models.py").exists()


@pytest.mark.snorkel
def test_scale_benchmark_smoke():
    from benchmarks.label_models import scale

    result = scale(rows=20000, lfs=8, dev_rows=300)
    assert result["default_model"] == DEFAULT_MODEL and result["time_ratio_default_over_snorkel"] > 0
    assert result["default_acc"] > result["bayes_optimal_acc"] - 0.01  # close to the best possible
    assert result["snorkel_acc"] > result["bayes_optimal_acc"] - 0.01
