"""An engine run on tabular data (no text column) trains the end model of the rows' columns
(:func:`weaksup.final.columns.tabular_end_model`), labels the rows no LF votes on with it and measures
``supervised_on_dev`` beside the final labels, as ``weaksup run`` does: the same labels row for row and the same
references. Before, an engine skipped both without a text column (its labels were the label model's)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.engine_data import run_labels
from weaksup.config import RunConfig
from weaksup.engines.config import EngineConfig
from weaksup.engines.driver import run_engine
from weaksup.gold import write_gold

ROWS, PART_ROWS = 1500, 500


def claims_config(folder: Path, *, end_model: bool = True, leak: bool = False, exclude: tuple[str, ...] = ()
                  ) -> RunConfig:
    """Tabular claims as three Parquet parts (numbers, a category; no text), fraud when the amount is high and the
    claim reported late; two rules as LFs (they leave about half of the rows without a vote); dev and test gold rows
    spread over the parts. ``leak``: a column ``reviewed_outcome`` holding every row's true class (an old label);
    ``exclude``: ``[end_model] exclude_columns``."""
    gen = np.random.default_rng(11)
    frame = pd.DataFrame({"row_id": [f"c{i:05d}" for i in range(ROWS)], "amount": gen.gamma(2, 500, ROWS).round(2),
                          "days": gen.integers(0, 90, ROWS), "region": gen.choice(["n", "s", "e", "w"], ROWS)})
    fraud = ((frame["amount"] > 1500) & (frame["days"] > 30)) | (gen.random(ROWS) < 0.02)
    if leak:
        frame["reviewed_outcome"] = np.where(fraud, "fraud", "legit")
    (folder / "input").mkdir(parents=True)
    for start in range(0, ROWS, PART_ROWS):
        frame.iloc[start:start + PART_ROWS].to_parquet(folder / "input" / f"part-{start // PART_ROWS:04d}.parquet",
                                                       index=False)
    (folder / "claim_lfs.py").write_text(
        "from weaksup import LabelSpace, labeling_function\nLABELS = LabelSpace(['legit', 'fraud'])\n\n"
        "@labeling_function()\ndef big_and_late(x):\n    return 1 if x.amount > 2500 and x.days > 45 else -1\n\n"
        "@labeling_function()\ndef small(x):\n    return 0 if x.amount < 500 else -1\n", encoding="utf-8")
    gold = np.arange(0, ROWS, 2)  # every other row: 750 gold rows in every part
    write_gold(pd.DataFrame({"row_id": frame["row_id"].iloc[gold], "label": np.where(fraud.iloc[gold], "fraud", "legit"),
                             "split": np.where(np.arange(len(gold)) % 2 == 0, "dev", "test")}),
               folder / "gold", task="claims", label_space=["legit", "fraud"])
    return RunConfig.from_dict({
        "task": {"name": "claims", "labels": ["legit", "fraud"]},
        "input": {"path": str(folder / "input"), "id_column": "row_id", "text_column": ""},
        "lfs": {"modules": [str(folder / "claim_lfs.py")]}, "label_model": {"name": "default"},
        "end_model": {"enabled": end_model, "folds": 3, "exclude_columns": list(exclude)},
        "gold": {"path": str(folder / "gold")},
        "mlflow": {"enabled": False}, "output": {"path": str(folder / "out" / "labels.parquet"), "report": False},
    }, project=folder)


def plain_run(config: RunConfig, folder: Path) -> tuple[pd.DataFrame, dict[str, float], object]:
    """``weaksup run`` of ``config`` without an engine (its own output folder): its labels, metrics and result."""
    from weaksup.pipeline import run

    out = folder / "plain" / "labels.parquet"
    result = run(dataclasses.replace(config, output=dataclasses.replace(config.output, path=str(out)), engine=None),
                 progress=False)
    metrics = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))["metrics"]
    return pd.read_parquet(out), metrics, result


def references_of(metrics: dict[str, float]) -> dict[str, float]:
    """The references' figures (as tests/engines/test_references.py compares them for text)."""
    return {k: v for k, v in metrics.items() if k.startswith(("reference/", "final/gain_over_supervised"))}


def shared_final(ours: dict[str, float], theirs: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """The final labels' figures both runs name alike (``final/*``)."""
    shared = {k for k in theirs if k.startswith("final/") and k in ours}
    return {k: ours[k] for k in shared}, {k: theirs[k] for k in shared}


@pytest.mark.slow  # 1,500 rows, gradient-boosted trees cross-fitted in 3 folds, on the engine and as the plain run
def test_the_local_engine_trains_the_tabular_end_model_and_equals_the_plain_run(tmp_path):
    # (with the true class in a column the run leaves out: [end_model] exclude_columns holds on both)
    config = claims_config(tmp_path, leak=True, exclude=("reviewed_outcome",))
    result = run_engine(config, engine="local")
    labels = run_labels(result.run_dir)
    plain, plain_metrics, plain_result = plain_run(config, tmp_path)
    unvoted = (labels["n_votes"] == 0) & (labels["review_status"] != "reviewed")  # (a dev gold row keeps its gold)
    assert unvoted.sum() > 300  # the rules leave many rows without a vote, which the end model labels
    assert labels.loc[unvoted, "label_source"].eq("end_model").all() and labels["label"].notna().all()
    pd.testing.assert_frame_equal(labels, plain, check_exact=True)  # the streaming run's final labels, row for row
    assert result.label_counts == plain["label"].fillna("(abstain)").value_counts().to_dict()
    ours = references_of(result.metrics)
    assert {"reference/supervised_on_dev/accuracy", "reference/label_model/accuracy",
            "final/gain_over_supervised"} <= set(ours)
    assert ours == pytest.approx(references_of(plain_metrics), rel=1e-9, abs=1e-12)
    engine_final, plain_final = shared_final(result.metrics, plain_metrics)
    assert "final/accuracy" in engine_final and engine_final == pytest.approx(plain_final, rel=1e-9, abs=1e-12)
    assert result.metrics["reference/supervised_on_dev/accuracy"] > 0.85  # the trees read the columns
    assert result.metrics["final/accuracy"] > result.metrics["reference/label_model/accuracy"] + 0.2
    assert result.references is not None and result.references.verdict == plain_result.references.verdict
    assert result.references.verdict in result.summary()
    recorded = json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))["end_model"]
    assert "gradient-boosted trees" in recorded["model"] and recorded["self_train"] == 1  # (as run.json's)
    assert recorded["columns_excluded"] == ["reviewed_outcome"] and "reviewed_outcome" not in recorded["columns"][
        "categories"] and recorded["columns"] == plain_result.end_model["columns"]
    assert "alone predicts" not in result.summary() and "alone predicts" not in plain_result.summary()


@pytest.mark.slow
def test_a_column_holding_the_label_is_named_on_the_engine_as_in_the_plain_run(tmp_path, monkeypatch, capsys):
    from weaksup.cli import main

    config = claims_config(tmp_path, end_model=False, leak=True)
    result = run_engine(config, engine="local")
    _, plain_metrics, plain_result = plain_run(config, tmp_path)
    said = ("column 'reviewed_outcome' alone predicts the dev gold label for 100% of 375 rows: if it is the label or "
            "derived from it, leave it out with [end_model] exclude_columns = ['reviewed_outcome']")
    assert said in result.summary() and said in plain_result.summary(), result.summary()
    assert result.metrics["reference/supervised_on_dev/accuracy"] == 1.0  # (what it explains)
    assert references_of(result.metrics) == pytest.approx(references_of(plain_metrics), rel=1e-9, abs=1e-12)
    (tmp_path / "run.toml").write_text(f'[task]\nname = "claims"\n[input]\npath = "{tmp_path / "input"}"\n'
                                       'text_column = ""\n[lfs]\nmodules = ["claim_lfs.py"]\n[end_model]\n'
                                       'exclude_columns = ["reviewed"]\n[output]\npath = "out/labels.parquet"\n',
                                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["run", "run.toml", "--engine", "local", "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "[end_model] exclude_columns names ['reviewed'], which is not a column of " \
                                    "the input" in err and "'reviewed_outcome']" in err, err


@pytest.mark.slow
def test_with_the_end_model_off_the_engine_still_measures_supervised_on_dev_on_the_columns(tmp_path):
    config = claims_config(tmp_path, end_model=False)
    result = run_engine(config, engine="local")
    labels = run_labels(result.run_dir)
    assert "end_model" not in set(labels["label_source"].dropna())  # the label model's labels, no-vote rows abstained
    assert labels.loc[(labels["n_votes"] == 0) & (labels["review_status"] != "reviewed"), "label"].isna().all()
    _, plain_metrics, _ = plain_run(config, tmp_path)
    ours = references_of(result.metrics)
    assert "reference/supervised_on_dev/accuracy" in ours
    assert ours == pytest.approx(references_of(plain_metrics), rel=1e-9, abs=1e-12)


@pytest.mark.slow  # a LocalCluster of 2 worker processes
def test_a_dask_run_on_tabular_data_gives_the_local_engines_labels_and_references(tmp_path):
    pytest.importorskip("distributed")
    config = claims_config(tmp_path)
    local = run_engine(config, engine="local")
    dask = run_engine(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(tmp_path / "dask" / "labels.parquet")), engine=EngineConfig(name="dask", workers=2)))
    assert dask.engine == "dask"
    labels = run_labels(dask.run_dir)
    pd.testing.assert_frame_equal(labels, run_labels(local.run_dir), check_exact=True)
    assert labels.loc[labels["n_votes"] == 0, "label_source"].isin(["end_model", "human"]).all()
    assert "reference/supervised_on_dev/accuracy" in dask.metrics
    assert references_of(dask.metrics) == references_of(local.metrics)


def test_a_seeded_tie_break_is_refused_for_tabular_data_too(tmp_path):
    # the tabular end model runs on the engine now, so the end model's rule holds: the streaming run seeds its ties
    # per chunk, the engine could not give the same labels (before, the engine ran without the end model)
    from weaksup.errors import ConfigError

    config = claims_config(tmp_path)
    seeded = dataclasses.replace(config, label_model=dataclasses.replace(config.label_model,
                                                                         tie_break="seeded_random"))
    with pytest.raises(ConfigError, match='use tie_break = "abstain" or drop --engine'):
        run_engine(seeded, engine="local")


@pytest.fixture
def spark():
    """A Spark ``local[2]`` session (skips without pyspark or Java)."""
    from tests.engines.spark_session import spark_session

    yield from spark_session()


@pytest.mark.slow  # a Spark local[2] session (the JVM takes ~10 s to start)
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_a_spark_run_on_tabular_data_gives_the_local_engines_labels_and_references(spark, tmp_path):
    from weaksup.engines.spark import SparkEngine

    config = claims_config(tmp_path)
    local = run_engine(config, engine="local")
    result = run_engine(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(tmp_path / "spark" / "labels.parquet"))),
        engine=SparkEngine(EngineConfig(name="spark"), session=spark))
    assert result.engine == "spark"
    labels = run_labels(result.run_dir)
    pd.testing.assert_frame_equal(labels, run_labels(local.run_dir), check_exact=True)
    assert labels.loc[labels["n_votes"] == 0, "label_source"].isin(["end_model", "human"]).all()
    assert references_of(result.metrics) == references_of(local.metrics)
