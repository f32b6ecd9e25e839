"""What a run of the shipped example says about itself, recomputed from what it wrote: the end model's line counts
the written rows per ``label_source`` (``label_model.no_votes = "predict"`` leaves the no-vote rows to the label
model's prior guess), the report's provenance holds the settings that change the labels, ``coverage`` of all rows and
of the gold test rows have their own names in the summary, ``run.json`` and MLflow, the dependent LFs the summary
leaves out are found where it says, and the README's no-vote test rows are those of a run."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.config import load_config
from weaksup.gold import load_gold
from weaksup.pipeline import run

pytestmark = pytest.mark.slow

GOLD = REPO / "gold_sets" / "youtube_spam"


def shipped_run(folder, *overrides: str):
    """``configs/youtube_spam.toml`` with ``overrides``, writing into ``folder``."""
    config = load_config(REPO / "configs" / "youtube_spam.toml",
                         [f"output.path={folder / 'labels.parquet'}", *overrides], project=REPO)
    return run(config, progress=False)


@pytest.fixture(scope="module")
def predicted(tmp_path_factory):
    """The shipped example with ``label_model.no_votes = "predict"`` and ``clean.duplicates = "exact"`` set on the
    command line, the end model, the report and MLflow (SQLite in a temporary folder)."""
    folder = tmp_path_factory.mktemp("predict")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    result = shipped_run(folder, "label_model.no_votes=predict", "clean.duplicates=exact", "mlflow.enabled=true",
                         f"mlflow.tracking_uri={uri}")
    return result, pd.read_parquet(result.labels_path), uri


def end_line(summary: str) -> str:
    return next(line for line in summary.splitlines() if line.startswith("end model:"))


def test_the_end_model_line_counts_the_written_rows_per_label_source(predicted):
    result, labels, _ = predicted
    line = end_line(result.summary())
    assert "labels every row" not in line
    sources = labels["label_source"].value_counts().to_dict()
    guessed = labels["label_source"].eq("label_model")
    assert sources["label_model"] > 0 and labels.loc[guessed, "n_votes"].eq(0).all()  # the ~101 no-vote rows
    assert (f"{sources['label_model']:,} no-vote rows by the label model's prior guess "
            '(label_model.no_votes = "predict")') in line
    assert f"{sources['end_model']:,} rows by the end model alone" in line
    assert f"{sources['human']:,} rows keep their dev gold label (human)" in line


def test_the_report_provenance_holds_the_settings_that_change_the_labels(predicted):
    import mlflow

    result, _, uri = predicted
    expected = {"end_model.enabled": "true", "label_model.no_votes": "predict", "clean.normalize": "true",
                "clean.mask": "(none)", "clean.duplicates": "exact"}
    page = html.unescape(re.sub(r"<[^>]+>", " ", result.report_path.read_text(encoding="utf-8")))
    provenance = " ".join(page[page.index("Provenance"):].split())
    for key, value in expected.items():
        assert result.report.params[key] == value, key
        assert f"{key} {value}" in provenance, key
    logged = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id).data.params
    assert {key: logged[key] for key in expected} == expected


def test_coverage_and_gold_counts_have_one_name_each_in_summary_run_json_and_mlflow(predicted):
    import mlflow

    result, labels, uri = predicted
    gold = load_gold(GOLD)
    test_ids = set(gold.labels("test").index.astype(str))
    all_rows = float(labels["n_votes"].gt(0).mean())
    test_rows = float(labels.loc[labels["row_id"].astype(str).isin(test_ids), "n_votes"].gt(0).mean())
    assert abs(all_rows - test_rows) > 1e-3  # (two different numbers: the reason they need two names)
    manifest = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    logged = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id).data.metrics
    n_dev = len(gold.labels("dev"))
    for where, metrics in (("run.json", {**manifest["counts"], **manifest["metrics"]}), ("MLflow", logged)):
        assert "coverage" not in metrics and "reference/n_gold" not in metrics and "n_gold" not in metrics, where
        assert metrics["coverage_all_rows"] == pytest.approx(all_rows), where
        assert metrics["test/coverage"] == pytest.approx(test_rows), where
        assert metrics["reference/n_dev_gold"] == n_dev == 286, where
    assert manifest["metrics"]["test/n_gold"] == len(test_ids) == 290
    summary = result.summary()
    assert f"rows with at least one vote: {all_rows:.1%} of all {len(labels):,} rows (coverage_all_rows)" in summary
    assert f"test gold rows have at least one LF vote (test/coverage {test_rows:.3f})" in summary


def test_the_summary_says_where_the_dependent_lfs_it_leaves_out_are(predicted, tmp_path):
    result, _, _ = predicted
    found = result.report.dependence
    assert len(found) > 3 and result.report_path.exists()
    assert f"  ... and {len(found) - 3} more in the report ({result.report_path})" in result.summary()
    quiet = shipped_run(tmp_path, "output.report=false", "end_model.enabled=false", "mlflow.enabled=false")
    summary = quiet.summary()
    assert quiet.report_path is None and not (tmp_path / "report.html").exists()
    assert "more in the report" not in summary
    assert all(f"  - {finding.message}" in summary for finding in quiet.report.dependence)


def test_the_readme_counts_the_no_vote_test_rows_of_a_run(predicted):
    _, labels, _ = predicted
    test_ids = set(load_gold(GOLD).labels("test").index.astype(str))
    test = labels[labels["row_id"].astype(str).isin(test_ids)]
    silent = test[test["n_votes"].eq(0)]
    assert set(silent["label"]) == {"ham"} and set(silent["label_source"]) == {"label_model"}  # the prior's guess
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"on the shipped example that is {len(silent)} of the {len(test)} test rows, all `ham`." in readme
