"""Nothing read from a data file, a config value or a saved artefact is executed or unpickled."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.config import load_config
from weaksup.errors import LabelModelError, VoteMatrixError
from weaksup.models import BaseLabelModel as LabelModel
from weaksup.models import MajorityVote
from weaksup.pipeline import run
from weaksup.votes import VoteMatrix


class _Planted:
    """Unpickling this creates a marker file: the proof that a pickle was loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _pickled_array(marker) -> np.ndarray:
    array = np.empty(1, dtype=object)
    array[0] = _Planted(str(marker))
    return array


def test_a_vote_matrix_holding_a_pickle_is_refused_unopened(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "votes.npz"
    np.savez(path, values=np.zeros((1, 1), np.int8), row_ids=_pickled_array(marker),
             meta=np.array(json.dumps({"format": "weaksup.VoteMatrix", "lf_names": ["a"], "lf_versions": [""]})))
    with pytest.raises(VoteMatrixError, match="cannot read vote matrix"):
        VoteMatrix.load(path)
    assert not marker.exists()


def test_the_planted_pickle_is_live(tmp_path):
    """The canary: unpickling the payload the tests below plant does create the marker file."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(_Planted(str(marker))))
    assert marker.exists()


@pytest.mark.parametrize(("planted", "params"), [
    ("os.system", {"command": "touch {marker}"}),
    ("subprocess.Popen", {"args": ["touch", "{marker}"]}),
    ("builtins.exec", {"source": "open({marker!r}, 'w')"}),
])
def test_a_saved_model_naming_a_foreign_class_is_refused(tmp_path, planted, params):
    marker = tmp_path / "pwned"
    saved = MajorityVote(cardinality=2).fit([[0, 1, -1], [1, 1, 0]]).save(tmp_path / "model.json")
    doc = json.loads(saved.read_text())
    assert type(LabelModel.load(saved)).__name__ == doc["model"] == "MajorityVote"  # the key the loader obeys
    filled = json.loads(json.dumps(params).replace("{marker}", str(marker)).replace("{marker!r}", repr(str(marker))))
    for where, bad in [("top level", dict(doc, model=planted, params=filled)),
                       ("nested model", dict(doc, fitted={**doc["fitted"], "class_prior_": {
                           "__model__": dict(doc, model=planted, params=filled)}}))]:
        saved.write_text(json.dumps(bad))
        with pytest.raises(LabelModelError, match=f"unknown model '{planted}'"):
            LabelModel.load(saved)
        assert not marker.exists(), f"a class named in a saved model ({where}) was honoured"


def test_a_saved_model_holding_a_pickle_is_refused_unopened(tmp_path):
    marker = tmp_path / "pwned"
    pickled = tmp_path / "model.npz"
    np.savez(pickled, model=_pickled_array(marker))
    with pytest.raises(LabelModelError):
        LabelModel.load(pickled)
    assert not marker.exists()


def test_planted_pickles_in_a_run_folder_are_never_loaded(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:200])
    monkeypatch.chdir(tmp_path)
    config = load_config(write_config(tmp_path))
    first = run(config, progress=False)
    marker = tmp_path / "pwned"
    keys = first.run_dir / "votes" / "part-00000.keys.npy"
    np.save(keys, _pickled_array(marker), allow_pickle=True)
    again = run(config, progress=False)
    assert not marker.exists()
    assert again.chunks["computed"] == 1  # the unreadable part was recomputed, not trusted
    assert os.path.getsize(keys) > 0 and np.load(keys, allow_pickle=False).dtype == np.uint64


def test_config_values_are_data_not_code(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:50])
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    result = run(load_config(write_config(tmp_path, task={"name": payload})), progress=False)
    assert result.n_rows == 50 and not marker.exists()
