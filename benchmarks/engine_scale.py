"""Engine scale: ``run_engine`` with ``--engine local|dask|spark`` on N synthetic rows in Parquet parts.

The input (ids ``c0..c{N-1}`` and comment-like texts drawn from the YouTube Spam vocabulary, seeded) is
generated once into a cache folder (``--cache``, default ``~/.cache/weaksup/engine_scale``) as ``--parts``
Parquet parts (default one per million rows) and reused by later runs. The run is the engines' driver
steps (:mod:`weaksup.engines`, each timed) in a child process: the 10 keyword/regex LFs of ``scale_lfs.py``, votes
reduced to (pattern, count) per part (the vote columns cached per part), the label model (Dawid-Skene) fitted on the merged pattern counts,
labels written per part, committed. The parent samples with psutil, every 0.1 s, the resident memory of
the driver (the child) and of each of its worker processes (the local engine's pool processes, Dask's worker
processes, Spark's Python workers; Spark's JVM is printed on its own line) and prints rows/s, the stage times
and the peaks.

    python benchmarks/engine_scale.py --engine dask --rows 10000000 [--parts 10] [--json result.json]
    python benchmarks/engine_scale.py --engine spark --rows 10000000 --compare --repeat 3

``--compare`` runs the local engine and ``--engine`` back to back (``--repeat`` pairs, the order alternating) and
prints each pair's ratio of rows/s and the median: on a shared machine only engines measured side by side compare.
Each run also prints the CPU seconds of the driver, of the worker processes and of Spark's JVM.

JSON keys: ``engine``, ``rows``, ``parts``, ``rows_per_s`` (rows over the run's wall time, process start
excluded), ``wall_s``, ``driver_peak_rss_mb``, ``worker_peak_rss_mb`` (one peak per worker process, largest
first), ``jvm_peak_rss_mb`` (Spark), ``cpu_s`` (driver, workers, jvm), ``load`` (1-minute load average at the
end), ``stages`` (seconds per stage). With ``--compare``: ``ratios``, ``median_ratio``, ``median_rows_per_s``, ``runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

PART_ROWS = 1_000_000
POOL_ROWS = 1_000_000  # distinct texts; each part draws its rows from them (seeded), so generation is fast
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "weaksup" / "engine_scale"

CONFIG = """
[task]
name = "synthetic_comments"
labels = ["ham", "spam"]

[input]
path = "{input}"
id_column = "row_id"
text_column = "text"

[clean]
normalize = true
duplicates = "off"

[lfs]
modules = ["{lfs}"]

[label_model]
name = "DawidSkene"
seed = 0

[end_model]
enabled = false

[output]
path = "out/labels.parquet"
report = false

[mlflow]
enabled = false
"""


def input_folder(cache: Path, rows: int, parts: int, seed: int = 0) -> Path:
    """The cached Parquet parts of ``rows`` rows in ``parts`` parts; generated on the first call."""
    folder = cache / f"rows{rows}-parts{parts}-seed{seed}"
    if (folder / "_DONE").exists():
        return folder
    from apply_speed import synthetic_texts

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    pool = pa.array(synthetic_texts(min(POOL_ROWS, rows), seed=seed), type=pa.string())
    bounds = np.linspace(0, rows, parts + 1).astype(np.int64)
    for i in range(parts):
        start, stop = int(bounds[i]), int(bounds[i + 1])
        rng = np.random.default_rng([seed, i])
        texts = pool.take(pa.array(rng.integers(0, len(pool), stop - start)))
        ids = pa.array(np.char.add("c", np.arange(start, stop).astype(str)), type=pa.string())
        pq.write_table(pa.table({"row_id": ids, "text": texts}), folder / f"part-{i:05d}.parquet")
    (folder / "_DONE").write_text(json.dumps({"rows": rows, "parts": parts, "seed": seed}))
    size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 1e6
    print(f"wrote {rows:,} rows in {parts} Parquet parts ({size:,.0f} MB) in {time.perf_counter() - started:.0f} s"
          f" to {folder}", flush=True)
    return folder


class RssSampler(threading.Thread):
    """Peak RSS (MB) of a process and of each of its descendants, sampled every ``every`` seconds."""

    SKIP = ("resource_tracker", "semaphore_tracker", "forkserver")

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.driver_mb = 0.0
        self.driver_cpu = 0.0
        self.workers: dict[int, dict[str, Any]] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.stopped.is_set():
            try:
                self.driver_mb = max(self.driver_mb, root.memory_info().rss / 2**20)
                times = root.cpu_times()
                self.driver_cpu = max(self.driver_cpu, times.user + times.system)
                children = root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for child in children:
                try:
                    seen = self.workers.setdefault(child.pid, {"kind": "", "cmd": "", "mb": 0.0, "cpu": 0.0})
                    if seen["kind"] != "jvm":  # a launcher script exec()s java under the same pid: look again
                        seen["kind"] = "jvm" if "java" in child.name() else "python"
                        seen["cmd"] = " ".join(child.cmdline())[:200]
                    seen["mb"] = max(seen["mb"], child.memory_info().rss / 2**20)
                    times = child.cpu_times()
                    seen["cpu"] = max(seen["cpu"], times.user + times.system)
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
            self.stopped.wait(self.every)

    def peaks(self) -> tuple[list[float], list[float]]:
        """(python worker peaks, JVM peaks), largest first; helper processes are left out."""
        python = [w["mb"] for w in self.workers.values() if w["kind"] == "python" and w["mb"] >= 20
                  and not any(s in w["cmd"] for s in self.SKIP)]  # under 20 MB: a shell, not a worker
        jvm = [w["mb"] for w in self.workers.values() if w["kind"] == "jvm"]
        return sorted(python, reverse=True), sorted(jvm, reverse=True)

    def cpu(self) -> dict[str, float]:
        """CPU seconds (user + system) of the driver, its Python worker processes and the JVM (last sample)."""
        python = sum(w["cpu"] for w in self.workers.values() if w["kind"] == "python")
        jvm = sum(w["cpu"] for w in self.workers.values() if w["kind"] == "jvm")
        return {"driver": self.driver_cpu, "workers": python, "jvm": jvm}


def own_peak_rss_mb() -> float:
    """This process's peak RSS since it started: ``VmHWM`` (Linux; reset by exec, unlike ``ru_maxrss``, which a
    child inherits from the parent it was forked from, so a parent that read back a large output once would
    inflate the next run's driver figure), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(config_path: str, engine_name: str, workers: int, out: str) -> None:
    """The measured run (in its own process): the engines' driver steps on the config, each timed (plan, engine
    start, votes -> pattern counts, fit, labels, commit, close); the figures as JSON in ``out``."""
    from weaksup.config import load_config
    from weaksup.engines import BatchSpec, EngineConfig, PredictionTable, StagedRun, fit_on_counts, get_engine, \
        list_input_parts
    from weaksup.engines.parts import vote_dir

    stages: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - clock[0]
        clock[0] = now

    started = clock[0]
    config = load_config(config_path)
    spec = BatchSpec.from_config(config)
    parts = list_input_parts(config)
    engine = get_engine(engine_name, EngineConfig(name=engine_name, workers=workers))
    lap("plan")
    for attribute in ("client", "session"):  # start the cluster / session now, to time it on its own
        getattr(engine, attribute, None)
    lap("engine start")
    counts, _ = engine.vote_counts(spec, parts, vote_dir(spec), frozenset())  # where label_part reads them
    lap("votes+counts")
    fit = fit_on_counts(spec, config, counts, None)
    table = PredictionTable.of(spec, fit.model)
    lap("fit")
    staged = StagedRun(config.output_dir, "bench", task=config.task.name)
    engine.write_labels(spec, table, parts, staged)
    lap("labels")
    run_dir = staged.commit(parts, {"engine": engine_name})
    lap("commit")
    engine.close()
    lap("engine close")
    Path(out).write_text(json.dumps({
        "wall_s": time.perf_counter() - started, "stages": stages, "output": str(run_dir),
        "patterns": len(counts), "self_peak_rss_mb": own_peak_rss_mb(),
    }))


def measure(engine: str, folder: Path, workers: int, workdir: Path) -> dict[str, Any]:
    """One run of ``engine`` on the parts in ``folder`` in a child process, sampled; its figures."""
    config = workdir / "run.toml"
    config.write_text(CONFIG.format(input=folder, lfs=HERE / "scale_lfs.py"))
    out = workdir / "child.json"
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(config), "--engine", engine, "--workers",
                             str(workers), "--out", str(out)], cwd=workdir, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    sampler.start()
    _, stderr = proc.communicate()
    sampler.stopped.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"the {engine} run failed:\n{stderr[-5000:]}")
    ran = json.loads(out.read_text())
    python, jvm = sampler.peaks()
    ran["driver_peak_rss_mb"] = max(sampler.driver_mb, ran.pop("self_peak_rss_mb"))
    ran["worker_peak_rss_mb"], ran["jvm_peak_rss_mb"] = python, jvm
    ran["cpu_s"] = sampler.cpu()
    return ran


def check_output(run_dir: Path, rows: int) -> None:
    """Every input row once, in order, in the committed parts."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    expected, seen = 0, 0
    for part in manifest["parts"]:
        ids = pq.read_table(run_dir / part["file"], columns=["row_id"]).column(0).to_pandas()
        want = pd.Series(np.char.add("c", np.arange(expected, expected + len(ids)).astype(str)))
        assert (ids.to_numpy() == want.to_numpy()).all(), f"{part['file']}: rows lost or reordered"
        expected += len(ids)
        seen += 1
    assert expected == rows, f"{expected:,} rows written, {rows:,} in the input"


def run_once(engine: str, args: argparse.Namespace, folder: Path, parts: int) -> dict[str, Any]:
    """One measured run of ``engine`` (its output read back unless ``--no-check``), printed; its figures."""
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        ran = measure(engine, folder, args.workers, Path(tmp))
        if not args.no_check:
            check_output(Path(ran["output"]), args.rows)
    rate = args.rows / ran["wall_s"]
    result = {"engine": engine, "rows": args.rows, "parts": parts, "workers": args.workers,
              "patterns": ran["patterns"],
              "rows_per_s": rate, "wall_s": ran["wall_s"], "driver_peak_rss_mb": ran["driver_peak_rss_mb"],
              "worker_peak_rss_mb": ran["worker_peak_rss_mb"], "jvm_peak_rss_mb": ran["jvm_peak_rss_mb"],
              "cpu_s": ran["cpu_s"], "stages": ran["stages"], "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    print(f"\n{engine} engine: {args.rows:,} rows in {parts} parts, 10 LFs, Dawid-Skene on pattern counts, "
          f"{args.workers} workers, {os.cpu_count()} CPUs (shared with whatever else runs; load {result['load']:.1f})")
    for stage, seconds in ran["stages"].items():
        per_s = f"{args.rows / seconds:>14,.0f} rows/s" if seconds > 0 and stage in ("votes+counts", "labels") else ""
        print(f"  {stage:22} {seconds:8.2f} s {per_s}")
    print(f"  {'run':22} {ran['wall_s']:8.2f} s {rate:>14,.0f} rows/s")
    print(f"  driver peak RSS: {ran['driver_peak_rss_mb']:,.0f} MB")
    print("  worker peak RSS: " + (", ".join(f"{mb:,.0f} MB" for mb in ran["worker_peak_rss_mb"]) or "(no workers)"))
    if ran["jvm_peak_rss_mb"]:
        print("  JVM peak RSS: " + ", ".join(f"{mb:,.0f} MB" for mb in ran["jvm_peak_rss_mb"]))
    print("  CPU: " + ", ".join(f"{who} {seconds:,.1f} s" for who, seconds in ran["cpu_s"].items()), flush=True)
    return result


def compare(engine: str, args: argparse.Namespace, folder: Path, parts: int) -> dict[str, Any]:
    """``--compare``: the local engine and ``engine`` back to back, ``--repeat`` times (the order alternating, so
    neither always runs first), each pair's ratio of rows/s and the median ratio."""
    runs: list[dict[str, Any]] = []
    ratios: list[float] = []
    for i in range(args.repeat):
        order = ["local", engine] if i % 2 == 0 else [engine, "local"]
        pair = {name: run_once(name, args, folder, parts) for name in order}
        runs.extend(pair[name] for name in order)
        ratios.append(pair[engine]["rows_per_s"] / pair["local"]["rows_per_s"])
        print(f"\npair {i + 1}/{args.repeat}: {engine} {pair[engine]['rows_per_s']:,.0f} rows/s, local "
              f"{pair['local']['rows_per_s']:,.0f} rows/s: ratio {ratios[-1]:.2f}", flush=True)
    median = {name: float(np.median([r["rows_per_s"] for r in runs if r["engine"] == name])) for name in ("local", engine)}
    print(f"\n{engine} / local over {args.repeat} pair(s): ratios {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median ratio {np.median(ratios):.2f}; median rows/s: {engine} {median[engine]:,.0f}, "
          f"local {median['local']:,.0f}")
    return {"engine": engine, "baseline": "local", "rows": args.rows, "parts": parts, "ratios": ratios,
            "median_ratio": float(np.median(ratios)), "median_rows_per_s": median, "runs": runs}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["local", "dask", "spark"], default="local")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=0, help="input parts (default: one per million rows)")
    parser.add_argument("--workers", type=int, default=2, help="[engine] workers (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="where the generated input is kept")
    parser.add_argument("--workdir", help="where the run writes (default: a temporary folder)")
    parser.add_argument("--no-check", action="store_true", help="skip reading the output back")
    parser.add_argument("--compare", action="store_true",
                        help="run the local engine and --engine back to back and print the ratio of their rows/s")
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs with --compare (default 1)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.engine, args.workers, args.out)
        return {}
    parts = args.parts or max(1, -(-args.rows // PART_ROWS))
    folder = input_folder(Path(args.cache), args.rows, parts, args.seed)
    if args.compare:
        if args.engine == "local":
            parser.error("--compare runs the local engine against another: give --engine dask or spark")
        result = compare(args.engine, args, folder, parts)
    else:
        result = run_once(args.engine, args, folder, parts)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
