"""Apply speed: weaksup's apply_lfs against Snorkel's PandasLFApplier, side by side in one run.

10 keyword/regex LFs over N synthetic comment-like texts built from the vocabulary of the
shipped YouTube Spam Collection. Votes are checked equal; both rates, their ratio, the time
of the bare string kernels alone and the peak memory are printed (and written with --json).

    python benchmarks/apply_speed.py --rows 1000000 [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_lfs import LFS  # noqa: E402

from weaksup import apply_lfs  # noqa: E402
from weaksup.datasets.examples import load_youtube_spam  # noqa: E402



def synthetic_texts(n: int, seed: int = 0) -> pd.Series:
    """Comment-like texts: 4-30 tokens drawn by frequency from the YouTube vocabulary."""
    corpus = load_youtube_spam()["text"].str.replace("\ufeff", "", regex=False)
    tokens = pd.Series([t for text in corpus for t in text.split()])
    counts = tokens.value_counts()
    vocab = np.array(counts.index, dtype=object)
    p = counts.to_numpy() / counts.sum()
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 31, size=n)
    drawn = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=p)]
    ends = np.cumsum(lengths)
    return pd.Series([" ".join(drawn[e - k:e]) for e, k in zip(ends, lengths)], dtype="str", name="text")


class KernelClock:
    """Adds up the time spent inside the string kernels while it is installed: pyarrow's
    compute functions and Polars' query execution (the shared multi-literal search)."""

    TARGETS = [(pc, name) for name in ("match_substring_regex", "utf8_lower", "ascii_is_printable", "index_in")] \
        + [(pl.LazyFrame, "collect")]

    def __init__(self) -> None:
        self.seconds = 0.0
        self._saved = []

    def __enter__(self) -> KernelClock:
        for owner, name in self.TARGETS:
            original = getattr(owner, name)
            self._saved.append((owner, name, original))

            def timed(*args, _original=original, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds += time.perf_counter() - start

            setattr(owner, name, timed)
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, original in self._saved:
            setattr(owner, name, original)


class PeakRss:
    """Samples this process's resident memory every few milliseconds while it is installed."""

    def __init__(self) -> None:
        self.before_mb = self.peak_mb = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak_mb = max(self.peak_mb, _rss_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, _rss_mb())


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def naive_kernels(texts: pd.Series) -> float:
    """Seconds for one full RE2 pass per LF pattern over the column (no prefilter), sequentially."""
    arr = pa.array(texts).cast(pa.large_string())
    start = time.perf_counter()
    for lf in LFS:
        for t in lf.translations:
            pc.match_substring_regex(arr, t.pattern)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--repeats", type=int, default=3, help="weaksup timings to take the median of")
    args = parser.parse_args(argv)

    texts = synthetic_texts(args.rows)
    df = pd.DataFrame({"text": texts})

    times = []
    with PeakRss() as memory:
        for _ in range(args.repeats):
            start = time.perf_counter()
            ours = apply_lfs(LFS, df, progress=False)
            times.append(time.perf_counter() - start)
    weaksup_s = float(np.median(times))
    # The framework's own overhead: one thread, wall time against the time inside the kernels.
    single, kernels = [], []
    for _ in range(args.repeats):
        with KernelClock() as clock:
            start = time.perf_counter()
            apply_lfs(LFS, df, progress=False, n_threads=1)
            single.append(time.perf_counter() - start)
        kernels.append(clock.seconds)
    single_s, kernel_s = float(np.median(single)), float(np.median(kernels))
    naive_s = naive_kernels(texts)

    from snorkel.labeling import PandasLFApplier

    start = time.perf_counter()
    theirs = PandasLFApplier([lf.to_snorkel() for lf in LFS]).apply(df, progress_bar=False)
    snorkel_s = time.perf_counter() - start
    if not np.array_equal(ours.to_numpy(), theirs):
        raise SystemExit("votes differ between weaksup and Snorkel: benchmark invalid")

    result = {
        "rows": args.rows,
        "lfs": len(LFS),
        "coverage": float((ours.values != -1).any(axis=1).mean()),
        "weaksup_s": round(weaksup_s, 4),
        "snorkel_s": round(snorkel_s, 3),
        "weaksup_rows_per_s": round(args.rows / weaksup_s),
        "snorkel_rows_per_s": round(args.rows / snorkel_s),
        "ratio": round(snorkel_s / weaksup_s, 1),
        "weaksup_1thread_s": round(single_s, 4),
        "kernel_s": round(kernel_s, 4),
        "overhead_vs_kernels": round(single_s / kernel_s, 2),
        "naive_full_scan_kernels_s": round(naive_s, 4),
        "peak_rss_mb": round(memory.peak_mb),
        "rss_before_apply_mb": round(memory.before_mb),
        "votes_equal": True,
    }
    print(f"rows={args.rows:,}  LFs={len(LFS)}  rows with a vote={result['coverage']:.1%}  votes equal: yes")
    print(f"weaksup apply_lfs        {weaksup_s:8.3f} s  {result['weaksup_rows_per_s']:>12,} rows/s")
    print(f"Snorkel PandasLFApplier  {snorkel_s:8.3f} s  {result['snorkel_rows_per_s']:>12,} rows/s")
    print(f"ratio (weaksup / Snorkel rate): {result['ratio']}x")
    print(f"one thread: weaksup {single_s:.3f} s, of which string kernels {kernel_s:.3f} s "
          f"(weaksup / kernels = {result['overhead_vs_kernels']}); "
          f"naive full RE2 scan per pattern: {naive_s:.3f} s")
    print(f"peak RSS while applying: {result['peak_rss_mb']} MB (the data alone: {result['rss_before_apply_mb']} MB)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
