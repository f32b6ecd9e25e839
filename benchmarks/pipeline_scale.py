"""End-to-end scale: `weaksup run` on N synthetic comment-like rows in Parquet, beside Snorkel's equivalent.

Writes N rows (ids and texts drawn from the vocabulary of the YouTube Spam Collection) as Parquet
parts of 1M rows, then runs ``weaksup run`` on them as a separate process with the 10 keyword/regex
LFs of ``scale_lfs.py``: read, clean (NFKC, whitespace, duplicates), apply, fit (Dawid-Skene on a
sample), predict, route, write Parquet, report. Prints rows/s per stage, overall rows/s and the peak
RSS of the run process. Snorkel's pipeline (pandas read, PandasLFApplier, LabelModel, Parquet
write) runs on ``--snorkel-rows`` of the same rows in the same session, and the ratio of rates is
printed.

The measured run has ``[end_model] enabled = false`` (the label model's labels, as this benchmark has
always measured). The end-model stage's cost is then measured on its own: the same config run again with
the end model on (the votes reused), and its ``end model fit`` (``--end-train-rows`` rows, 5 folds, no dev
gold in synthetic data) and ``end model predict+route+write`` seconds printed as a separate line
(``--no-end-model`` skips it).

    python benchmarks/pipeline_scale.py --rows 1000000 [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from apply_speed import synthetic_texts  # noqa: E402

PART_ROWS = 1_000_000

CONFIG = """
[task]
name = "synthetic_comments"

[input]
path = "comments"
id_column = "row_id"
text_column = "text"
chunk_rows = {chunk_rows}

[clean]
normalize = true
duplicates = "exact"

[lfs]
modules = ["{lfs}"]

[label_model]
name = "{model}"
sample_rows = 200000

[end_model]
enabled = {end_model}
train_rows = {end_train_rows}

[review]
threshold = 0.7

[output]
path = "run/labels.parquet"
report = {report}

[mlflow]
enabled = false
"""


def write_parts(folder: Path, rows: int, seed: int = 0) -> float:
    """N rows as Parquet parts; returns the bytes on disk in MB."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, rows, PART_ROWS)):
        n = min(PART_ROWS, rows - start)
        texts = synthetic_texts(n, seed=seed + i)
        ids = pd.Series(np.char.add("c", np.arange(start, start + n).astype(str)), dtype="str")
        pd.DataFrame({"row_id": ids, "text": texts}).to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    return sum(p.stat().st_size for p in folder.glob("*.parquet")) / 1e6


def run_weaksup(project: Path, chunk_rows: int, model: str, report: bool, *, end_model: bool = False,
                end_train_rows: int = 30_000) -> dict:
    """One ``weaksup run`` as a separate process: ``--fresh`` without the end model, reusing the votes with it."""
    config = project / "run.toml"
    config.write_text(CONFIG.format(chunk_rows=chunk_rows, lfs=HERE / "scale_lfs.py", model=model,
                                    report=str(report).lower(), end_model=str(end_model).lower(),
                                    end_train_rows=end_train_rows))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "weaksup", "run", str(config), "--no-progress",
                           *([] if end_model else ["--fresh"])], cwd=project, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"weaksup run failed:\n{proc.stderr}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    manifest = json.loads((project / "run" / "run.json").read_text())
    return {"wall_s": wall, "peak_rss_mb": peak_mb, "timings": manifest["timings"], "counts": manifest["counts"],
            "summary": proc.stdout}


def run_snorkel(folder: Path, rows: int, out: Path) -> float:
    """Snorkel's pipeline on the first ``rows`` rows: read, apply, fit, predict, write. Returns seconds."""
    from scale_lfs import LFS
    from snorkel.labeling import PandasLFApplier
    from snorkel.labeling.model import LabelModel

    started = time.perf_counter()
    frame = pd.read_parquet(sorted(folder.glob("*.parquet"))[0]).iloc[:rows]
    L = PandasLFApplier([lf.to_snorkel() for lf in LFS]).apply(frame, progress_bar=False)
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(L, n_epochs=500, seed=0, progress_bar=False)
    proba = model.predict_proba(L)
    pd.DataFrame({"row_id": frame["row_id"], "label": proba.argmax(axis=1), "prob_ham": proba[:, 0],
                  "prob_spam": proba[:, 1]}).to_parquet(out)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--model", default="DawidSkene", help="label model of the run (default DawidSkene)")
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report stage")
    parser.add_argument("--snorkel-rows", type=int, default=100_000, help="rows for Snorkel's pipeline (0: skip)")
    parser.add_argument("--no-end-model", action="store_true", help="skip measuring the end-model stage")
    parser.add_argument("--end-train-rows", type=int, default=30_000, help="end_model.train_rows of that run")
    parser.add_argument("--workdir", help="where to write the data (default: a temporary folder)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        project = Path(tmp)
        t = time.perf_counter()
        size_mb = write_parts(project / "comments", args.rows)
        print(f"wrote {args.rows:,} rows as Parquet ({size_mb:,.0f} MB) in {time.perf_counter() - t:.1f} s",
              flush=True)
        ours = run_weaksup(project, args.chunk_rows, args.model, not args.no_report)
        snorkel_s = run_snorkel(project / "comments", min(args.snorkel_rows, args.rows), project / "snorkel.parquet") \
            if args.snorkel_rows else None
        labels = pd.read_parquet(project / "run" / "labels.parquet", columns=["row_id"])
        assert len(labels) == args.rows and labels["row_id"].iloc[-1] == f"c{args.rows - 1}", "rows lost or reordered"
        end = None if args.no_end_model else run_weaksup(project, args.chunk_rows, args.model, not args.no_report,
                                                          end_model=True, end_train_rows=args.end_train_rows)
        if end is not None:
            labels = pd.read_parquet(project / "run" / "labels.parquet", columns=["row_id", "label_source"])
            assert labels["row_id"].tolist() == [f"c{i}" for i in range(args.rows)], "rows lost or reordered"
    timings = ours["timings"]
    rate = args.rows / ours["wall_s"]
    result = {"rows": args.rows, "chunk_rows": args.chunk_rows, "model": args.model, "wall_s": ours["wall_s"],
              "rows_per_s": rate, "peak_rss_mb": ours["peak_rss_mb"], "timings": timings,
              # (run.json's share of all rows with a vote: counts.coverage_all_rows; "coverage" before it was renamed)
              "coverage": ours["counts"].get("coverage_all_rows", ours["counts"].get("coverage"))}
    print(f"\nweaksup run: {args.rows:,} rows, 10 LFs, label model {args.model}, chunks of {args.chunk_rows:,}")
    for stage, seconds in timings.items():
        per_s = f"{args.rows / seconds:>14,.0f} rows/s" if seconds > 0 and stage != "total" else ""
        print(f"  {stage:22} {seconds:8.2f} s {per_s}")
    print(f"  {'whole command':22} {ours['wall_s']:8.2f} s {rate:>14,.0f} rows/s   (target >= 300,000)")
    print(f"  peak RSS of the run process: {ours['peak_rss_mb']:,.0f} MB   (target < 2,000 MB)")
    if end is not None:
        fit_s, predict_s = end["timings"].get("end model fit", 0.0), end["timings"].get("end model predict+route+write", 0.0)
        extra = fit_s + predict_s - timings.get("predict+route+write", 0.0)
        result["end_model"] = {"train_rows": args.end_train_rows, "fit_s": fit_s, "predict_route_write_s": predict_s,
                               "extra_s": extra, "wall_s": end["wall_s"], "peak_rss_mb": end["peak_rss_mb"],
                               "label_source": end["counts"].get("label_source", {})}
        print(f"  end-model stage (a separate run, votes reused; end_model.train_rows {args.end_train_rows:,}, 5 folds): "
              f"fit {fit_s:.1f} s, predict+route+write {predict_s:.1f} s ({args.rows / max(predict_s, 1e-9):,.0f} rows/s)"
              f"; {extra:+.1f} s over the label model's predict+route+write")
    if snorkel_s is not None:
        n = min(args.snorkel_rows, args.rows)
        theirs = n / snorkel_s
        result.update({"snorkel_rows": n, "snorkel_s": snorkel_s, "snorkel_rows_per_s": theirs,
                       "ratio": rate / theirs})
        print(f"Snorkel (read, PandasLFApplier, LabelModel 500 epochs, write) on {n:,} rows: {snorkel_s:.1f} s, "
              f"{theirs:,.0f} rows/s")
        print(f"ratio (weaksup / Snorkel rows per second): {rate / theirs:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
