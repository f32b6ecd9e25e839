"""A Snorkel project's script, written against Snorkel: label the YouTube comments, train an end model.

Run: ``python snorkel_script.py DATA_DIR OUT_DIR`` (DATA_DIR holds the five UCI ``Youtube0*.csv`` files; the
repository must be importable, for the LF module ``labeling_functions.snorkel_spam``). It prints its results and
saves its arrays in OUT_DIR. ``tests/compat/test_script.py`` runs it as it is, then a copy whose only change is
its imports (``from snorkel.<module> import`` -> ``from weaksup.compat.snorkel import``), and compares the two.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from snorkel.analysis import get_label_buckets
from snorkel.labeling import LFAnalysis, PandasLFApplier, filter_unlabeled_dataframe
from snorkel.labeling.model import LabelModel, MajorityLabelVoter
from snorkel.utils import probs_to_preds

from labeling_functions.snorkel_spam import (
    author_looks_promotional,
    keyword_channel,
    keyword_love_song,
    keyword_money,
    keyword_please,
    keyword_subscribe,
    nlp_mentions_the_music,
    regex_check_it_out,
    regex_link,
    regex_views_count,
    short_comment,
    tone_emotional,
    tone_very_positive,
)

def load(paths):
    frames = [pd.read_csv(path).rename(columns={"CONTENT": "text", "AUTHOR": "author", "CLASS": "label"})
              for path in paths]
    return pd.concat(frames)  # as the tutorial does: the index repeats across files


def main(data_dir, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(data_dir.glob("Youtube0*.csv"))
    df_train = load(files[:4])
    df_test = load(files[4:])
    df_dev, df_test = df_test.iloc[:100], df_test.iloc[100:]
    Y_dev, Y_test = df_dev["label"].to_numpy(), df_test["label"].to_numpy()

    lfs = [keyword_subscribe, keyword_channel, keyword_money, keyword_please, keyword_love_song, regex_check_it_out,
           regex_link, regex_views_count, tone_very_positive, tone_emotional, nlp_mentions_the_music, short_comment,
           author_looks_promotional]
    applier = PandasLFApplier(lfs=lfs)
    L_train, meta = applier.apply(df=df_train, progress_bar=False, return_meta=True)
    L_dev = applier.apply(df=df_dev, progress_bar=False)
    L_test = applier.apply(df=df_test)
    print("L_train", L_train.shape, L_train.dtype, "faults", dict(meta.faults))

    analysis = LFAnalysis(L=L_train, lfs=lfs)
    print(analysis.lf_summary().to_string())
    print("coverage", analysis.label_coverage(), "overlap", analysis.label_overlap(), "conflict",
          analysis.label_conflict())
    print(LFAnalysis(L_test, lfs).lf_summary(Y_test).to_string())
    print("normalised overlaps", analysis.lf_overlaps(normalize_by_coverage=True).round(6).tolist())

    majority_model = MajorityLabelVoter()
    preds_train = majority_model.predict(L=L_train)
    mv_acc = majority_model.score(L=L_test, Y=Y_test, tie_break_policy="random")["accuracy"]
    print(f"{'Majority Vote Accuracy:':<25} {mv_acc * 100:.1f}%")

    label_model = LabelModel(cardinality=2, verbose=True)
    label_model.fit(L_train=L_train, n_epochs=500, log_freq=100, seed=123)
    scores = label_model.score(L=L_test, Y=Y_test, tie_break_policy="random", metrics=["accuracy", "f1", "coverage"])
    print(f"{'Label Model Accuracy:':<25} {scores['accuracy'] * 100:.1f}%", "f1", round(scores["f1"], 6))
    print("abstain-policy scores", label_model.score(L_test, Y_test))
    print("weights", label_model.get_weights().round(6).tolist())

    dev_model = LabelModel(cardinality=2, verbose=False)
    dev_model.fit(L_train, Y_dev=Y_dev, n_epochs=200, lr=0.01, l2=0.01, optimizer="adam", prec_init=0.6, seed=7,
                  progress_bar=False)
    dev_preds = dev_model.predict(L_test, tie_break_policy="abstain")
    print("dev-balanced model: test accuracy", round(float((dev_preds == Y_test).mean()), 6),
          "abstains", int((dev_preds == -1).sum()))

    label_model.save(str(out_dir / "label_model.pkl"))
    reloaded = LabelModel(cardinality=2, verbose=False)
    reloaded.load(str(out_dir / "label_model.pkl"))
    print("reloaded predicts the same:", bool((reloaded.predict(L_test) == label_model.predict(L_test)).all()))

    probs_train = label_model.predict_proba(L=L_train)
    df_train_filtered, probs_train_filtered = filter_unlabeled_dataframe(X=df_train, y=probs_train, L=L_train)
    print("rows with a vote", len(df_train_filtered), "of", len(df_train))
    preds_train_filtered = probs_to_preds(probs=probs_train_filtered)
    ties = probs_to_preds(np.array([[0.5, 0.5], [0.5, 0.5], [0.2, 0.8]]))
    print("tie-break 'random'", ties.tolist(), "abstain",
          probs_to_preds(probs_train_filtered, tie_break_policy="abstain")[:20].tolist())

    buckets = get_label_buckets(Y_test, label_model.predict(L_test, tie_break_policy="random"))
    print("buckets", sorted((key, len(rows)) for key, rows in buckets.items()))

    vectorizer = CountVectorizer(ngram_range=(1, 5))
    X_train = vectorizer.fit_transform(df_train_filtered.text.tolist())
    X_test = vectorizer.transform(df_test.text.tolist())
    sklearn_model = LogisticRegression(C=1e3, solver="liblinear")
    sklearn_model.fit(X=X_train, y=preds_train_filtered)
    print(f"Test Accuracy: {sklearn_model.score(X=X_test, y=Y_test) * 100:.1f}%")

    np.savez(out_dir / "arrays.npz", L_train=L_train, L_dev=L_dev, L_test=L_test, probs_train=probs_train,
             preds_train=preds_train, preds_train_filtered=preds_train_filtered, dev_preds=dev_preds)
    (out_dir / "scores.json").write_text(json.dumps({key: float(value) for key, value in scores.items()}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
