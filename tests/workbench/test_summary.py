"""The workbench summary: the label model against majority vote on dev (out of fold when it learns from dev), the
references (supervised-on-dev, final labels) with the verdict, and why they are missing when they are."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from weaksup import ABSTAIN, keyword_lf
from weaksup.lf import threshold_lf
from weaksup.errors import DataError
from weaksup.models import DevNaiveBayes, MajorityVote
from weaksup.workbench import Workbench
from weaksup.models.fitting import out_of_fold_predict
from weaksup.workbench.summary import dev_evaluation

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 2, 200)
L = np.where(RNG.random((200, 3)) < 0.8, Y[:, None], 1 - Y[:, None])
Y_DEV = np.where(np.arange(200) < 60, Y, -1)


def test_a_model_learning_from_dev_is_judged_out_of_fold():
    model = DevNaiveBayes(cardinality=2, seed=0)
    ev = dev_evaluation(model, L, Y_DEV, ["ham", "spam"], gold_hash="h", seed=0)
    assert ev.model.name.endswith("(out-of-fold)") and ev.baseline.name == "MajorityVote"
    assert ev.model.n_gold == 60 and ev.split == "dev" and ev.gold_hash == "h"
    assert ev.model.coverage == ev.baseline.coverage == 1.0 and ev.model.n_no_votes == 0  # every row has votes
    oof = out_of_fold_predict(model, L[:60], Y[:60], L=L, seed=0)
    assert ev.model.accuracy == np.mean(oof.pred == Y[:60])
    # the dev rows only one of the two gets right: the summary's "within noise" reads them (weaksup.verdict)
    mv = MajorityVote(cardinality=2).fit(L).predict(L[:60], tie_break="abstain") == Y[:60]
    assert ev.discordant == (int((oof.pred == Y[:60])[~mv].sum()), int(mv[oof.pred != Y[:60]].sum()))
    assert ev.discordant[0] - ev.discordant[1] == round((ev.model.accuracy - ev.baseline.accuracy) * 60)


def test_a_model_without_dev_gold_and_no_gold_at_all():
    ev = dev_evaluation(MajorityVote(cardinality=2), L, Y_DEV, ["ham", "spam"])
    assert ev.model.name == "MajorityVote" and ev.model.accuracy == ev.baseline.accuracy
    assert dev_evaluation(MajorityVote(cardinality=2), L, np.full(200, -1), ["ham", "spam"]) is None
    assert dev_evaluation(MajorityVote(cardinality=2), L[:, :0], Y_DEV, ["ham", "spam"]) is None


@pytest.mark.slow
def test_youtube_summary_has_the_supervised_baseline_the_final_labels_and_a_verdict(youtube, youtube_registry,
                                                                                     caplog):
    import logging

    data = youtube.drop(columns=["label", "split"])
    wb = Workbench(data, gold="gold_sets/youtube_spam", lfs=youtube_registry)
    with caplog.at_level(logging.INFO, logger="weaksup.workbench"):
        s = wb.summary()
    assert "fitting the final labels" in caplog.text and "fitted the final labels in" in caplog.text
    refs = s.references
    assert s.missing is None and list(refs.scores) == ["majority_vote", "label_model", "supervised_on_dev", "final"]
    assert refs.split == "dev" and refs.n_rows == refs.n_gold == 286
    voted = (wb.votes.values[wb.y_dev != ABSTAIN] != ABSTAIN).any(axis=1)
    assert refs.n_voted == voted.sum() < 286                   # the coverage split: some dev rows have no vote
    assert (s.evaluation.model.n_voted, s.evaluation.baseline.coverage) == (voted.sum(), pytest.approx(voted.mean()))
    labeler = wb.final_labeler()
    y = labeler.dev_y_
    # out of fold: each reference is the argmax of the FinalLabeler's dev probabilities
    assert refs["supervised_on_dev"].accuracy == pytest.approx(labeler.baseline_.dev_accuracy)
    assert refs["final"].accuracy == pytest.approx(np.mean(labeler.dev_proba_["final"].argmax(axis=1) == y))
    assert refs["label_model"].accuracy_no_votes == 0.0 == refs["majority_vote"].accuracy_no_votes  # they abstain
    assert refs["final"].labelled == 1.0 and refs["final"].accuracy_no_votes > 0.5  # the end model labels them
    assert re.fullmatch(r"weak supervision (adds \+\d+\.\d points over|does not beat) training on your 286 gold "
                        r"rows .*", s.verdict)
    assert s.verdict == refs.verdict and s.verdict in repr(s) and html.escape(s.verdict) in s._repr_html_()
    assert "supervised_on_dev" in repr(s) and "<td>supervised_on_dev</td>" in s._repr_html_()
    # cached: no refit until an LF changes
    assert wb.final_labeler() is labeler and wb.summary().references.as_metrics() == refs.as_metrics()


def small_workbench(**kwargs):
    texts = ["subscribe to my channel", "nice song", "sub 4 sub", "great song", "free money", "love it"] * 2
    data = pd.DataFrame({"row_id": [f"r{i}" for i in range(12)], "text": texts})
    lfs = [keyword_lf("kw_sub", ["subscribe", "sub", "money"], 1), keyword_lf("kw_song", "song", 0)]
    return Workbench(data, lfs=lfs, label_space=["ham", "spam"], **kwargs)


def test_without_dev_gold_or_text_the_summary_says_why_the_baseline_is_missing():
    no_gold = small_workbench()
    s = no_gold.summary()
    assert s.references is None and s.evaluation is None
    assert s.verdict.startswith("no supervised baseline: no dev gold rows: label some rows")
    assert s.verdict in repr(s) and html.escape(s.verdict) in s._repr_html_()
    with pytest.raises(DataError, match="Workbench.final_labeler: no dev gold rows"):
        no_gold.final_labeler()
    gold = pd.Series({"r0": "spam", "r1": "ham", "r2": "spam", "r3": "ham", "r4": "spam", "r5": "ham"})
    free_text = pd.DataFrame({"row_id": [f"r{i}" for i in range(6)], "text": [f"comment {i}" for i in range(6)]})
    no_text = Workbench(free_text, lfs=[keyword_lf("kw", "comment", 1)], label_space=["ham", "spam"], gold=gold,
                        text_column=None)  # its one column: every value distinct, no category
    assert no_text.summary().missing.startswith("no text column (text_column=None), and no column to learn from "
                                                "among ['text']")
    few = small_workbench(gold=gold.iloc[:3])
    assert few.summary().missing.startswith("only 3 dev gold rows: label at least 5")
    assert small_workbench(gold=gold).final_labels_missing() is None
    quick = small_workbench(gold=gold).summary(references=False)
    assert quick.references is None and quick.verdict.endswith("not computed (summary(references=False))")


def test_the_final_labels_are_fitted_once_per_lf_set():
    gold = pd.Series({"r0": "spam", "r1": "ham", "r2": "spam", "r3": "ham", "r4": "spam", "r5": "ham"})
    wb = small_workbench(gold=gold)
    labeler = wb.final_labeler()
    assert wb.summary().references.n_rows == 6 and wb.final_labeler() is labeler
    wb.add(keyword_lf("kw_love", "love", 0))
    edited = wb.final_labeler()
    assert edited is not labeler and edited.label_model_.cardinality == 2
    wb.remove("kw_love")
    assert wb.final_labeler() is labeler  # back to the first LF set: still cached


def test_a_class_the_dev_gold_lacks_is_named_with_the_fix():
    frame = pd.DataFrame({"row_id": list("abcdef"), "text": ["buy now", "hi", "buy it", "hello", "so buy", "ok"]})
    wb = Workbench(frame, gold=pd.Series({"a": 1, "c": 1, "e": 1}), label_space=["ham", "spam"], seed=0)
    wb.add(keyword_lf("buy", ["buy"], label=1))
    summary = wb.summary(references=False)
    assert summary.missing_classes == ["ham"]
    line = "the gold set's dev split has no row of 1 class ('ham')"
    assert line in repr(summary) and html.escape(line) in summary._repr_html_()
    wb_both = Workbench(frame, gold=pd.Series({"a": 1, "b": 0}), label_space=["ham", "spam"], seed=0)
    wb_both.add(keyword_lf("buy", ["buy"], label=1))
    assert wb_both.summary(references=False).missing_classes == []
    assert "has no row of" not in repr(wb_both.summary(references=False))


def test_the_final_labels_are_fitted_again_when_an_lf_that_is_not_cacheable_votes_otherwise():
    import types

    from weaksup import labeling_function

    rules = types.SimpleNamespace(word="song")  # state the LF's version cannot hash: its lf_id stays

    @labeling_function
    def uses_rules(x):
        return 0 if rules.word in x.text else ABSTAIN

    gold = pd.Series({"r0": "spam", "r1": "ham", "r2": "spam", "r3": "ham", "r4": "spam", "r5": "ham"})
    wb = small_workbench(gold=gold).add(uses_rules)
    labeler = wb.final_labeler()
    rules.word = "love"
    assert wb.add(uses_rules).final_labeler() is not labeler


def test_a_class_no_lf_votes_for_is_warned_about_in_the_summary():
    # nothing in the summary said that no LF votes for "fear"; the verdict's advice named other classes
    texts = ["so happy today", "this is hilarious", "i am furious", "scary night", "happy happy", "lol hilarious",
             "furious again", "what a scary film"] * 3
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(24)], "text": texts})
    gold = pd.Series(dict(zip(frame["row_id"][:16], (["joy", "amusement", "anger", "fear"] * 4))))
    wb = Workbench(frame, gold=gold, label_space=["joy", "amusement", "anger", "fear"], seed=0)
    wb.add(keyword_lf("kw_happy", "happy", 0))
    wb.add(keyword_lf("kw_lol", ["hilarious", "lol"], 1))
    wb.add(keyword_lf("kw_furious", "furious", 2))
    s = wb.summary()
    warning = s.references.unvoted_warning
    assert warning is not None and warning.startswith("no LF votes for fear (none of the ")
    assert warning.endswith(" votes on the 24 rows labeled): write LFs for them")
    assert s.references.beats_supervised is False  # a tie: every dev row right both ways
    assert s.verdict.endswith("(final 1.000 vs 1.000: 0 of 16 dev rows, within noise): no LF votes for fear: write "
                              "LFs for them, or label more")
    # the verdict's advice says it, so the warning is not said a second time (it was, in both views)
    assert repr(s).count("no LF votes for fear") == 1 and s._repr_html_().count("no LF votes for fear") == 1


def test_uncovered_rows_of_data_without_text_show_their_fields():
    data = pd.DataFrame({"id": np.arange(1000, 1004), "amount": [12.5, 500.0, 40.0, 900.0],
                         "country": ["DE", "NG", None, "FR"]})
    wb = Workbench(data, lfs=[threshold_lf("big", "amount > 300", 1)], id_column="id", text_column=None,
                   label_space=["ham", "spam"])
    lines = repr(wb.summary()).split("uncovered rows (sample):\n")[1].splitlines()
    assert lines == ["  1000: amount=12.5, country='DE'", "  1002: amount=40.0, country=None"]
    assert "country=&#x27;DE&#x27;" in wb.summary()._repr_html_()


def test_a_class_no_lf_votes_for_is_named_on_data_without_text():
    from weaksup.lf import threshold_lf

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"row_id": [f"t{i}" for i in range(60)], "amount": rng.integers(1, 500, 60)})
    gold = pd.Series(dict(zip(frame["row_id"][:30], ["ok", "fraud", "chargeback"] * 10)))
    wb = Workbench(frame, gold=gold, text_column=None, label_space=["ok", "fraud", "chargeback"])
    wb.add(threshold_lf("big", "amount > 400", 1), threshold_lf("small", "amount < 50", 0))
    s = wb.summary()
    assert s.unvoted.startswith("no LF votes for chargeback (none of the ")
    assert repr(s).count("no LF votes for chargeback") == 1
    assert s._repr_html_().count("no LF votes for chargeback") == 1


def test_data_without_text_is_measured_against_a_classifier_on_its_columns():
    """No text column: the gold-only classifier and the final labels read the rows' columns (gradient-boosted trees),
    so a tabular task gets the references and the verdict a text task gets."""
    from weaksup.lf import threshold_lf

    gen = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame({"claim_id": [f"c{i:05d}" for i in range(n)], "amount": gen.gamma(2, 500, n),
                          "days": gen.integers(0, 90, n), "region": gen.choice(["n", "s", "e", "w"], n)})
    fraud = (frame["amount"] > 1500) & (frame["days"] > 30)
    gold = pd.Series(np.where(fraud[:400], "fraud", "legit"), index=frame["claim_id"][:400])
    wb = Workbench(frame, gold=gold, id_column="claim_id", text_column=None, label_space=["legit", "fraud"])
    wb.add(threshold_lf("huge", "amount > 2500", 1), threshold_lf("small", "amount < 600", 0))
    s = wb.summary()
    assert s.missing is None and s.references is not None
    sup, final, lm = (s.references[name] for name in ("supervised_on_dev", "final", "label_model"))
    assert sup.accuracy > 0.9 and final.accuracy > lm.accuracy + 0.3  # the rules cover a third; the columns the rest
    assert "training on your 400 gold rows" in repr(s)
    # the footnote said "the final labels take those from the end model, except rows without text: the end model
    # neither learns from nor labels them" -- false here, where every row is labeled from its columns
    for shown in (repr(s), html.unescape(s._repr_html_())):
        assert "rows without text" not in shown and "the end model, which reads every row's columns" in shown


def untrusted_claims(n=1000):
    """Claims: 7% fraud; a "fraud" rule firing on 40% of the rows whatever their class (mostly wrong) and a right
    "legit" rule; the first 300 rows are the dev gold."""
    from weaksup.lf import threshold_lf

    gen = np.random.default_rng(0)
    y = gen.random(n) < 0.07
    frame = pd.DataFrame({"claim_id": [f"c{i:04d}" for i in range(n)], "late": gen.random(n),
                          "known": ((~y) & (gen.random(n) < 0.5)).astype(int)})
    gold = pd.Series(np.where(y[:300], "fraud", "legit"), index=frame["claim_id"][:300])
    wb = Workbench(frame, gold=gold, id_column="claim_id", text_column=None, label_space=["legit", "fraud"])
    wb.add(threshold_lf("late_report", "late > 0.6", 1), threshold_lf("known_customer", "known > 0.5", 0))
    return wb


def test_the_summary_names_the_lfs_the_label_model_lets_force_a_class_the_dev_gold_shows_wrong(caplog):
    # Workbench.fit_label_model logged the warning; the summary (its printout, its HTML) never said it
    wb = untrusted_claims()
    with caplog.at_level("WARNING"):
        s = wb.summary(references=False)
    assert s.untrusted is not None and s.untrusted.startswith("LF(s) ['late_report'] vote one class")
    fix = 'or label_model=DevNaiveBayes(restrict_to_voted="trusted") in a Workbench'
    assert fix in s.untrusted and '[label_model.params] restrict_to_voted = "trusted"' in s.untrusted
    assert repr(s).count("untrusted LFs: LF(s) ['late_report']") == 1
    assert s._repr_html_().count("untrusted LFs: LF(s) [&#x27;late_report&#x27;]") == 1
    assert sum("wrong on most of their votes" in r.getMessage() for r in caplog.records) == 1  # logged once
    trusted = Workbench(wb.data, gold=pd.Series(dict(zip(wb.row_ids[:300], np.array(wb.class_names)[wb.y_dev[:300]]))),
                        id_column="claim_id", text_column=None, label_space=["legit", "fraud"],
                        label_model=DevNaiveBayes(restrict_to_voted="trusted"))
    trusted.add(*wb.lfs)
    assert trusted.summary(references=False).untrusted is None and "untrusted LFs" not in repr(trusted.summary(
        references=False))



def test_a_second_summary_refits_nothing_until_an_lf_its_votes_or_the_label_model_change(monkeypatch):
    """Case: summary() fitted the label model on every row again on each call (for its untrusted-LF note), and its
    out-of-fold dev evaluation too; an unchanged workbench now reuses both (the final labels' cache rule) and an
    edit refits."""
    import types

    from weaksup import labeling_function

    fits = []
    fit = DevNaiveBayes.fit

    def counted(self, *args, **kwargs):
        fits.append(self)
        return fit(self, *args, **kwargs)

    def refits() -> int:
        before = len(fits)
        wb.summary(references=False)
        return len(fits) - before

    monkeypatch.setattr(DevNaiveBayes, "fit", counted)
    model = DevNaiveBayes()
    claims = untrusted_claims()
    gold = pd.Series(dict(zip(claims.row_ids[:300], np.array(claims.class_names)[claims.y_dev[:300]])))
    wb = Workbench(claims.data, gold=gold, lfs=claims.lfs, id_column="claim_id", text_column=None,
                   label_space=claims.class_names, label_model=model)
    first = wb.summary(references=False)
    assert len(fits) >= 2 and first.untrusted is not None  # the full fit and the out-of-fold copies
    assert refits() == 0
    second = wb.summary(references=False)
    assert second.untrusted == first.untrusted and second.evaluation is first.evaluation
    assert wb.fit_label_model() is wb.fit_label_model() and refits() == 0

    wb.add(threshold_lf("early", "late < 0.05", 0))  # an LF added
    assert refits() > 0 and refits() == 0
    rules = types.SimpleNamespace(cut=0.99)  # state the LF's version cannot hash: its lf_id stays

    @labeling_function
    def very_late(x):
        return 1 if x.late > rules.cut else ABSTAIN

    wb.add(very_late)
    assert refits() > 0 and refits() == 0
    rules.cut = 0.95
    wb.add(very_late)  # its votes changed
    assert refits() > 0 and refits() == 0
    wb.y_dev = np.where(np.arange(len(wb.y_dev)) == 0, 1 - wb.y_dev, wb.y_dev)  # the dev gold changed
    assert refits() > 0 and refits() == 0
    model.set_params(restrict_to_voted="trusted")  # the label model changed
    assert refits() > 0 and wb.summary(references=False).untrusted is None  # the note went with the refit
