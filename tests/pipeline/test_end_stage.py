"""The end-model stage of `weaksup run`: final labels with ``label_source``, honest no-vote rows, the references on
the gold test rows (majority vote, label model, supervised-on-dev, final), the verdict, and MLflow."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.pipeline.helpers import run_config
from tests.pipeline_project import make_project, write_config
from weaksup.config import load_config
from weaksup.gold import write_gold
from weaksup.pipeline import run

SOURCES = {"label_model", "end_model", "human"}


def add_gold(folder, youtube) -> None:
    """The comments' dev and test gold rows as a gold set in ``folder/gold``."""
    rows = youtube.loc[youtube["split"] != "unlabeled", ["row_id", "label", "split"]]
    write_gold(rows, folder / "gold", task="yt", label_space=["ham", "spam"])


@pytest.fixture(scope="module")
def end_run(tmp_path_factory, youtube):
    """One run with the end model on, a gold set and MLflow (SQLite in the project folder)."""
    folder = tmp_path_factory.mktemp("end_run")
    make_project(folder, youtube)
    add_gold(folder, youtube)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = write_config(folder, label_model={"name": "DawidSkene"}, end_model={"enabled": True, "folds": 3},
                          gold={"path": "gold"}, mlflow={"enabled": True, "tracking_uri": uri})
    result = run(load_config(config, project=folder), progress=False)
    return result, pd.read_parquet(result.labels_path), uri


@pytest.mark.slow
def test_every_row_once_in_order_with_where_its_label_came_from(end_run, youtube):
    result, labels, _ = end_run
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    assert {"end_model", "human"} <= set(labels["label_source"].dropna()) <= SOURCES
    counts = labels["label_source"].fillna("(none)").value_counts().to_dict()
    assert {k: v for k, v in result.source_counts.items() if v} == counts
    dev = youtube["split"].eq("dev").to_numpy()
    human = labels["label_source"].eq("human").to_numpy()
    assert (human == dev).all() and (labels.loc[dev, "label"].to_numpy() == youtube.loc[dev, "label"].to_numpy()).all()
    assert (labels.loc[dev, "review_status"] == "reviewed").all()
    no_votes = labels["n_votes"].eq(0).to_numpy() & ~dev
    # rows no LF voted on are labeled by the end model from their text, and routed by its calibrated confidence
    assert no_votes.any() and (labels.loc[no_votes, "label_source"] == "end_model").all()
    assert labels.loc[no_votes, "label"].notna().all()
    routed = labels.loc[no_votes, "review_status"].eq("needs_review").to_numpy()
    assert (routed == (labels.loc[no_votes, "confidence"] < 0.7).to_numpy()).all() and not routed.all()
    voted = ~no_votes & ~dev  # the label model's share on them is chosen on dev: 0 leaves the end model alone
    weight = result.end_model["label_model_weight"]
    assert (labels.loc[voted, "label_source"] == ("label_model" if weight > 0 else "end_model")).all()
    np.testing.assert_allclose(labels[["prob_ham", "prob_spam"]].sum(axis=1), 1.0)
    assert (labels["confidence"] == labels[["prob_ham", "prob_spam"]].max(axis=1)).all()


@pytest.mark.slow
def test_the_references_are_those_of_the_written_labels_and_the_summary_says_the_verdict(end_run, youtube):
    result, labels, _ = end_run
    refs = result.references
    assert refs is not None and refs.split == "test" and refs.n_gold == 286
    assert list(refs.scores) == ["majority_vote", "label_model", "supervised_on_dev", "final"]
    test = youtube["split"].eq("test").to_numpy()
    written = labels.loc[test, "label"].fillna("").to_numpy() == youtube.loc[test, "label"].to_numpy()
    assert refs["final"].accuracy == pytest.approx(written.mean())
    covered = labels.loc[test, "n_votes"].gt(0).to_numpy()
    assert refs["final"].accuracy_no_votes == pytest.approx(written[~covered].mean())
    assert refs["label_model"].accuracy_no_votes == 0.0  # abstains there (label_model.no_votes = "abstain")
    assert refs["majority_vote"].labelled < 1.0 and refs["final"].labelled == 1.0
    summary = result.summary()
    assert refs.verdict in summary and "training on your 286 gold rows" in summary
    for line in ["label source: label_model", "end model: trained on", "label model weight", "majority_vote",
                 "supervised_on_dev",
                 "acc. no-vote rows", f"{int(covered.sum())} of 290 test gold rows have at least one LF vote",
                 "end model fit", "end model predict+route+write"]:
        assert line in summary, line
    manifest = json.loads((result.run_dir / "run.json").read_text())
    assert manifest["end_model"]["folds"] == 3 and manifest["end_model"]["dev_rows"] == 286
    assert (manifest["end_model"]["self_train"], manifest["end_model"]["neighbours"]) == (1, 0)  # the defaults
    assert manifest["counts"]["label_source"]["human"] == 286
    assert manifest["metrics"]["final/accuracy"] == pytest.approx(refs["final"].accuracy)


@pytest.mark.slow
@pytest.mark.mlflow
def test_mlflow_holds_the_reference_metrics(end_run):
    import mlflow

    result, _, uri = end_run
    logged = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id).data.metrics
    for key, value in result.references.as_metrics().items():
        if np.isfinite(value):
            assert logged[key] == pytest.approx(value), key
    assert "reference/supervised_on_dev/accuracy" in logged and "final/ece" in logged
    assert logged["label_source_share/human"] == pytest.approx(286 / 1956)


def test_no_votes_predict_keeps_the_old_behaviour_abstain_sends_them_to_review(project):
    config = write_config(project, label_model={"name": "DawidSkene"})
    guessed = pd.read_parquet(run_config(config, 'label_model.no_votes="predict"').labels_path)
    honest = pd.read_parquet(run_config(config, "output.path=out2/labels.parquet").labels_path)
    silent = guessed["n_votes"].eq(0)
    assert silent.any() and guessed.loc[silent, "label"].notna().all()  # from the prior
    assert (guessed.loc[silent, "label_source"] == "label_model").all()
    assert honest.loc[silent, "label"].isna().all() and honest.loc[silent, "label_source"].isna().all()
    assert (honest.loc[silent, "review_status"] == "needs_review").all()
    pd.testing.assert_frame_equal(honest[~silent], guessed[~silent])  # rows with votes: unchanged


def test_end_model_off_says_so_and_still_compares_with_the_gold_only_classifier(project, youtube):
    add_gold(project, youtube)
    result = run_config(write_config(project, gold={"path": "gold"}))
    summary = result.summary()
    assert "end model: off (end_model.enabled = false: rows without votes are abstained and sent to review)" \
        in summary
    refs = result.references
    assert refs is not None and refs.verdict in summary and "the final labels are the label model's" in summary
    assert refs["final"].accuracy == refs["label_model"].accuracy  # majority vote, no-vote rows abstained
    assert refs["final"].accuracy_no_votes == 0.0 and 0.8 < refs["supervised_on_dev"].accuracy <= 1.0
    assert "label source: label_model" in summary and "none (abstained)" in summary


def test_without_a_gold_set_the_summary_says_there_is_nothing_to_compare(project):
    summary = run_config(write_config(project)).summary()
    assert "references: no gold set (gold.path)" in summary


def test_without_a_text_column_or_a_usable_column_the_end_model_is_skipped(project, youtube):
    youtube[["row_id", "text"]].rename(columns={"text": "body"}).to_csv(project / "bodies.csv", index=False)
    (project / "body_lfs.py").write_text(
        "from weaksup import LabelSpace, keyword_lf\nLABELS = LabelSpace(['ham', 'spam'])\n"
        "kw = keyword_lf('kw', ['subscribe'], 1, field='body')\n", encoding="utf-8")
    config = write_config(project, input={"path": "bodies.csv", "text_column": ""}, lfs={"modules": ["body_lfs.py"]},
                          end_model={"enabled": True})
    result = run_config(config)
    assert "end model: off (the input has no text column (input.text_column), and no column to learn from among " \
           "['body']" in result.summary()  # (free text, every value distinct: no category)
    assert result.source_counts["end_model"] == 0


@pytest.mark.parametrize(("override", "key"), [
    ("end_model.folds=1", "end_model.folds"), ('label_model.no_votes="guess"', "label_model.no_votes"),
    ('end_model.enabled="yes"', "end_model.enabled"), ("end_model.train_rows=-5", "end_model.train_rows"),
    ("end_model.calibrat=true", "end_model.calibrat"), ("end_model.neighbours=-1", "end_model.neighbours"),
    ("end_model.self_train=11", "end_model.self_train"),
])
def test_bad_end_model_keys_exit_2_naming_the_key(project, capsys, override, key):
    from weaksup.cli import main

    with pytest.raises(SystemExit) as info:
        main(["run", str(write_config(project)), "--set", override, "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and key in err, err


@pytest.mark.slow
def test_a_sample_of_rows_without_gold_trains_the_end_model_and_every_row_is_labeled(project, youtube):
    result = run_config(write_config(project, label_model={"name": "DawidSkene"},
                                     end_model={"enabled": True, "folds": 2, "train_rows": 400}))
    labels = pd.read_parquet(result.labels_path)
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    assert labels["label"].notna().all() and labels["label_source"].notna().all()
    assert (labels.loc[labels["n_votes"] == 0, "label_source"] == "end_model").all()
    assert result.end_model["dev_rows"] == 0 and result.end_model["train_rows"] <= 400
    assert "not calibrated" in result.summary() and "references: no gold set (gold.path)" in result.summary()


def test_fewer_dev_gold_rows_than_folds_is_a_config_error_naming_the_key(project, youtube, capsys):
    from weaksup.cli import main

    rows = youtube.loc[youtube["split"] != "unlabeled", ["row_id", "label", "split"]]
    rows = pd.concat([rows[rows["split"] == "test"], rows[rows["split"] == "dev"].head(2)])
    write_gold(rows, project / "gold", task="yt", label_space=["ham", "spam"])
    with pytest.raises(SystemExit) as info:
        main(["run", str(write_config(project, gold={"path": "gold"}, end_model={"enabled": True})), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "end_model.folds" in err and "2 dev gold rows" in err, err
    assert not (project / "out" / "labels.parquet").exists()  # nothing half-written


def test_a_gold_set_without_dev_rows_is_said_plainly(project, youtube):
    rows = youtube.loc[youtube["split"] == "test", ["row_id", "label", "split"]]
    write_gold(rows, project / "gold", task="yt", label_space=["ham", "spam"])
    result = run_config(write_config(project, gold={"path": "gold"}))
    assert result.references is None
    assert "references: the gold set has no dev split, so there is no classifier trained on gold rows" \
        in result.summary()


def test_the_texts_of_several_row_sets_come_back_in_their_own_orders_from_one_read(project, youtube):
    from weaksup.pipeline import RunPlan
    from weaksup.pipeline.end_stage import clean_texts, texts_at, texts_at_each

    plan = RunPlan.from_config(load_config(write_config(project), project=project))  # 500-row chunks
    test, dev = np.array([1700, 3, 501, 499]), np.array([0, 1200, 2])
    test_texts, dev_texts = texts_at_each(plan, test, dev)
    every = clean_texts(plan.config, pd.read_csv(project / "comments.csv"))  # the whole input at once
    assert len(every) == len(youtube) and texts_at(plan, np.arange(len(youtube))).tolist() == every.tolist()
    assert test_texts.tolist() == every[test].tolist() and dev_texts.tolist() == every[dev].tolist()
    assert [len(part) for part in texts_at_each(plan, test[:0], dev)] == [0, 3]


def test_a_class_the_dev_gold_lacks_is_named_in_the_summary_and_run_json(project, youtube):
    rows = youtube.loc[youtube["split"] != "unlabeled", ["row_id", "label", "split"]]
    write_gold(rows[(rows["split"] == "test") | (rows["label"] == "ham")], project / "gold",
               task="yt", label_space=["ham", "spam"])
    config = write_config(project, gold={"path": "gold"})
    result = run(load_config(config, project=project), progress=False)
    assert result.gold_gaps == {"dev": ["spam"]}
    assert "dev split has no row of 1 class ('spam')" in result.summary()
    assert json.loads((result.run_dir / "run.json").read_text())["gold_gaps"] == {"dev": ["spam"]}
    add_gold(project / "every", youtube)  # every class in both splits: nothing to say
    whole = run(load_config(config, ["gold.path=every/gold"], project=project), progress=False)
    assert whole.gold_gaps == {} and "has no row of" not in whole.summary()


def test_dev_gold_texts_without_words_skip_the_reference_and_the_end_model_names_the_text_column(
        project, youtube, capsys):
    from weaksup.cli import main

    add_gold(project, youtube)
    comments = youtube[["row_id", "text"]].copy()
    dev = youtube["split"].eq("dev").to_numpy()
    comments.loc[dev, "text"] = np.where(np.arange(dev.sum()) % 2, "", "x")  # blank and one-character texts
    comments.to_csv(project / "comments.csv", index=False)
    # end model off: the gold-only reference was a ValueError traceback ("empty vocabulary"); missing text is no error
    result = run_config(write_config(project, gold={"path": "gold"}))
    refs = result.references
    assert refs is not None and "supervised_on_dev" not in refs and "majority_vote" in refs
    assert f"supervised_on_dev is left out: none of the {dev.sum()} dev gold rows' texts (input.text_column = " \
           "'text') has a word" in result.summary()
    # end model on: exit 2 naming the text column, not "label more rows or write LFs for the missing classes"
    with pytest.raises(SystemExit) as info:
        main(["run", str(write_config(project, gold={"path": "gold"}, end_model={"enabled": True},
                                      output={"path": "out2/labels.parquet"})), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "input.text_column = 'text' has a word" in err, err
    assert "dev gold rows' texts" in err and "missing classes" not in err and "Traceback" not in err
    assert not (project / "out2" / "labels.parquet").exists()


def test_a_class_no_lf_votes_for_is_named_by_the_run_summary(tmp_path, youtube):
    # the references had no votes to look at: a run whose LFs never vote ham did not say so anywhere
    make_project(tmp_path, youtube)
    add_gold(tmp_path, youtube)
    (tmp_path / "spam_lfs.py").write_text('from weaksup import keyword_lf\n\n'
                                          'kw_subscribe = keyword_lf("kw_subscribe", ["subscribe", "my channel"], 1)\n',
                                          encoding="utf-8")
    config = write_config(tmp_path, lfs={"modules": ["spam_lfs.py"]}, gold={"path": "gold"})
    result = run(load_config(config, project=tmp_path), progress=False)
    refs = result.references
    votes = int(pd.read_parquet(result.labels_path)["n_votes"].sum())
    warning = f"no LF votes for ham (none of the {votes:,} votes on the 1,956 rows labeled): write LFs for them"
    assert refs.unvoted_warning == warning
    assert refs.beats_supervised is False and ": no LF votes for ham: write LFs for them" in refs.verdict
    assert result.summary().count("no LF votes for ham") == 1  # the verdict says it; the warning is not repeated


def test_a_class_no_lf_votes_for_is_named_without_text_or_references(tmp_path, monkeypatch):
    # without a text column (tabular data) there are no references, and nothing said that no LF votes for a class
    rng = np.random.default_rng(0)
    pd.DataFrame({"row_id": [f"t{i}" for i in range(200)], "amount": rng.integers(1, 500, 200)}).to_csv(
        tmp_path / "txns.csv", index=False)
    (tmp_path / "txn_lfs.py").write_text("from weaksup.lf import threshold_lf\n\n"
                                         "big = threshold_lf('big', 'amount > 400', 1)\n"
                                         "small = threshold_lf('small', 'amount < 50', 0)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, task={"name": "txns", "labels": ["ok", "fraud", "chargeback"]},
                          input={"path": "txns.csv", "text_column": ""}, lfs={"modules": ["txn_lfs.py"]})
    result = run(load_config(config, project=tmp_path), progress=False)
    assert result.references is None
    assert "no LF votes for chargeback (none of the " in result.summary()
    assert "votes on the 200 rows labeled): write LFs for them" in result.summary()


def test_the_report_provenance_shows_an_end_model_skipped_for_want_of_text(tmp_path, monkeypatch):
    # the provenance table said end_model.enabled true (and clean.* settings) of a run without text, whose
    # run.json said enabled: True beside skipped: ...
    import html
    import re

    monkeypatch.chdir(tmp_path)
    # (a code of its own on every row: no column the tabular end model can read, so it is skipped)
    pd.DataFrame({"txn_id": [f"t{i}" for i in range(60)], "code": [f"c{i}" for i in range(60)]}).to_csv(
        "txns.csv", index=False)
    (tmp_path / "txn_lfs.py").write_text("from weaksup import threshold_lf\n"
                                         "odd = threshold_lf('odd', 'code in [\"c1\", \"c3\", \"c5\"]', 1)\n"
                                         "even = threshold_lf('even', 'code in [\"c2\", \"c4\"]', 0)\n",
                                         encoding="utf-8")
    config = write_config(tmp_path, task={"name": "txns", "labels": ["legit", "fraud"]},
                          input={"path": "txns.csv", "id_column": "txn_id", "text_column": ""},
                          lfs={"modules": ["txn_lfs.py"]}, end_model={"enabled": True}, output={"report": True})
    result = run_config(config)
    skipped = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))["end_model"]["skipped"]
    assert "no text column" in skipped
    shown = f"true, but skipped: {skipped}"
    assert result.report.params["end_model.enabled"] == shown
    assert result.report.params["clean.normalize"] == "(not done: no text column)"
    page = html.unescape(re.sub(r"<[^>]+>", " ", result.report_path.read_text(encoding="utf-8")))
    provenance = " ".join(page[page.index("Provenance"):].split())
    assert f"end_model.enabled {shown}" in provenance and "end_model.enabled true clean" not in provenance


def _claims(folder, n=3000):
    """Tabular claims (no text): fraud when the amount is high and the claim reported late; two rules as LFs,
    dev and test gold rows."""
    gen = np.random.default_rng(7)
    frame = pd.DataFrame({"row_id": [f"c{i:05d}" for i in range(n)], "amount": gen.gamma(2, 500, n).round(2),
                          "days": gen.integers(0, 90, n), "region": gen.choice(["n", "s", "e", "w"], n)})
    fraud = ((frame["amount"] > 1500) & (frame["days"] > 30)) | (gen.random(n) < 0.02)
    frame.to_csv(folder / "claims.csv", index=False)
    (folder / "claim_lfs.py").write_text(
        "from weaksup import LabelSpace, labeling_function\nLABELS = LabelSpace(['legit', 'fraud'])\n\n"
        "@labeling_function()\ndef big_and_late(x):\n    return 1 if x.amount > 2500 and x.days > 45 else -1\n\n"
        "@labeling_function()\ndef small(x):\n    return 0 if x.amount < 500 else -1\n", encoding="utf-8")
    gold = pd.DataFrame({"row_id": frame["row_id"][:600], "label": np.where(fraud[:600], "fraud", "legit"),
                         "split": ["dev"] * 300 + ["test"] * 300})
    write_gold(gold, folder / "gold", task="claims", label_space=["legit", "fraud"])
    return write_config(folder, task={"name": "claims", "labels": ["legit", "fraud"]},
                        input={"path": "claims.csv", "text_column": ""}, lfs={"modules": ["claim_lfs.py"]},
                        label_model={"name": "default"}, end_model={"enabled": True, "folds": 3},
                        gold={"path": "gold"})


def test_without_a_text_column_the_end_model_reads_the_rows_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_config(_claims(tmp_path))
    labels = pd.read_parquet(result.labels_path)
    assert len(labels) == 3000 and labels["row_id"].tolist() == [f"c{i:05d}" for i in range(3000)]
    assert result.source_counts["end_model"] > 0 and labels["label"].notna().all()  # no-vote rows labeled too
    info = json.loads((result.run_dir / "run.json").read_text())["end_model"]
    assert "skipped" not in info and "gradient-boosted trees" in info["model"]
    refs = result.references
    assert refs is not None and {"supervised_on_dev", "final"} <= set(refs.scores)
    # the rules cover a third of the rows; the columns tell fraud for the others: both classifiers learn that
    assert refs["supervised_on_dev"].accuracy > 0.9 and refs["final"].accuracy > refs["label_model"].accuracy + 0.3
    assert refs.verdict in result.summary()


def test_neighbours_on_an_input_without_text_is_refused_naming_the_key(tmp_path, monkeypatch):
    from weaksup.errors import ConfigError, ParameterError
    from weaksup.final_labels import FinalLabeler
    from weaksup.models import DevNaiveBayes

    monkeypatch.chdir(tmp_path)
    config = _claims(tmp_path)
    with pytest.raises(ConfigError, match=r"end_model.neighbours = 5 finds each row's neighbours among sentence "
                                          r"embeddings of the rows' texts, and the end model reads the rows' columns "
                                          r"instead \(the input has no text column"):
        run_config(config, "end_model.neighbours=5")
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) % 3})
    with pytest.raises(ParameterError, match=r"neighbours=3 finds each row's neighbours among sentence embeddings of "
                                             r"the rows' texts, and the end model reads the rows' columns instead "
                                             r"\(a DataFrame of columns \['a', 'b'\]\)"):
        FinalLabeler(DevNaiveBayes(2), end_model=object(), neighbours=3, n_folds=2).fit(
            frame, np.full((20, 1), -1), np.arange(20), np.array([0, 1] * 10))
