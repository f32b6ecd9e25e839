"""Snorkel LFs through weaksup against Snorkel's own PandasLFApplier, side by side in one run.

The LFs are a Snorkel project's module, unchanged: ``labeling_functions/snorkel_spam.py`` (row-wise Python LFs:
a keyword factory with resources, regular expressions, a memoised preprocessor read by two LFs, an
``nlp_labeling_function`` on a blank spaCy pipeline with an entity ruler, heuristics). The rows are the 1,956
YouTube comments repeated to N rows. Both appliers start cold (Snorkel's memo caches are emptied; weaksup's memo
lives for one call). The votes are checked equal; both rates (wall clock), their ratio, the CPU seconds each used
(with the forked workers') and the peak memory are printed, and written with --json. On a shared machine the
wall-clock rates follow the load (printed); the CPU seconds do not.

    python benchmarks/snorkel_lfs.py --rows 1000000 [--jobs 2] [--json results.json] [--snorkel-rows 100000]

``--snorkel-rows M`` (M < N) times Snorkel on the first M rows only and extrapolates its rate to N (said in the
output, ``snorkel_extrapolated`` in the JSON); by default both run on the same N rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snorkel.labeling import LabelingFunction, PandasLFApplier  # noqa: E402

import labeling_functions.snorkel_spam as snorkel_spam  # noqa: E402
from weaksup import apply_lfs  # noqa: E402
from weaksup.datasets.examples import load_youtube_spam  # noqa: E402

COLUMNS = ["row_id", "author", "date", "text", "video"]


def module_lfs() -> list[LabelingFunction]:
    """The Snorkel LFs of the module, in definition order."""
    return [v for v in vars(snorkel_spam).values() if isinstance(v, LabelingFunction)]


def comments(n: int) -> pd.DataFrame:
    """``n`` rows: the YouTube comments repeated in file order, with a fresh index."""
    base = load_youtube_spam()[COLUMNS]
    return base.iloc[np.arange(n) % len(base)].reset_index(drop=True)


def reset_snorkel_caches(lfs: list[LabelingFunction]) -> None:
    """Empty the memo caches of every preprocessor (and nested one) of the LFs: Snorkel starts cold."""
    todo = [p for lf in lfs for p in lf._pre]
    while todo:
        p = todo.pop()
        p.reset_cache()
        todo.extend(getattr(p, "_pre", []))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the forked workers of ``--jobs``)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows to label (default 200,000)")
    parser.add_argument("--jobs", type=int, default=1, choices=[1, 2, 3, 4, 6, 8],
                        help="processes for weaksup's row-wise LFs (apply_lfs(n_jobs=)); Snorkel uses one")
    parser.add_argument("--snorkel-rows", type=int, default=None,
                        help="time Snorkel on the first M rows only and extrapolate its rate (default: all rows)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    n = args.rows
    n_snorkel = min(args.snorkel_rows or n, n)
    lfs = module_lfs()
    data = comments(n)
    print(f"{len(lfs)} Snorkel LFs from labeling_functions/snorkel_spam.py on {n:,} rows "
          f"(the {len(load_youtube_spam()):,} YouTube comments repeated); weaksup with {args.jobs} process(es); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    apply_lfs(lfs, data.iloc[:200], progress=False)  # warm-up: imports, the spaCy pipeline's first call
    start, cpu = time.perf_counter(), cpu_seconds()
    ours = apply_lfs(lfs, data, progress=False, n_jobs=args.jobs).values
    weaksup_s, weaksup_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    weaksup_rate = n / weaksup_s
    print(f"weaksup apply_lfs:           {weaksup_s:8.2f} s  {weaksup_rate:12,.0f} rows/s  "
          f"({weaksup_cpu:.1f} CPU s, {n / weaksup_cpu:,.0f} rows per CPU second)")

    reset_snorkel_caches(lfs)
    start, cpu = time.perf_counter(), cpu_seconds()
    theirs = PandasLFApplier(lfs).apply(data.iloc[:n_snorkel], progress_bar=False)
    snorkel_s, snorkel_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    snorkel_rate = n_snorkel / snorkel_s
    extrapolated = n_snorkel < n
    note = f"; measured on the first {n_snorkel:,} rows, extrapolated to {n:,}" if extrapolated else ""
    print(f"Snorkel PandasLFApplier:     {snorkel_s:8.2f} s  {snorkel_rate:12,.0f} rows/s  "
          f"({snorkel_cpu:.1f} CPU s, {n_snorkel / snorkel_cpu:,.0f} rows per CPU second{note})")

    equal = bool(np.array_equal(ours[:n_snorkel].astype(np.int64), theirs))
    ratio = weaksup_rate / snorkel_rate
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ratio: weaksup is {ratio:.1f}x Snorkel's rate; votes equal: {equal}; peak memory {peak_mb:,.0f} MB")
    if not equal:
        diff = np.argwhere(ours[:n_snorkel] != theirs)
        print(f"votes differ in {len(diff)} cells, first (row, LF): {diff[:5].tolist()}")
    result: dict[str, object] = {
        "rows": n, "jobs": args.jobs, "weaksup_rows_per_s": round(weaksup_rate, 1),
        "snorkel_rows_per_s": round(snorkel_rate, 1), "ratio": round(ratio, 2), "votes_equal": equal,
        "snorkel_rows": n_snorkel, "snorkel_extrapolated": extrapolated, "weaksup_seconds": round(weaksup_s, 3),
        "snorkel_seconds": round(snorkel_s, 3), "weaksup_cpu_seconds": round(weaksup_cpu, 3),
        "snorkel_cpu_seconds": round(snorkel_cpu, 3), "lfs": len(lfs), "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
        "peak_memory_mb": round(peak_mb, 1),
    }
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
