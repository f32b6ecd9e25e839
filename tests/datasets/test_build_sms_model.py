"""The example's SMS model is a shipped file: the LF loads it (hash pinned) and votes as the model fitted at import did."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup import apply_lfs
from weaksup.datasets.youtube_spam import build_sms_model
from weaksup.lf.artefacts import file_sha256


@pytest.mark.slow  # fits the SMS model the old way (a few seconds)
def test_the_shipped_model_votes_as_the_model_fitted_the_old_way(youtube, youtube_registry):
    lf = youtube_registry["sms_model"]
    assert lf.model_file == build_sms_model.MODEL_PATH and lf.model_sha256 == file_sha256(build_sms_model.MODEL_PATH)
    fresh = build_sms_model.train_sms_model(*build_sms_model.read_sms())  # what lfs.py did at every import
    texts = youtube["text"].tolist()
    assert np.allclose(lf.model.predict_proba(texts), fresh.predict_proba(texts), rtol=0, atol=1e-12)
    old_votes = np.where(fresh.predict_proba(texts)[:, 1] >= 0.3, 1, -1)
    votes = apply_lfs([lf], youtube, id_column="row_id").column("sms_model")
    assert np.array_equal(votes, old_votes) and (votes == 1).sum() == 397


def test_the_shipped_model_is_loaded_not_fitted_and_its_version_is_the_file(youtube_registry):
    lf = youtube_registry["sms_model"]
    # The version hashes the file's bytes (it was "ea4d685a" when the module fitted the model at import).
    assert lf.version == "6e97585e" and not lf.explicit_version
    assert lf.manifest()["model_sha256"] == "7dbaf980a510750d6d84a9cdad4f2b17f669f885568a8830dbc50928fac5dbde"
    source = (build_sms_model.MODEL_PATH.parent.parent / "lfs.py").read_text(encoding="utf-8")
    assert "sms_spam_model.joblib" in source and ".fit(" not in source and "sklearn" not in source


@pytest.mark.slow  # fits the model twice
def test_check_mode_compares_with_a_fresh_fit(tmp_path, capsys):
    out = tmp_path / "model.joblib"
    assert build_sms_model.main(["--out", str(out)]) == 0 and out.exists()
    assert file_sha256(out) in capsys.readouterr().out
    assert build_sms_model.main(["--out", str(out), "--check"]) == 0
    assert "same predictions as a fresh fit" in capsys.readouterr().out
