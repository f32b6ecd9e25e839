"""Every name of weaksup.compat.snorkel resolves; an LF module moves over by changing its imports only."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

import weaksup.compat.snorkel as compat
from tests.conftest import REPO

pytestmark = pytest.mark.snorkel


def test_every_public_name_resolves_and_the_lf_classes_are_snorkels_own():
    import snorkel.labeling
    import snorkel.preprocess

    for name in compat.__all__:
        assert getattr(compat, name) is not None, name
    assert compat.LabelingFunction is snorkel.labeling.LabelingFunction
    assert compat.labeling_function is snorkel.labeling.labeling_function
    assert compat.preprocessor is snorkel.preprocess.preprocessor
    with pytest.raises(AttributeError, match="has no attribute 'LabelingFunctions'"):
        compat.LabelingFunctions  # noqa: B018


def test_an_lf_module_on_the_compat_imports_votes_as_before(comments, snorkel_L, tmp_path):
    source = (REPO / "labeling_functions" / "snorkel_spam.py").read_text(encoding="utf-8")
    ported = re.sub(r"^from snorkel(\.[\w.]+)? import", "from weaksup.compat.snorkel import", source, flags=re.M)
    assert ported.count("from weaksup.compat.snorkel import") == 3 and "\nfrom snorkel" not in ported
    (tmp_path / "ported_spam_lfs.py").write_text(ported, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("ported_spam_lfs", tmp_path / "ported_spam_lfs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lfs = [value for value in vars(module).values() if isinstance(value, compat.LabelingFunction)]
    assert len(lfs) == snorkel_L.shape[1]
    assert np.array_equal(compat.PandasLFApplier(lfs).apply(comments[0], progress_bar=False), snorkel_L)
