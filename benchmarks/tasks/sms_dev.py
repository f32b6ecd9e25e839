"""Look at the SMS task's dev rows only: their texts, and each LF's dev accuracy and coverage (how the LFs were written).

    .venv/bin/python -m benchmarks.tasks.sms_dev            # the LF table on dev
    .venv/bin/python -m benchmarks.tasks.sms_dev --texts    # also every dev message with its label
    .venv/bin/python -m benchmarks.tasks.sms_dev --errors   # also each LF's wrong votes on dev

Only the dev split's labels are read (``GoldSet.split("dev")``); test labels are never touched here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.tasks.sms import load  # noqa: E402
from weaksup.apply import apply_lfs  # noqa: E402
from weaksup.labels import ABSTAIN  # noqa: E402
from weaksup.registry import Registry  # noqa: E402


def dev_table(show_errors: bool = False) -> str:
    """One line per LF: its class, dev accuracy (on the rows it votes on) and dev coverage."""
    data, gold, space = load()
    dev_gold = gold.split("dev")
    dev = data[data["row_id"].isin(dev_gold.labels().index)].reset_index(drop=True)
    y = dev_gold.y(dev["row_id"])
    registry = Registry.from_modules("benchmarks.tasks.sms_lfs")
    L = apply_lfs(registry, dev, id_column="row_id", progress=False).values.astype(np.int64)
    lines = [f"    {'LF':<20} {'class':<5} {'dev acc':>7} {'coverage':>8} {'votes':>5}"]
    for j, lf in enumerate(registry.lfs):
        voted = L[:, j] != ABSTAIN
        n = int(voted.sum())
        acc = float((L[voted, j] == y[voted]).mean()) if n else float("nan")
        label = "/".join(space.name(c) for c in lf.labels)
        lines.append(f"    {lf.name:<20} {label:<5} {acc:>7.3f} {voted.mean():>8.3f} {n:>5}")
        if show_errors:
            for i in np.flatnonzero(voted & (L[:, j] != y)):
                lines.append(f"        wrong ({space.name(int(y[i]))}): {dev['text'][i][:110]}")
    covered = (L != ABSTAIN).any(axis=1)
    lines.append(f"    any LF votes on {covered.mean():.3f} of dev rows ({int(covered.sum())} of {len(y)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", action="store_true", help="print every dev message with its label")
    parser.add_argument("--errors", action="store_true", help="print each LF's wrong votes on dev")
    args = parser.parse_args(argv)
    if args.texts:
        data, gold, _ = load()
        labels = gold.labels("dev")
        for row_id, text in zip(data["row_id"], data["text"]):
            if row_id in labels.index:
                print(f"{labels[row_id]:<4} | {text}")
    print(dev_table(args.errors))


if __name__ == "__main__":
    main()
