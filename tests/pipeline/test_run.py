"""`weaksup run`: one labeled row per input row, in order; chunking, formats, routing, gold, MLflow, the CLI."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline.helpers import run_config
from tests.pipeline_project import write_config
from weaksup.apply import apply_lfs
from weaksup.config import load_config
from weaksup.data import prepare
from weaksup.pipeline import LABEL_COLUMNS, load_run, load_votes, run
from weaksup.registry import Registry


def test_one_row_per_input_row_in_order_with_the_votes_of_apply_lfs(project, youtube):
    result = run_config(write_config(project))
    labels = pd.read_parquet(result.labels_path)
    assert list(labels.columns) == ["row_id", "label", "confidence", "prob_ham", "prob_spam", *LABEL_COLUMNS[3:]]
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    assert result.chunks["computed"] == 4  # 1,956 rows in chunks of 500
    clean, _ = prepare(youtube[["row_id", "text"]])  # the run cleans the text the LFs see
    votes = apply_lfs(Registry.from_modules(str(project / "quick_lfs.py")), clean, id_column="row_id")
    assert labels["n_votes"].tolist() == (votes.values != -1).sum(axis=1).tolist()
    np.testing.assert_allclose(labels[["prob_ham", "prob_spam"]].sum(axis=1), 1.0)
    assert set(labels["review_status"]) <= {"auto", "needs_review"}
    no_votes = labels["n_votes"] == 0
    assert (labels.loc[no_votes, "review_status"] == "needs_review").all() and no_votes.any()
    assert labels.loc[labels["label"].isna(), "review_status"].eq("needs_review").all()
    spam_sources = labels.loc[labels["label"] == "spam", "sources"]
    assert spam_sources.str.split(",").map(lambda s: set(s) <= {"kw_subscribe", "kw_check", "re_link"}).all()
    assert (labels["confidence"] == labels[["prob_ham", "prob_spam"]].max(axis=1)).all()
    assert result.n_rows == len(youtube) and result.prep["exact_duplicates"] > 0


def test_chunk_size_and_input_format_do_not_change_the_labels(project, youtube):
    whole = pd.read_parquet(run_config(write_config(project), "input.chunk_rows=100000").labels_path)
    parts = project / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, len(youtube), 700)):
        youtube[["row_id", "text"]].iloc[start:start + 700].to_parquet(parts / f"part-{i}.parquet")
    chunked = pd.read_parquet(run_config(write_config(project, "parts.toml", input={"path": "parts", "chunk_rows": 333},
                                                output={"path": "out2/labels.parquet"})).labels_path)
    pd.testing.assert_frame_equal(whole, chunked)


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_reruns_are_byte_identical_and_formats_agree(project, suffix):
    config = write_config(project, output={"path": f"out/labels.{suffix}"}, label_model={"name": "DawidSkene"})
    first = run_config(config).labels_path.read_bytes()
    second = run_config(config, fresh=True).labels_path
    assert second.read_bytes() == first
    back = load_run(project / "out").labels
    reference = pd.read_parquet(run_config(config, "output.path=ref/labels.parquet").labels_path)
    assert back["row_id"].tolist() == reference["row_id"].tolist()
    assert back["label"].fillna("").tolist() == reference["label"].fillna("").tolist()
    np.testing.assert_allclose(back["prob_spam"], reference["prob_spam"], rtol=0, atol=1e-12)
    assert back["conflict"].tolist() == reference["conflict"].tolist()


@pytest.mark.parametrize("no_votes", ["abstain", "predict"])
def test_the_run_folder_can_be_re_predicted_and_audited(project, no_votes):
    result = run_config(write_config(project, label_model={"name": "DawidSkene", "no_votes": no_votes}))
    saved = load_run(result.run_dir)
    votes, model, labels = saved.votes(), saved.model(), saved.labels
    assert votes.row_ids.tolist() == labels["row_id"].tolist()
    voted = (votes.values != -1).any(axis=1)
    proba = labels[["prob_ham", "prob_spam"]].to_numpy()
    np.testing.assert_allclose(model.predict_proba(votes.values)[voted], proba[voted])
    if no_votes == "predict":  # the old behaviour: the label model guesses the no-vote rows from its prior
        np.testing.assert_allclose(model.predict_proba(votes.values[~voted]), proba[~voted])
        assert labels.loc[~voted, "label"].notna().all() and (labels.loc[~voted, "label_source"] == "label_model").all()
    else:  # the label model says nothing about them: uniform, abstained, sent to review
        np.testing.assert_allclose(proba[~voted], 0.5)
        assert labels.loc[~voted, "label"].isna().all() and labels.loc[~voted, "label_source"].isna().all()
        assert (labels.loc[~voted, "review_status"] == "needs_review").all()
    manifest = json.loads((result.run_dir / "run.json").read_text())
    assert manifest["counts"]["rows"] == len(labels) and manifest["rule_version"] == result.rule_version
    assert saved.read_input()["row_id"].tolist() == labels["row_id"].tolist()


@pytest.mark.parametrize("review", [{"threshold": 0.99}, {"threshold": 0.0, "class_thresholds": {"spam": 0.999}},
                                    {"threshold": 0.6, "conflict_threshold": 0.3}])
def test_the_run_routes_as_review_issues_does(project, review):
    from weaksup.review import review_issues
    from weaksup.review.routing import RoutingPolicy

    result = run_config(write_config(project, review=review))
    labels = pd.read_parquet(result.labels_path)
    issues = review_issues(labels, ["ham", "spam"], policy=RoutingPolicy(**review))
    routed = (labels["review_status"] == "needs_review").to_numpy()
    assert (issues["needs_review"].to_numpy() == routed).all()
    assert 0 < routed.sum() < len(labels)
    if "class_thresholds" in review:
        spam = (labels["label"] == "spam").to_numpy()
        assert routed[spam].any() and not routed[~spam & (labels["n_votes"] > 0).to_numpy()
                                                 & labels["label"].notna().to_numpy()].any()


@pytest.mark.mlflow
@pytest.mark.slow
def test_the_shipped_example_config_with_gold_and_mlflow(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    before = (os.environ.get("MLFLOW_TRACKING_URI"), mlflow.get_tracking_uri())
    config = load_config(REPO / "configs" / "youtube_spam.toml", [f"output.path={tmp_path / 'yt' / 'labels.csv'}",
                                                                  f"mlflow.tracking_uri={uri}"], project=REPO)
    result = run(config, progress=False)
    labels = pd.read_csv(result.labels_path, dtype={"row_id": str})
    from weaksup.gold import load_gold

    gold = load_gold(REPO / "gold_sets" / "youtube_spam")
    dev = gold.labels("dev")
    reviewed = labels.set_index("row_id").loc[dev.index]
    assert (reviewed["review_status"] == "reviewed").all() and (reviewed["label"] == dev).all()
    assert result.status_counts["reviewed"] == len(dev)
    assert result.metrics["accuracy"] > result.metrics["majority_vote.accuracy"]
    assert result.gold["hash"] == gold.hash and result.report_path.exists()
    # the report shows the labels the run wrote (end model, reviewers) beside the label model's
    text = " ".join(re.sub(r"<[^>]+>", " ", result.report_path.read_text(encoding="utf-8")).split())
    sources = labels["label_source"].value_counts()
    assert "Written labels (the labels file)" in text
    assert (f"end_model {sources['end_model']}, human {sources['human']}" in text) and sources["end_model"] > 0
    test = gold.labels("test")
    right = (labels.set_index("row_id").loc[test.index, "label"] == test).mean()
    assert f"Written labels on the {len(test)} test gold rows Accuracy {right:.3f}" in text
    assert (os.environ.get("MLFLOW_TRACKING_URI"), mlflow.get_tracking_uri()) == before  # the run left them as they were
    run_info = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id)
    assert run_info.data.metrics["rows"] == 1956
    assert run_info.data.params["config.task.name"] == "youtube_spam"
    assert run_info.data.metrics["test/label_model/accuracy"] == pytest.approx(result.metrics["accuracy"])


def test_cli_building_blocks_lfs_apply_fit(project, capsys):
    from weaksup.cli import main

    config = str(write_config(project, label_model={"name": "DawidSkene"}))
    for argv, expected in [(["lfs", config], ["5 LFs of yt", "kw_subscribe", "keyword"]),
                           (["apply", config, "--no-progress"], ["Coverage", "1,956 rows, coverage"]),
                           (["fit", config, "--no-progress"], ["fitted DawidSkene on 1,956 rows"])]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        out = capsys.readouterr().out
        assert info.value.code == 0 and all(part in out for part in expected), out
    assert (project / "out" / "label_model.json").exists() and not (project / "out" / "labels.parquet").exists()




def test_run_loads_a_config_path_and_names_the_fix_for_other_types(project):
    # a path was read as a RunConfig (AttributeError: 'str' object has no attribute 'mlflow')
    result = run(str(write_config(project)), progress=False, stop_after="apply")
    assert (project / "out" / "votes").is_dir() and result.config.task.name == "yt"
    from weaksup.errors import ConfigError

    with pytest.raises(ConfigError, match=r"got a dict: pass load_config\(path\)"):
        run({"task": {"name": "yt"}})


def test_the_runs_label_model_knows_its_lfs_and_refuses_them_in_another_order(project):
    # label_model.json kept no LF names: loaded and given the run's votes in another order, it labelled silently
    from weaksup.errors import LabelModelError
    from weaksup.models import BaseLabelModel

    result = run(load_config(write_config(project)), progress=False)
    model = BaseLabelModel.load(result.run_dir / "label_model.json")
    votes = load_votes(result.run_dir)
    assert model.lf_names_in_ == list(votes.lf_names) and len(votes.lf_names) > 1
    assert np.array_equal(model.predict(votes), model.predict(votes.values))
    with pytest.raises(LabelModelError, match="in another order"):
        model.predict(votes.select(list(votes.lf_names)[::-1]))


def test_fit_refuses_a_finished_run_folder_and_leaves_the_run_readable(project, capsys):
    from weaksup.cli import main

    config = write_config(project, label_model={"name": "DawidSkene"})
    run(load_config(config), progress=False)
    out = project / "out"
    before = {name: (out / name).read_bytes() for name in ("run.json", "label_model.json")}
    with pytest.raises(SystemExit) as info:
        main(["fit", str(config), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "holds a finished run" in err and f"weaksup run {config}" in err and "--set output.path=" in err
    assert {name: (out / name).read_bytes() for name in before} == before
    assert len(load_run(out).labels) == 1956  # still a finished run, its labels readable
    # into another folder, the same fit goes ahead
    with pytest.raises(SystemExit) as info:
        main(["fit", str(config), "--no-progress", "--set", "output.path=other/labels.parquet"])
    assert info.value.code == 0 and (project / "other" / "label_model.json").exists()
