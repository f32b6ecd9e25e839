"""How long a workbench preview of a keyword LF and a regex LF takes on 100k comment-like rows (target < 1 s).

The rows are YouTube comments recombined at random (two comments' halves, plus a random number), so that
few rows repeat. The workbench holds the 8 keyword and regex LFs of the shipped YouTube module and a dev
gold column on 15% of the rows; each preview applies its LF to every row (a cache miss) and computes its
overlaps and conflicts with those LFs and its sample rows. A second preview of the same LF is a cache hit.

    python benchmarks/workbench_preview.py [--rows 100000] [--repeats 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup import Workbench, keyword_lf, regex_lf  # noqa: E402
from weaksup.datasets.examples import load_youtube_spam  # noqa: E402


def comment_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` comment-like rows: halves of two random YouTube comments and a random number."""
    texts = load_youtube_spam()["text"].to_numpy(dtype=object)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(texts), n), rng.integers(0, len(texts), n)
    numbers = rng.integers(0, 10_000, n)
    rows = [f"{texts[i][: len(texts[i]) // 2]}{texts[j][len(texts[j]) // 2:]} {k}" for i, j, k in zip(a, b, numbers)]
    gold = np.where(rng.random(n) < 0.15, rng.integers(0, 2, n), -1)
    return pd.DataFrame({"row_id": np.arange(n), "text": rows}), gold


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="fresh previews per LF (the best is reported)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    data, gold = comment_rows(args.rows)
    from labeling_functions import youtube_spam as yt

    existing = [yt.kw_subscribe, yt.kw_please, yt.kw_my_channel, yt.kw_money, yt.kw_song, yt.re_check_out,
                yt.re_link, yt.re_view_count]
    start = time.perf_counter()
    wb = Workbench(data, gold=gold, lfs=existing, label_space=yt.LABELS)
    setup = time.perf_counter() - start
    result: dict = {"rows": args.rows, "existing_lfs": len(existing), "setup_s": setup}
    for kind, make in (("keyword", lambda v: keyword_lf(f"kw_like_{v}", ["like this", "likes", "thumbs up"], 1)),
                       ("regex", lambda v: regex_lf(f"re_follow_{v}", r"follow\s*(?:me|4|for)|\b\d{3,}\s*subs?\b", 1,
                                                    flags=re.IGNORECASE))):
        times = []
        for rep in range(args.repeats):
            lf = make(rep)  # a new LF each time: a cache miss, the LF is applied to every row
            t = time.perf_counter()
            preview = wb.preview(lf)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        wb.preview(lf)
        cached = time.perf_counter() - t
        result[kind] = {"preview_s": min(times), "all_s": times, "cached_preview_s": cached,
                        "coverage": preview.coverage, "n_dev": preview.n_dev}
        print(f"{kind:8} LF preview on {args.rows:,} rows: {min(times):.3f} s (best of {args.repeats}; "
              f"{', '.join(f'{x:.3f}' for x in times)}), cached {cached:.3f} s, coverage {preview.coverage:.3f}, "
              f"target < 1 s: {'ok' if min(times) < 1 else 'MISSED'}")
    print(f"workbench set-up with {len(existing)} LFs: {setup:.2f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
