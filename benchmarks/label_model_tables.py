"""The printed tables and summaries of ``benchmarks/label_models.py``: scores, ECE and Brier per model and
dataset with their averages, the issue's per-set targets, and the dev-size learning curve."""

from __future__ import annotations

import numpy as np

#: WRENCH's published label-model-only test results (JieyuZ2/wrench, images/bench_class1.png).
PUBLISHED = {
    "youtube": {"MV": 84.00, "MeTaL": 84.00, "best": 84.00}, "sms": {"MV": 23.97, "MeTaL": 7.06, "best": 23.97},
    "trec": {"MV": 60.80, "MeTaL": 57.60, "best": 64.20}, "chemprot": {"MV": 49.04, "MeTaL": 51.96, "best": 52.08},
    "imdb": {"MV": 71.04, "MeTaL": 70.96, "best": 71.04}, "yelp": {"MV": 70.21, "MeTaL": 68.30, "best": 71.45},
    "basketball": {"MV": 16.33, "MeTaL": 13.13, "best": 17.39},
}
#: The seven WRENCH sets the default was designed on (their average is a target).
WRENCH_7 = ("youtube", "sms", "trec", "chemprot", "imdb", "yelp", "basketball")
SHORT = {"MajorityVote": "MV", "DawidSkene": "DS", "SnorkelLabelModel": "Snorkel", "DevWeightedVote": "DevWV",
         "DevNaiveBayes": "DevNB", "DevSelector": "DevSel", "DevLogisticRegression": "DevLR"}
#: The issue's margins: default >= MV - 0.5, >= best other - 1.5; at the smallest dev size >= best unsupervised - 1.
MV_MARGIN, OTHER_MARGIN, CURVE_MARGIN = 0.5, 1.5, 1.0


def short(name: str) -> str:
    """A column label for a model name: its abbreviation, or a long unknown name's capitals (``GladModel`` stays,
    ``DevCrowdDawidSkene`` is ``DevCDS``, ``DawidSkenePrior`` ``DSP``)."""
    if name in SHORT or len(name) <= 9:
        return SHORT.get(name, name)
    head = "Dev" if name.startswith("Dev") else ""
    return head + "".join(c for c in name[len(head):] if c.isupper() or c.isdigit())


def _groups(results: dict[str, dict]) -> list[tuple[str, list[str]]]:
    wrench = [d for d in WRENCH_7 if d in results]
    return [(f"avg WRENCH-7 ({len(wrench)})", wrench), (f"avg all ({len(results)})", list(results))]


def table(results: dict[str, dict], names: list[str], key: str = "test") -> str:
    """One row per dataset (``*``: scored on its valid split), one column per model (and, for ``test``,
    WRENCH's published MV and MeTaL); averages over the WRENCH-7 sets and over all sets at the bottom
    (``-`` when a model has no value on one of them)."""
    published = [("pub MV", "MV"), ("pub MeTaL", "MeTaL")] if key == "test" else []
    columns: dict[str, dict[str, float | str]] = {}  # column label -> dataset -> value
    for model in names:
        label = short(model)
        while label in columns:  # two models with one abbreviation: keep both columns
            label += "'"
        columns[label] = {name: res[model].get(key, "err" if "error" in res[model] else "-")
                          for name, res in results.items() if model in res}
    for label, pub in published:
        columns[label] = {name: PUBLISHED[name][pub] for name in results if name in PUBLISHED}
    width = max(8, *(len(label) + 1 for label in columns))
    digits = 2 if key == "test" else 4
    lines = [f"{'dataset':19s} {'metric':6s}" + "".join(f"{label:>{width}s}" for label in columns)]
    for name, res in results.items():
        metric = next(iter(res.values()))["metric"] if res else "-"
        star = "*" if any(e.get("scored_on") for e in res.values()) else ""
        lines.append(f"{name + star:19s} {metric:6s}" + "".join(_cell(values.get(name), width, digits)
                                                               for values in columns.values()))
    for label_row, group in _groups(results):
        if group:
            lines.append(f"{label_row:26s}" + "".join(
                _cell(_mean([values.get(d) for d in group]), width, digits) for values in columns.values()))
    return "\n".join(lines)


def _cell(value: float | str | None, width: int, digits: int) -> str:
    if isinstance(value, (int, float)):
        return f"{value:{width}.{digits}f}"
    return f"{value or '-':>{width}s}"


def _mean(values: list[float | str | None]) -> float | None:
    """The mean, or None when a value is missing (an average over fewer sets would not compare)."""
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return None
    return float(np.mean([float(v) for v in values if isinstance(v, (int, float))]))


def averages(results: dict[str, dict], names: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """``{"WRENCH-7" | "all": {model: {"test", "ece", "brier", "n"}}}``: means over the sets where the model
    has a score (``n`` of them)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for group, sets in (("WRENCH-7", [d for d in WRENCH_7 if d in results]), ("all", list(results))):
        out[group] = {}
        for model in names:
            entries = [results[d][model] for d in sets if "test" in results[d].get(model, {})]
            if entries:
                out[group][model] = {key: round(float(np.mean([e[key] for e in entries])), 2 if key == "test" else 4)
                                     for key in ("test", "ece", "brier")}
                out[group][model]["n"] = len(entries)
    return out


def targets(results: dict[str, dict], curves: dict[str, dict] | None = None) -> dict[str, dict]:
    """Per dataset, the issue's three checks on the scored split: default >= MV - 0.5, default >= the best
    other model - 1.5, default's ECE <= MV's ECE (met when both are NaN: neither gave any row a class); with a learning curve also a fourth (``ok_curve``): at
    the smallest dev size, default's mean >= the best unsupervised model - 1."""
    checks = {}
    for name, res in results.items():
        default, mv = res.get("default", {}), res.get("MajorityVote", {})
        others = {m: e["test"] for m, e in res.items() if m != "default" and "test" in e}
        if "test" not in default or "test" not in mv or not others:
            checks[name] = {"ok": False, "error": "default or MajorityVote has no score"}
            continue
        best = max(others, key=lambda m: others[m])
        entry = {"default": default["test"], "mv": mv["test"],
                 "default_minus_mv": round(default["test"] - mv["test"], 2), "best_other": best,
                 "default_minus_best_other": round(default["test"] - others[best], 2),
                 "ece_default": default["ece"], "ece_mv": mv["ece"]}
        entry["ok_mv"] = entry["default_minus_mv"] >= -MV_MARGIN
        entry["ok_best"] = entry["default_minus_best_other"] >= -OTHER_MARGIN
        # both NaN: neither gave any row a class (every row a tie), nothing to compare; one NaN is no comparison
        entry["ok_ece"] = bool(np.isnan(default["ece"]) and np.isnan(mv["ece"]) or default["ece"] <= mv["ece"])
        entry["ok"] = entry["ok_mv"] and entry["ok_best"] and entry["ok_ece"]
        if curves and name in curves:
            entry.update(curve_check(curves[name]))
            entry["ok"] = entry["ok"] and entry.get("ok_curve", False)
        checks[name] = entry
    return checks


def curve_check(curve: dict[str, dict], model: str = "default") -> dict:
    """At the smallest dev size of ``curve``: ``model``'s mean minus the best unsupervised model's score."""
    smallest = min(curve, key=lambda s: float("inf") if s == "all" else int(s))
    unsupervised = {m: e["test"] for m, e in curve[smallest].items() if e.get("n_dev") == 0 and "test" in e}
    mean = curve[smallest].get(model, {}).get("test")
    if not unsupervised or mean is None:
        return {"curve_size": smallest, "ok_curve": False}
    best = max(unsupervised, key=lambda m: unsupervised[m])
    gap = round(mean - unsupervised[best], 2)
    return {"curve_size": smallest, "curve_best_unsupervised": best, "curve_default_minus_best_unsupervised": gap,
            "ok_curve": gap >= -CURVE_MARGIN}


def targets_table(checks: dict[str, dict]) -> str:
    """One check line per dataset and a count of the sets that meet all three."""
    ok = {True: "ok", False: "MISSED"}
    lines = []
    for name, c in checks.items():
        if "error" in c:
            lines.append(f"check {name:19s} {c['error']}")
            continue
        curve = ""
        if "curve_default_minus_best_unsupervised" in c:
            curve = (f" | n={c['curve_size']}: default-best unsup ({short(c['curve_best_unsupervised'])}) "
                     f"{c['curve_default_minus_best_unsupervised']:+6.2f} {ok[c['ok_curve']]}")
        lines.append(f"check {name:19s} default-MV {c['default_minus_mv']:+6.2f} {ok[c['ok_mv']]:6s} | "
                     f"default-best other {'(' + short(c['best_other']) + ')':9s} {c['default_minus_best_other']:+6.2f} "
                     f"{ok[c['ok_best']]:6s} | ECE default {c['ece_default']:.4f} vs MV {c['ece_mv']:.4f} "
                     f"{ok[c['ok_ece']]:6s}" + curve)
    met = [name for name, c in checks.items() if c["ok"]]
    missed = [name for name in checks if name not in met]
    lines.append(f"every target met on {len(met)} of {len(checks)} sets" + (f"; missed on {missed}" if missed else ""))
    for key, label in (("ok_mv", "default >= MV - 0.5"), ("ok_best", "default >= best other - 1.5"),
                       ("ok_ece", "ECE default <= MV"), ("ok_curve", "smallest dev size: default >= best unsupervised - 1")):
        judged = [name for name, c in checks.items() if key in c]
        if judged:
            failed = [name for name in judged if not checks[name][key]]
            lines.append(f"  {label}: {len(judged) - len(failed)} of {len(judged)}" + (f", missed on {failed}"
                                                                                       if failed else ""))
    return "\n".join(lines)


def curve_table(curves: dict[str, dict], models: tuple[str, ...]) -> str:
    """Per dataset and refitted model: mean ± std per dev size, MV and the best unsupervised model (which
    never see dev gold), and the check at the smallest size: >= best unsupervised - 1."""
    sizes = list(next(iter(curves.values()))) if curves else []
    smallest = min(sizes, key=lambda s: float("inf") if s == "all" else int(s)) if sizes else None
    lines = [f"{'dataset':19s} {'model':8s}" + "".join(f"{'n=' + s:>14s}" for s in sizes)
             + f"{'MV':>8s}   {'best unsupervised':18s} at n={smallest}"]
    per_size: dict[tuple[str, str], list[float]] = {}
    for name, curve in curves.items():
        first = curve[sizes[0]]
        unsupervised = {m: e["test"] for m, e in first.items() if e.get("n_dev") == 0}
        best = max(unsupervised, key=lambda m: unsupervised[m]) if unsupervised else None
        for model in models:
            cells = []
            for s in sizes:
                e = curve[s].get(model, {})
                if "test" in e:
                    cells.append(f"{e['test']:8.2f}±{e['std']:<5.2f}")
                    per_size.setdefault((model, s), []).append(e["test"])
                else:
                    cells.append(f"{'err' if 'error' in e else '-':>14s}")
            tail = ""
            if best is not None and smallest is not None and "test" in curve[smallest].get(model, {}):
                gap = curve[smallest][model]["test"] - unsupervised[best]
                tail = f"{gap:+6.2f} {'ok' if gap >= -CURVE_MARGIN else 'MISSED'}"
            mv = first.get("MajorityVote", {}).get("test")
            lines.append(f"{name:19s} {short(model):8s}" + "".join(cells) + (f"{mv:8.2f}" if mv is not None else
                         f"{'-':>8s}") + f"   {(f'{unsupervised[best]:.2f} ' + short(best)) if best else '-':18s} {tail}")
    for model in models:
        means = [per_size.get((model, s), []) for s in sizes]
        if all(len(m) == len(curves) for m in means):
            lines.append(f"{'avg (' + str(len(curves)) + ')':19s} {short(model):8s}"
                         + "".join(f"{np.mean(m):8.2f}{'':6s}" for m in means))
    return "\n".join(lines)
