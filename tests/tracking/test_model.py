"""The label model as an MLflow pyfunc model: logged to a local store, loaded back, predicting as the run does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import DataError
from weaksup.models import DawidSkene
from weaksup.pipeline.stages import abstaining
from weaksup.tracking import local_store_uri, tracking_scope, use_experiment
from weaksup.tracking.model import EXAMPLE_ROWS, MODEL_NAME, LabelModelPyfunc, log_label_model

pytestmark = pytest.mark.mlflow

LF_NAMES = ["kw_a", "kw_b", "re_c"]


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    votes = rng.choice([-1, 0, 1, 2], size=(300, 3), p=[0.4, 0.2, 0.2, 0.2]).astype(np.int8)
    votes[:10] = -1  # rows no LF voted on
    return DawidSkene(cardinality=3).fit(votes), votes


def test_the_logged_model_loads_back_and_predicts_the_runs_probabilities(fitted, tmp_path):
    import mlflow

    model, votes = fitted
    pyfunc = LabelModelPyfunc(model, ["neg", "neu", "pos"], LF_NAMES, ["v1", "v2", "v3"], "abstain")
    frame = pd.DataFrame(votes, columns=LF_NAMES, index=pd.Index([f"r{i}" for i in range(len(votes))], name="row_id"))
    with tracking_scope():
        mlflow.set_tracking_uri(local_store_uri(tmp_path))
        use_experiment("models")
        with mlflow.start_run() as active:
            uri = log_label_model(pyfunc, votes)
        loaded = mlflow.pyfunc.load_model(f"runs:/{active.info.run_id}/{MODEL_NAME}")
        assert uri.startswith("models:/")
        predicted = loaded.predict(frame[LF_NAMES[::-1]])  # any column order
        info = mlflow.models.get_model_info(uri)
        with pytest.raises(mlflow.exceptions.MlflowException, match="re_c"):
            loaded.predict(frame[["kw_a", "kw_b"]])
    expected = abstaining(model).predict_proba(votes)
    assert list(predicted.columns) == ["neg", "neu", "pos"] and predicted.index.equals(frame.index)
    np.testing.assert_allclose(predicted.to_numpy(), expected)
    np.testing.assert_allclose(predicted.to_numpy()[:10], 1 / 3)  # no votes: uniform, as in the run's labels
    assert info.metadata["weaksup_lf_versions"] == {"kw_a": "v1", "kw_b": "v2", "re_c": "v3"}
    stored = tmp_path / "mlruns" / "models" / "models" / uri.removeprefix("models:/") / "artifacts"
    assert not list(stored.rglob("*.pkl")) and (stored / "data" / "label_model" / "label_model.json").is_file()
    example = pd.read_json(stored / "input_example.json", orient="split")
    assert example.shape == (EXAMPLE_ROWS, 3)


def test_predict_names_the_missing_lf_columns(fitted):
    model, votes = fitted
    pyfunc = LabelModelPyfunc(model, ["neg", "neu", "pos"], LF_NAMES, ["v1", "v2", "v3"], "predict")
    with pytest.raises(DataError, match=r"no column for LF\(s\) \['re_c'\]"):
        pyfunc.predict(pd.DataFrame(votes[:, :2], columns=LF_NAMES[:2]))
    np.testing.assert_allclose(pyfunc.predict(pd.DataFrame(votes, columns=LF_NAMES)).to_numpy(),
                               model.predict_proba(votes))  # no_votes = "predict": the model's guess
