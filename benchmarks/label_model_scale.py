"""``benchmarks/label_models.py --scale``: weaksup's default label model against Snorkel's LabelModel on a
synthetic vote matrix from a known generative model (rows right, and fit+predict time, wall and CPU)."""

from __future__ import annotations

import os
import time

import numpy as np

from weaksup.models import default_label_model

__all__ = ["print_scale", "scale", "synthetic_votes"]


def synthetic_votes(rows: int, lfs: int, rng: np.random.Generator, coverage: np.ndarray,
                    accuracy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows from the conditionally independent model: each LF fires with its coverage, then is right with its
    accuracy (else it votes the other class). Two balanced classes."""
    y = rng.integers(0, 2, rows)
    fires = rng.random((rows, lfs)) < coverage
    right = rng.random((rows, lfs)) < accuracy
    return np.where(fires, np.where(right, y[:, None], 1 - y[:, None]), -1).astype(np.int8), y


def scale(rows: int, lfs: int, dev_rows: int = 2000, seed: int = 0, timing_repeats: int = 3) -> dict:
    """Fit + predict on a synthetic matrix from a known model: weaksup's default against Snorkel's LabelModel.

    Both are timed warm (one small fit first, so imports and lazy set-up are not counted), each
    ``timing_repeats`` times in turn (the fastest counts: the least disturbed by a shared machine),
    and predict with a seeded random tie-break. The default is fitted the way the pipeline fits it
    (:func:`weaksup.models.fit_label_model`) and also gets ``dev_rows`` gold rows drawn from the same
    model; Snorkel is fitted on the unlabeled matrix only, as it would be used. The targets: at least
    as many rows right as Snorkel (``rows_right_difference >= 0``) in at most half its time
    (``time_ratio_default_over_snorkel <= 0.5``).
    """
    from snorkel.labeling.model import LabelModel as Snorkel

    from weaksup.models import break_ties, fit_label_model

    rng = np.random.default_rng(seed)
    coverage, accuracy = rng.uniform(0.05, 0.4, lfs), rng.uniform(0.55, 0.95, lfs)
    L, y = synthetic_votes(rows, lfs, rng, coverage, accuracy)
    L_dev, y_dev = synthetic_votes(dev_rows, lfs, rng, coverage, accuracy)
    L64 = L.astype(np.int64)  # Snorkel's input type, converted outside its clock
    fit_label_model(default_label_model(2), L[:5000], L_dev=L_dev, y_dev=y_dev).predict(L[:5000])  # warm-up
    Snorkel(cardinality=2, verbose=False).fit(L64[:5000], n_epochs=10, seed=seed, progress_bar=False)
    load_start = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    default_times, snorkel_times, default_cpu, snorkel_cpu = [], [], [], []
    for _ in range(max(timing_repeats, 1)):
        start, cpu = time.perf_counter(), time.process_time()
        ours = fit_label_model(default_label_model(2, seed=seed), L, L_dev=L_dev, y_dev=y_dev)
        pred = ours.predict(L, tie_break="seeded_random")
        default_times.append(time.perf_counter() - start)
        default_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        snorkel = Snorkel(cardinality=2, verbose=False)
        snorkel.fit(L64, n_epochs=500, seed=seed, progress_bar=False)
        snorkel_pred = break_ties(snorkel.predict_proba(L64), "seeded_random", seed)
        snorkel_times.append(time.perf_counter() - start)
        snorkel_cpu.append(time.process_time() - cpu)
    default_s, snorkel_s = min(default_times), min(snorkel_times)
    # the best any label model can do: the posterior under the true coverages and accuracies
    weight = np.log(accuracy / (1 - accuracy))
    log_odds = ((L == 1) * weight).sum(axis=1) - ((L == 0) * weight).sum(axis=1)
    bayes_pred = break_ties(np.stack([-log_odds, log_odds], axis=1), "seeded_random", seed)
    right = {"default": int((pred == y).sum()), "snorkel": int((snorkel_pred == y).sum()),
             "bayes": int((bayes_pred == y).sum())}
    ratio = default_s / snorkel_s
    inner = getattr(ours, "best_estimator_", ours)
    return {"rows": rows, "lfs": lfs, "dev_rows": dev_rows, "default_model": type(ours).__name__,
            "default_selected": getattr(ours, "selected_", None), "default_tables": getattr(inner, "source_", None),
            "default_s": round(default_s, 3), "default_acc": round(right["default"] / rows, 6),
            "snorkel_s": round(snorkel_s, 3), "snorkel_acc": round(right["snorkel"] / rows, 6),
            "bayes_optimal_acc": round(right["bayes"] / rows, 6), "time_ratio_default_over_snorkel": round(ratio, 3),
            "timing_repeats": len(default_times), "default_times_s": [round(t, 3) for t in default_times],
            # CPU seconds of this process (all its threads): steadier than wall time on a shared machine
            "default_cpu_s": round(min(default_cpu), 3), "snorkel_cpu_s": round(min(snorkel_cpu), 3),
            "cpu_ratio_default_over_snorkel": round(min(default_cpu) / min(snorkel_cpu), 3),
            "snorkel_times_s": [round(t, 3) for t in snorkel_times],
            "default_rows_right": right["default"], "snorkel_rows_right": right["snorkel"],
            "bayes_optimal_rows_right": right["bayes"], "rows_right_difference": right["default"] - right["snorkel"],
            "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)],
            "targets_met": {"rows_right": right["default"] >= right["snorkel"], "half_time": ratio <= 0.5}}


def print_scale(result: dict) -> None:
    print(f"{result['rows']:,} rows x {result['lfs']} LFs, 2 classes, known generative model; "
          f"default also gets {result['dev_rows']} dev gold rows")
    picked = f" -> {result['default_selected']}" if result.get("default_selected") else ""
    tables = f", tables from {result['default_tables']}" if result.get("default_tables") else ""
    rows = [(f"weaksup default ({result['default_model']}{picked}{tables})",
             result["default_s"], result["default_acc"], result["default_rows_right"]),
            ("Snorkel LabelModel (500 epochs)", result["snorkel_s"], result["snorkel_acc"], result["snorkel_rows_right"]),
            ("Bayes-optimal (the true LF parameters)", None, result["bayes_optimal_acc"],
             result["bayes_optimal_rows_right"])]
    for label, seconds, acc, right in rows:
        clock = f"fit+predict {seconds:7.3f} s" if seconds is not None else ""
        print(f"{label:55s} {clock:21s}  accuracy {acc:.6f}  rows right {right:,}")
    met = result["targets_met"]
    print(f"rows right, default - Snorkel: {result['rows_right_difference']:+,} "
          f"({'ok' if met['rows_right'] else 'MISSED'}: target >= 0); default - Bayes-optimal: "
          f"{result['default_rows_right'] - result['bayes_optimal_rows_right']:+,}")
    print(f"time ratio default / Snorkel (both warm, fastest of {result['timing_repeats']}; all: default "
          f"{result['default_times_s']} s, Snorkel {result['snorkel_times_s']} s): "
          f"{result['time_ratio_default_over_snorkel']:.3f} "
          f"({'ok' if met['half_time'] else 'MISSED'}: target <= 0.5); CPU time ratio (fastest of each) "
          f"{result['cpu_ratio_default_over_snorkel']:.3f} ({result['default_cpu_s']} s / {result['snorkel_cpu_s']} s); "
          f"1-minute load average {result['load_average'][0]} at the start, {result['load_average'][1]} at the end "
          f"({os.cpu_count()} CPUs)")
