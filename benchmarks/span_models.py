"""Span label models on every span-format folder under ``--data`` (issue 20), WRENCH's published numbers beside.

For each folder (``meta.json`` + ``{train,valid,test}.json``, the WRENCH/CHMM span format):

* the unsupervised models are fitted on the ``train`` votes (no gold); a folder without ``train`` is fitted
  transductively on the votes of the split that is scored;
* the dev-aware models (and the default, when there is dev gold) also see the ``valid`` gold;
* scores are on ``test``, or on ``valid`` when there is no ``test`` (then the dev-aware models are scored on
  out-of-fold predictions: each valid document predicted by a fit that never saw its gold); the table says which.
  The ``valid`` column is always honest the same way (out-of-fold for the dev-aware models).

The metric is entity-level F1 with exact span match (seqeval's convention); ``ece`` is the expected calibration
error of the predicted spans' confidences against exact match. Nothing is chosen on test: the default picks its
model by dev F1 (:class:`weaksup.spans.SpanDevSelector`), with one rule for every folder.

    python benchmarks/span_models.py --data ../shared/data/spans [--json FILE] [--lfs rec|all]

``--lfs rec`` (default) uses each folder's ``lf_rec`` (WRENCH's recommended LFs; all when meta has none), the
protocol under which majority vote reproduces the published numbers; ``--lfs all`` every LF. The row
``majority (WRENCH ties)`` is majority vote with WRENCH's own tie-break (Snorkel's hash of a token's position in the
whole scored split, which gives a document other spans in another batch); ``majority`` breaks the same ties by the
token's document and place in it, as every weaksup span model does.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weaksup.datasets.spans import find_span_folders, load_span_split, span_splits  # noqa: E402
from weaksup.models.base import break_ties  # noqa: E402
from weaksup.spans import (  # noqa: E402
    SPAN_MODELS,
    ScoredSpan,
    Span,
    SpanDevSelector,
    SpanLabelModel,
    SpanMajorityVote,
    resolve_span_model,
    span_metrics,
)
from weaksup.spans.decode import spans_with_confidence  # noqa: E402
from weaksup.spans.votes import SpanVotes  # noqa: E402

#: WRENCH's published test entity F1 (label model alone), from ../shared/data/spans/SOURCE.md.
PUBLISHED = {
    "bc5cdr": {"majority vote": 81.71, "Dawid-Skene": 81.54, "Snorkel": 83.08, "HMM": 81.67, "CHMM": 83.70},
    "ncbi_disease": {"majority vote": 72.37, "Dawid-Skene": 77.54, "Snorkel": 76.69, "HMM": 78.34, "CHMM": 78.71},
    "laptop_review": {"majority vote": 67.43, "Dawid-Skene": 72.25, "Snorkel": 62.15, "HMM": 73.26, "CHMM": 73.34},
}

logger = logging.getLogger("span_models")


def honest(model: SpanLabelModel, fit_votes: SpanVotes, dev: tuple[SpanVotes, list[list[Span]]] | None,
           votes: SpanVotes, is_dev: bool, seed: int) -> list[list[ScoredSpan]]:
    """Predictions for ``votes``; out-of-fold when they are the dev documents and the model learns from dev gold."""
    if dev is not None and is_dev and type(model).uses_dev_gold:
        return SpanDevSelector().honest_predictions(model, fit_votes, dev, seed)
    return model.predict(votes)


def wrench_majority(votes: SpanVotes) -> list[list[ScoredSpan]]:
    """Span majority vote with WRENCH's ties: Snorkel's hash of each token's position in ``votes`` (the split)."""
    shares = SpanMajorityVote().fit(votes).vote_shares(votes)
    return spans_with_confidence(break_ties(shares, "hash"), shares, votes.doc_offsets, votes.space)


def run_folder(folder: Path, lfs: str, seed: int) -> dict[str, dict[str, Any]]:
    """Every model (and ``"default"``) on one folder."""
    splits = span_splits(folder)
    data = {s: load_span_split(folder, s, lfs=lfs) for s in splits}
    scored = "test" if "test" in data else "valid"
    fit_split = "train" if "train" in data else scored
    fit_votes = data[fit_split].votes
    dev = (data["valid"].votes, data["valid"].gold) if "valid" in data else None
    rows: dict[str, dict[str, Any]] = {}
    names = [*SPAN_MODELS, "default"]
    for name in names:
        klass = resolve_span_model(name, dev is not None) if name == "default" else SPAN_MODELS[name]
        if klass.uses_dev_gold and dev is None:
            continue
        model = klass()
        start = time.perf_counter()
        model.fit(fit_votes, dev=dev if klass.uses_dev_gold else None, seed=seed)
        pred = honest(model, fit_votes, dev, data[scored].votes, scored == "valid", seed)
        fit_s = time.perf_counter() - start
        scores = span_metrics(data[scored].gold, pred, types=fit_votes.space)
        row: dict[str, Any] = {"metric": "f1", "scored_on": scored, "fitted_on": fit_split,
                               scored: round(100 * scores["f1"], 2), "ece": round(scores["ece"], 4),
                               "fit_s": round(fit_s, 2)}
        if scored == "test" and dev is not None:
            valid_pred = honest(model, fit_votes, dev, dev[0], True, seed)
            row["valid"] = round(100 * span_metrics(dev[1], valid_pred, types=fit_votes.space)["f1"], 2)
        if name == "default":
            row["model"] = klass.name
            if isinstance(model, SpanDevSelector):
                row["chosen"] = model.chosen_
        rows[name] = row
        logger.info("%s %s: %s", folder.name, name, row)
    scores = span_metrics(data[scored].gold, wrench_majority(data[scored].votes), types=fit_votes.space)
    rows["majority (WRENCH ties)"] = {"metric": "f1", "scored_on": scored, "fitted_on": fit_split,
                                      scored: round(100 * scores["f1"], 2), "ece": round(scores["ece"], 4), "fit_s": 0.0}
    return rows


def print_table(name: str, rows: dict[str, dict[str, Any]]) -> None:
    """One folder's table, the published numbers after it."""
    scored = next(iter(rows.values()))["scored_on"] if rows else "test"
    fitted = next(iter(rows.values()))["fitted_on"] if rows else "train"
    print(f"\n{name} (fitted on {fitted}, scored on {scored}; entity F1 x100, exact match)")
    print(f"{'model':<24}{scored:>8}{'valid':>8}{'ece':>8}{'fit_s':>8}")
    for model, row in rows.items():
        label = f"default ({row.get('chosen', row.get('model'))})" if model == "default" else model
        valid = f"{row['valid']:>8.2f}" if "valid" in row else f"{'-':>8}"
        print(f"{label:<24}{row[scored]:>8.2f}{valid}{row['ece']:>8.4f}{row['fit_s']:>8.2f}")
    if name in PUBLISHED:
        print("published (WRENCH, test): " + ", ".join(f"{k} {v:.2f}" for k, v in PUBLISHED[name].items()))


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/spans"), help="folder of span folders")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--lfs", choices=["rec", "all"], default="rec", help="lf_rec (default) or every LF")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    folders = find_span_folders(args.data)
    if not folders:
        parser.error(f"no span-format folder (meta.json + split files) under {args.data}")
    out = {folder.name: run_folder(folder, args.lfs, args.seed) for folder in folders}
    for name, rows in out.items():
        print_table(name, rows)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
