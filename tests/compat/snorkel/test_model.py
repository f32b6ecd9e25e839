"""LabelModel and the voters: Snorkel's predictions, keywords, Y_dev/class_balance meaning and storage (no pickle)."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys

import numpy as np
import pytest

from weaksup.compat.snorkel import LabelModel, MajorityClassVoter, MajorityLabelVoter
from weaksup.compat.snorkel.model import TRAIN_CONFIG
from weaksup.errors import LabelModelError, NotFittedError

pytestmark = pytest.mark.snorkel
FIT = {"n_epochs": 120, "log_freq": 40, "seed": 123, "progress_bar": False}


def fit_both(L, **kwargs):
    from snorkel.labeling.model import LabelModel as SnorkelLabelModel

    ours, theirs = LabelModel(cardinality=2, verbose=False), SnorkelLabelModel(cardinality=2, verbose=False)
    ours.fit(L, **kwargs)
    theirs.fit(L, **kwargs)
    return ours, theirs


@pytest.mark.slow
@pytest.mark.parametrize("extra", [{}, {"lr": 0.05, "l2": 0.1, "optimizer": "adam", "prec_init": 0.6},
                                   {"class_balance": [0.3, 0.7]}, {"Y_dev": "dev gold"}])
def test_predictions_equal_snorkels_label_model(comments, snorkel_L, extra):
    if "Y_dev" in extra:  # Snorkel's meaning: Y_dev only sets the class balance
        extra = {"Y_dev": comments[1][::7]}
    ours, theirs = fit_both(snorkel_L, **FIT, **extra)
    assert np.allclose(ours.predict_proba(snorkel_L), theirs.predict_proba(snorkel_L), atol=1e-6)
    for policy in ("abstain", "random"):
        assert np.array_equal(ours.predict(snorkel_L, tie_break_policy=policy),
                              theirs.predict(snorkel_L, tie_break_policy=policy))
    preds, probs = ours.predict(snorkel_L, return_probs=True)
    assert probs.shape == (len(snorkel_L), 2) and np.array_equal(preds, theirs.predict(snorkel_L))
    metrics = ["accuracy", "f1", "coverage", "roc_auc"]
    assert ours.score(snorkel_L, comments[1], metrics, "random") == theirs.score(snorkel_L, comments[1], metrics,
                                                                                  "random")
    assert np.array_equal(ours.get_weights(), theirs.get_weights())
    assert np.array_equal(ours.get_conditional_probs(), theirs.get_conditional_probs())
    assert np.array_equal(ours.p, theirs.p)


def test_unknown_keywords_are_errors_naming_the_accepted_ones(snorkel_L):
    model = LabelModel(cardinality=2, verbose=False)
    with pytest.raises(LabelModelError, match=r"LabelModel.fit: unknown keyword 'epochs'; the keywords Snorkel "
                                              r"accepts here are \['n_epochs', 'lr', 'l2', 'optimizer'"):
        model.fit(snorkel_L, epochs=10)
    with pytest.raises(LabelModelError, match=r"LabelModel\(\): unknown keyword 'verbosity'.*\['verbose', 'device'\]"):
        LabelModel(cardinality=2, verbosity=False)
    with pytest.raises(LabelModelError, match="MajorityLabelVoter.*unknown keyword 'seed'"):
        MajorityLabelVoter(cardinality=2, seed=1)
    assert set(TRAIN_CONFIG) == {"n_epochs", "lr", "l2", "optimizer", "optimizer_config", "lr_scheduler",
                                 "lr_scheduler_config", "prec_init", "seed", "log_freq", "mu_eps"}


def test_snorkel_settings_weaksup_cannot_honour_are_errors_never_ignored(snorkel_L):
    model = LabelModel(cardinality=2, verbose=False)
    with pytest.raises(LabelModelError, match=r"fit\(lr_scheduler='linear'\).*does not take lr_scheduler"):
        model.fit(snorkel_L, lr_scheduler="linear", seed=1)
    with pytest.raises(LabelModelError, match=r"fit\(mu_eps=0.05\)"):
        model.fit(snorkel_L, mu_eps=0.05, seed=1)
    # Snorkel takes one initial precision per LF; the backing model takes one number: said so, not "in [0, 1]"
    per_lf = np.full(snorkel_L.shape[1], 0.8)
    with pytest.raises(LabelModelError, match=r"fit\(prec_init=array\(\[0\.8, .*does not take one prec_init per "
                                              r"LF yet; pass one number in \[0, 1\].*fit snorkel\.labeling\.model"):
        model.fit(snorkel_L, prec_init=per_lf, seed=1)
    with pytest.raises(LabelModelError, match=r"fit\(prec_init=\[0\.8, 0\.8.*does not take one prec_init per LF"):
        model.fit(snorkel_L, prec_init=per_lf.tolist(), seed=1)
    model.fit(snorkel_L, prec_init=np.float64(0.8), n_epochs=5, seed=1, progress_bar=False)  # one number: fitted
    assert model.train_config["prec_init"] == 0.8
    with pytest.raises(LabelModelError, match=r"device='cuda:0'.*CPU only"):
        LabelModel(cardinality=2, device="cuda:0")


@pytest.mark.slow
def test_y_dev_and_class_balance_checks(snorkel_L, caplog):
    model = LabelModel(cardinality=2, verbose=False)
    with pytest.raises(LabelModelError, match=r"Y_dev has 1 class\(es\) \[1\]. Does not match LabelModel cardinality 2"):
        model.fit(snorkel_L, Y_dev=np.ones(20, dtype=int), seed=1)
    with pytest.raises(LabelModelError, match="class_balance has 3 entries"):
        model.fit(snorkel_L, class_balance=[0.2, 0.3, 0.5], seed=1)
    with pytest.raises(LabelModelError, match="L_train: vote 2 .* outside the label space"):
        model.fit(np.where(snorkel_L == 1, 2, snorkel_L), seed=1)
    with caplog.at_level(logging.WARNING, logger="weaksup.compat.snorkel.model"):
        model.fit(snorkel_L, Y_dev=np.array([0, 1, 1]), class_balance=[0.5, 0.5], n_epochs=5, seed=1,
                  progress_bar=False)
    assert "Y_dev is not used because class_balance is given" in caplog.text
    assert np.array_equal(model.p, [0.5, 0.5])


def test_save_load_round_trip_as_json_and_a_pickle_is_never_loaded(snorkel_L, tmp_path):
    model = LabelModel(cardinality=2, verbose=False)
    with pytest.raises(NotFittedError, match="call fit"):
        model.predict(snorkel_L)
    model.fit(snorkel_L, n_epochs=20, seed=3, progress_bar=False)
    model.save(str(tmp_path / "label_model.pkl"))  # the name a Snorkel script uses; the content is JSON
    assert (tmp_path / "label_model.pkl").read_text().lstrip().startswith("{")
    again = LabelModel(verbose=False)
    again.load(str(tmp_path / "label_model.pkl"))
    assert np.array_equal(again.predict_proba(snorkel_L), model.predict_proba(snorkel_L))
    assert np.array_equal(again.get_weights(), model.get_weights()) and again.train_config["seed"] == 3

    marker = tmp_path / "pwned"
    (tmp_path / "snorkel.pkl").write_bytes(pickle.dumps(_Evil(str(marker))))
    with pytest.raises(LabelModelError, match="never unpickles"):
        again.load(str(tmp_path / "snorkel.pkl"))
    assert not marker.exists()


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_majority_voters_equal_snorkels(comments, snorkel_L):
    from snorkel.labeling.model import MajorityClassVoter as SnorkelClassVoter
    from snorkel.labeling.model import MajorityLabelVoter as SnorkelVoter

    ours, theirs = MajorityLabelVoter(), SnorkelVoter()
    assert np.array_equal(ours.predict_proba(snorkel_L), theirs.predict_proba(snorkel_L))
    for policy in ("abstain", "random"):
        assert np.array_equal(ours.predict(snorkel_L, tie_break_policy=policy),
                              theirs.predict(snorkel_L, tie_break_policy=policy))
        assert (ours.score(snorkel_L, comments[1], ["accuracy", "f1_macro"], policy)
                == theirs.score(snorkel_L, comments[1], ["accuracy", "f1_macro"], policy))
    three = np.random.default_rng(0).integers(-1, 3, (500, 4))
    assert np.array_equal(MajorityLabelVoter(3).predict_proba(three), SnorkelVoter(3).predict_proba(three))
    ours_class, theirs_class = MajorityClassVoter(), SnorkelClassVoter()
    ours_class.fit(np.array([0.3, 0.7]))
    theirs_class.fit(np.array([0.3, 0.7]))
    assert np.array_equal(ours_class.predict(snorkel_L), theirs_class.predict(snorkel_L))


def test_importing_weaksup_or_the_compat_module_imports_neither_snorkel_nor_torch():
    code = ("import sys, weaksup; weaksup.compat.snorkel.LabelModel; from weaksup.compat.snorkel import LabelModel; "
            "print(sorted(m for m in ('snorkel', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
