"""The Snorkel adapter predicts exactly like Snorkel, saves without pickle, and says how to install Snorkel."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.models.test_models import L
from weaksup.models import BaseLabelModel, SnorkelLabelModel


@pytest.mark.snorkel
@pytest.mark.slow
def test_predicts_like_snorkel_and_exposes_its_knobs(tmp_path):
    from snorkel.labeling.model import LabelModel as Snorkel

    ours = SnorkelLabelModel(cardinality=3, n_epochs=200, lr=0.02, l2=0.01, seed=1).fit(L)
    theirs = Snorkel(cardinality=3, verbose=False)
    theirs.fit(L, n_epochs=200, lr=0.02, l2=0.01, seed=1, progress_bar=False)
    assert np.allclose(ours.predict_proba(L), theirs.predict_proba(L), atol=1e-6)
    back = BaseLabelModel.load(ours.save(tmp_path / "snorkel.json"))  # mu and class balance, no torch object
    assert np.array_equal(back.predict_proba(L), ours.predict_proba(L))
    balanced = SnorkelLabelModel(cardinality=3, class_balance=[0.6, 0.2, 0.2], seed=1).fit(L)
    assert np.allclose(balanced.class_prior_, [0.6, 0.2, 0.2])


def test_missing_snorkel_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "snorkel.labeling.model", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"pip install .*'weaksup\[snorkel\]'"):
        SnorkelLabelModel(cardinality=3).fit(L)


@pytest.mark.snorkel
def test_fitting_touches_no_logger(caplog):
    import logging

    levels = {name: logging.getLogger(name).level for name in ("", "snorkel")}
    with caplog.at_level(logging.DEBUG):
        SnorkelLabelModel(cardinality=3, n_epochs=20).fit(L)
    assert {name: logging.getLogger(name).level for name in levels} == levels
    assert not [r for r in caplog.records if not r.name.startswith("weaksup")]  # Snorkel runs silent (verbose=False)
