"""`weaksup run` on a multi-label config: outputs, stored votes, reuse, metrics, errors (a synthetic ticket task)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.multilabel.ml_project import SPACE, make_ml_project, tickets
from weaksup.config import load_config
from weaksup.errors import ConfigError, GoldSetError, LFDefinitionError
from weaksup.multilabel import MultiLabelVotes
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.gold import write_multilabel_gold
from weaksup.pipeline import RunPlan, load_run, load_votes, run
from weaksup.tasks import task_type


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(path, *overrides):
    return run(load_config(path, list(overrides)), progress=False)


def test_a_multilabel_run_writes_one_row_per_input_row_with_label_sets(project):
    result = _run(make_ml_project(project))
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    data, Y = tickets()
    assert list(labels.columns) == task_type("multilabel").label_columns(SPACE)
    assert labels["row_id"].tolist() == data["row_id"].tolist()  # input order
    assert labels["labels"].map(lambda v: v is None or all(x in SPACE.labels for x in v)).all()
    # the dev gold rows carry their human label sets
    gold = pd.read_csv(project / "gold_sets" / "tickets" / "labels.csv", keep_default_na=False)
    dev = gold[gold["split"] == "dev"].set_index("row_id")["labels"]
    reviewed = labels.set_index("row_id").loc[dev.index]
    assert (reviewed["review_status"] == "reviewed").all() and (reviewed["label_source"] == "human").all()
    assert [";".join(v) for v in reviewed["labels"]] == dev.tolist()
    # probabilities, confidence in [0.5, 1], needs_review when no LF voted
    probs = labels[[f"prob_{x}" for x in SPACE.labels]].to_numpy()
    assert ((probs >= 0) & (probs <= 1)).all()
    assert labels["confidence"].between(0.5, 1).all()
    silent = (labels["n_votes"] == 0) & (labels["review_status"] != "reviewed")
    assert silent.any() and (labels.loc[silent, "review_status"] == "needs_review").all()
    assert labels.loc[silent, "labels"].isna().all() and labels.loc[silent, "label_source"].isna().all()
    # a row's sources name the LFs that said yes to each of its labels
    row = labels[labels["sources"].str.contains("kw_refund")].iloc[0]
    assert "billing" in row["labels"] and row["sources"].startswith("billing: ")
    # the summary and run.json carry the multi-label metrics, majority vote beside
    assert {"micro_f1", "macro_f1", "hamming", "subset_acc", "majority_vote.macro_f1"} <= set(result.metrics)
    assert result.metrics["macro_f1"] > 0.7 and 0 <= result.metrics["hamming"] < 0.2
    assert "macro_f1" in result.summary() and "label model on the gold test split" in result.summary()
    assert sum(result.label_counts[x] for x in SPACE.labels) == sum(len(v) for v in labels["labels"] if v is not None)
    doc = json.loads((project / "out" / "run.json").read_text())
    assert doc["task_type"] == "multilabel" and doc["label_space"] == list(SPACE.labels)
    model = json.loads((project / "out" / "label_model.json").read_text())
    assert model["class"] == result.label_model and set(model["thresholds"]) == set(SPACE.labels)
    page = (project / "out" / "report.html").read_text()
    assert "per-label majority vote" in page and "Per label" in page and "kw_refund" in page


def test_the_run_compares_its_label_sets_with_a_classifier_trained_on_the_dev_gold(project):
    result = _run(make_ml_project(project))
    refs = result.references
    assert refs is not None and refs.n_gold == 80 and refs.n_rows == 80  # the dev and test halves of 160 gold rows
    # the run's label sets are the label model's (no end model yet): the same figure as the report's
    assert result.metrics["final/macro_f1"] == pytest.approx(result.metrics["macro_f1"], abs=1e-4)
    assert result.metrics["reference/supervised_on_dev/macro_f1"] == pytest.approx(
        result.metrics["supervised_on_dev.macro_f1"], abs=1e-4)
    gain = result.metrics["final/gain_over_supervised"]
    assert gain == pytest.approx(result.metrics["macro_f1"] - result.metrics["supervised_on_dev.macro_f1"], abs=1e-4)
    summary = result.summary()
    said = "adds" if gain > 0 else "does not beat"
    assert f"on the gold test split: weak supervision {said}" in summary and "supervised_on_dev" in summary
    page = (project / "out" / "report.html").read_text()
    assert "a classifier trained on the dev gold alone" in page and "supervised_on_dev_f1" in page


def test_without_a_dev_split_the_run_says_there_is_nothing_to_compare_with(project):
    config = make_ml_project(project)
    gold = project / "gold_sets" / "tickets"
    frame = pd.read_csv(gold / "labels.csv", keep_default_na=False)
    write_multilabel_gold(frame[frame["split"] == "test"], project / "gold_test_only", task="tickets", space=SPACE)
    result = _run(config, "gold.path=gold_test_only")
    assert result.references is None and "the gold set has no dev split to train on" in result.summary()
    assert "macro_f1" in result.metrics and "supervised_on_dev.macro_f1" not in result.metrics


def test_votes_are_stored_as_lf_label_columns_and_reused(project):
    config = make_ml_project(project)
    first = _run(config)
    vm = load_votes(project / "out")
    assert all("::" in name for name in vm.lf_names)
    assert "kw_charged@" in vm.lf_names[1] and vm.lf_names[1].endswith("::billing")
    votes = MultiLabelVotes.from_vote_matrix(vm, SPACE)
    assert votes.m == 6 and votes.n == 240
    from weaksup.multilabel.apply import apply_multilabel_lfs
    from weaksup.registry import Registry

    data = pd.read_csv(project / "tickets.csv")
    direct = apply_multilabel_lfs(data, Registry.from_modules(str(project / "ticket_lfs.py")), SPACE, progress=False,
                                  id_column="row_id")
    assert np.array_equal(votes.values, direct.values) and votes.lf_ids == direct.lf_ids
    again = _run(config)
    assert again.chunks["computed"] == 0 and again.chunks["reused"] == first.chunks["computed"] == 3
    lfs = (project / "ticket_lfs.py").read_text().replace('"love it", "great"', '"love it", "great", "awesome"')
    (project / "ticket_lfs.py").write_text(lfs)
    edited = _run(config)
    assert edited.chunks["columns_computed"] == 3 and edited.chunks["columns_reused"] == 15  # one LF of six
    assert edited.rule_version != first.rule_version


def test_csv_labels_join_the_set_with_semicolons(project):
    _run(make_ml_project(project, output={"path": "out/labels.csv"}))
    frame = pd.read_csv(project / "out" / "labels.csv", keep_default_na=False, dtype=str)
    parquet_free = frame["labels"]
    assert parquet_free.str.contains(";").any()
    assert all(x in SPACE.labels for cell in parquet_free for x in cell.split(";") if x)


def _csv_run_with_empty_sets(project):
    """A CSV run whose labels hold empty sets (no none label; an LF saying no to billing) and abstains, as pandas
    reads it."""
    config = make_ml_project(project, task={"none_label": ""}, output={"path": "out/labels.csv"})
    lfs = (project / "ticket_lfs.py").read_text() + (
        "\nkw_account = multilabel_keyword_lf('kw_account', 'account settings', 'billing', no=True)\n")
    (project / "ticket_lfs.py").write_text(lfs)
    _run(config)
    return pd.read_csv(project / "out" / "labels.csv")


def test_csv_labels_tell_the_empty_set_from_an_abstain(project):
    """(the empty set is `[]`, an abstain an empty cell: pandas' default read gives NaN for abstains only)"""
    frame = _csv_run_with_empty_sets(project)
    machine = frame["review_status"] != "reviewed"
    assert frame["labels"].isna().sum() == ((frame["n_votes"] == 0) & machine).sum() > 0
    empty = frame["labels"] == "[]"
    assert empty.sum() > 0 and not frame.loc[empty & machine, "n_votes"].eq(0).any()
    loaded = load_run(project / "out").labels  # read back as lists, as from Parquet
    assert loaded.loc[empty, "labels"].map(lambda v: list(v) == []).all()
    assert loaded.loc[frame["labels"].isna(), "labels"].isna().all()
    assert loaded.loc[~empty & frame["labels"].notna(), "labels"].map(len).gt(0).all()


def test_no_votes_predict_labels_every_row(project):
    _run(make_ml_project(project, gold_rows=0), "label_model.no_votes=predict")
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["labels"].notna().all() and (labels["label_model"] == "MultiLabelMajority").all()
    silent = labels.loc[labels["n_votes"] == 0, "labels"].map(list).tolist()
    assert silent and all(v == ["none"] for v in silent)  # no votes: nothing else, so the none label


def test_load_run_reads_a_multilabel_run(project):
    _run(make_ml_project(project))
    loaded = load_run(project / "out")
    assert loaded.manifest["task_type"] == "multilabel" and len(loaded.labels) == 240


def test_multilabel_config_errors_name_the_fix(project):
    config = make_ml_project(project)
    with pytest.raises(ConfigError, match="a multilabel task needs its labels"):
        RunPlan.from_config(load_config(config, ["task.labels=[]"]))
    with pytest.raises(ConfigError, match="none_label 'nothing' is not one of the labels"):
        RunPlan.from_config(load_config(config, ["task.none_label=nothing"]))
    with pytest.raises(ConfigError, match="settings of multi-label tasks"):
        RunPlan.from_config(load_config(config, ["task.type=classification"]))
    with pytest.raises(LFDefinitionError, match="votes on label 'praise'"):
        RunPlan.from_config(load_config(config, ['task.labels=["billing", "bug", "none"]']))
    with pytest.raises(ConfigError, match="drop review.class_thresholds"):
        RunPlan.from_config(load_config(config, ["review.class_thresholds={ bug = 0.9 }"]))
    with pytest.raises(ConfigError, match=r"review_margin must be in \[0, 1\)"):
        RunPlan.from_config(load_config(config, ["task.review_margin=1.5"]))
    with pytest.raises(ConfigError, match="not parameters of"):
        RunPlan.from_config(load_config(config, ["label_model.params={ cardinality = 2 }"]))
    (project / "gold_sets" / "tickets" / "manifest.json").write_text(json.dumps(
        {**json.loads((project / "gold_sets" / "tickets" / "manifest.json").read_text()), "type": "classification"}))
    with pytest.raises(GoldSetError, match="not \"multilabel\""):
        RunPlan.from_config(load_config(config))


def test_weaksup_apply_prints_the_multilabel_lf_summary(project, capsys):
    from weaksup.cli import main
    from weaksup.multilabel.summary import multilabel_lf_summary

    config = make_ml_project(project)
    with pytest.raises(SystemExit) as info:
        main(["apply", str(config), "--no-progress"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "no_precision" in out  # one row per (LF, label), not per vote column
    table = multilabel_lf_summary(MultiLabelVotes.from_vote_matrix(load_votes(project / "out"), SPACE))
    first = table.iloc[0]
    assert f"{first['conflicts']:.3e}" in out or f"{first['conflicts']:.3f}" in out


def test_apply_and_fit_stop_early_and_classification_lfs_say_yes_to_their_label(project):
    config = make_ml_project(project)
    lfs = (project / "ticket_lfs.py").read_text() + (
        "\nfrom weaksup import keyword_lf\nkw_invoice = keyword_lf('kw_invoice', 'invoice', 0)  # class 0: billing\n")
    (project / "ticket_lfs.py").write_text(lfs)
    applied = run(load_config(config), progress=False, stop_after="apply")
    assert applied.n_lfs == 7 and not (project / "out" / "label_model.json").exists()
    vm = load_votes(project / "out")
    column = vm.lf_names.index(next(n for n in vm.lf_names if n.startswith("kw_invoice@")))
    assert vm.lf_names[column].endswith("::billing")  # one column: the label it votes
    data = pd.read_csv(project / "tickets.csv")
    assert (vm.values[:, column] == 1).tolist() == data["text"].str.contains("invoice").tolist()
    fitted = run(load_config(config), progress=False, stop_after="fit")
    assert fitted.chunks["computed"] == 0 and json.loads((project / "out" / "run.json").read_text())["status"] == "fitted"
    assert json.loads((project / "out" / "label_model.json").read_text())["lf_ids"][-1].startswith("kw_invoice@")


def test_the_saved_label_model_loads_back_and_predicts_what_the_run_wrote(project):
    result = _run(make_ml_project(project))
    saved = load_run(project / "out")
    model = saved.model()
    assert type(model).__name__ == result.label_model and hasattr(model, "members_")  # the default: a VoteBlend
    votes = MultiLabelVotes.from_vote_matrix(saved.votes(), SPACE)
    labels = saved.labels
    probs = labels[[f"prob_{x}" for x in SPACE.labels]].to_numpy()
    machine = (labels["review_status"] != "reviewed").to_numpy()
    assert machine.sum() > 100
    np.testing.assert_allclose(model.predict_proba(votes)[machine], probs[machine], atol=1e-6)
    predicted = model.predict(votes)[machine & (labels["n_votes"] > 0).to_numpy()]
    written = labels.loc[machine & (labels["n_votes"] > 0), "labels"]
    assert [list(np.asarray(SPACE.labels)[row]) for row in predicted] == [list(v) for v in written]


def test_gold_rows_with_the_none_label_beside_another_are_warned_about_kept_and_scored_as_labelled(project, caplog):
    """Some gold rows carry 'none' with another label (as 355 GoEmotions rows carry 'neutral'): the run warns
    (the gold set names them), the report lists them, the label model's sets still keep the rule, dev rows keep
    their human sets, and the metrics score the test rows against the gold as labelled."""
    from weaksup.multilabel.metrics import multilabel_metrics

    config = make_ml_project(project)
    folder = project / "gold_sets" / "tickets"
    gold = pd.read_csv(folder / "labels.csv", keep_default_na=False, dtype=str)
    odd = gold.index[gold["labels"].str.contains("billing")][:12]
    gold.loc[odd, "labels"] = gold.loc[odd, "labels"] + ";none"
    write_multilabel_gold(gold, folder, task="tickets", space=SPACE, version=2)
    caplog.clear()
    with caplog.at_level("WARNING", logger="weaksup"):
        result = _run(config)
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "12 of 160 gold rows break the label space's rules" in warning and "leave none_label unset" in warning
    assert "12 against the label space's rules, kept as labelled" in result.summary()
    per_split = gold.loc[odd, "split"].value_counts()
    assert (f"| the none label 'none' with another label | {per_split['dev']} | {per_split['test']} | "
            in result.report.to_markdown())  # the report's table of them, per split
    assert result.report.params["gold_contradictions"] == "12"
    labels = pd.read_parquet(project / "out" / "labels.parquet").set_index("row_id")
    machine = labels[labels["label_source"] == "label_model"]["labels"].map(list)
    assert len(machine) and not machine.map(lambda v: "none" in v and len(v) > 1).any()
    broken_dev = gold.loc[odd][gold.loc[odd, "split"] == "dev"]
    assert len(broken_dev) and all(list(labels.loc[r, "labels"]) == v.split(";")  # the human sets, as labelled
                                   for r, v in zip(broken_dev["row_id"], broken_dev["labels"]))
    test = gold[gold["split"] == "test"]
    Y = SPACE.encode([v.split(";") if v else [] for v in test["labels"]])
    P = SPACE.encode([list(v) if v is not None else [] for v in labels.loc[test["row_id"], "labels"]])
    scored = multilabel_metrics(Y, P, labels=SPACE.labels)
    assert result.metrics["subset_acc"] == pytest.approx(scored["subset_acc"])
    assert result.metrics["macro_f1"] == pytest.approx(scored["macro_f1"])
    assert not (P == Y).all(axis=1)[SPACE.broken_rules(Y)[next(iter(SPACE.broken_rules(Y)))]].any()


def test_a_csv_labels_file_read_with_pandas_is_written_as_a_gold_set_empty_sets_kept(project):
    """Case: `write_multilabel_gold(pd.read_csv(<run>/labels.csv), ...)` stopped on unknown label '[]' (the CSV
    empty-set cell): only the run's own reader knew it."""
    frame = _csv_run_with_empty_sets(project)
    labelled = frame[frame["labels"].notna()]  # (an empty cell is an abstain: no label set to write)
    assert (labelled["labels"] == "[]").sum() > 0
    space = MultiLabelSpace(SPACE.labels)  # the run's space: task.none_label = ""
    gold = write_multilabel_gold(labelled[["row_id", "labels"]].assign(split="dev"), project / "from_run", task="t",
                                 space=space)
    sets = gold.label_sets()
    expected = {str(r): tuple(sorted(v.split(";"))) if v != "[]" else () for r, v in zip(labelled["row_id"],
                                                                                          labelled["labels"])}
    assert {r: tuple(sorted(v)) for r, v in sets.items()} == expected
    assert sum(v == () for v in sets) == (labelled["labels"] == "[]").sum() > 0
