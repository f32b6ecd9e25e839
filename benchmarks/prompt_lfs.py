"""Prompted LFs against a local chat-completions server: throughput with rate limits, the cache, a resume.

A real HTTP server on 127.0.0.1, in its own process as a model server would be (``weaksup.testing.ChatServerProcess``
running ``weaksup.testing.ChatServer``: TF-IDF + logistic regression fitted on the YouTube dev gold rows) answers 1,000 prompts (distinct YouTube comments) with 50 ms latency and 5% of requests answered
429 (``retry-after-ms: 50``). The prompt LF runs through ``apply_lfs`` at concurrency 8:

1. first run, empty cache: timed; every prompt must be answered exactly once (the server counts);
2. second run, a new client on the same cache file: must send 0 requests and give bit-identical votes;
3. resume: a run stopped half-way (its budget, ``max_calls=500``), then a rerun: the rerun asks only the rest;
4. kill: a run in a child process killed with SIGKILL once 500 answers are cached, then a rerun here: at most the
   requests in flight at the kill are asked twice (their answers never reached the cache).

    python benchmarks/prompt_lfs.py [--json FILE] [--prompts 1000] [--no-kill]

``prompt_benchmark()`` returns the figures (``benchmarks/model_assisted.py`` reports them under ``"prompt"``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weaksup import apply_lfs  # noqa: E402
from weaksup.datasets.examples import load_youtube_spam  # noqa: E402
from weaksup.errors import LFApplyError  # noqa: E402
from weaksup.lf import PromptLF, prompt_lf  # noqa: E402
from weaksup.prompt import ChatClient, PromptCache  # noqa: E402
from weaksup.testing import ChatServerProcess  # noqa: E402

TEMPLATE = "Is this YouTube comment spam (advertising, asking to subscribe) or ham?\n<text>{text}</text>"
MODEL = "tfidf-lr-youtube-dev"


def rows(n: int) -> pd.DataFrame:
    """The first ``n`` distinct YouTube comments (so ``n`` distinct prompts)."""
    data = load_youtube_spam().drop_duplicates("text").dropna(subset=["text"]).head(n)
    return data[["row_id", "text"]].reset_index(drop=True)


def make_lf(base_url: str, cache: Path, **options: Any) -> PromptLF:
    client = ChatClient(base_url, MODEL, cache=cache, concurrency=8, replay=False, **options)
    return prompt_lf("llm_spam", TEMPLATE, labels={"ham": 0, "spam": 1}, client=client)


def _killed_run(server: ChatServerProcess, data: pd.DataFrame, cache: Path, stop_at: int) -> dict[str, int]:
    """Run the LF in a child process, SIGKILL it once ``stop_at`` answers are cached, resume here."""
    with tempfile.TemporaryDirectory() as tmp:
        frame = Path(tmp) / "rows.parquet"
        data.to_parquet(frame)
        child = subprocess.Popen([sys.executable, __file__, "--child", server.base_url, str(cache), str(frame)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and child.poll() is None:
                if cache.exists() and len(PromptCache(cache)) >= stop_at:
                    break
                time.sleep(0.01)
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait()
    cached = len(PromptCache(cache))
    before = server.stats()["calls"]
    apply_lfs([make_lf(server.base_url, cache)], data, id_column="row_id")
    after = server.stats()
    return {"cached_at_kill": cached, "calls_before_kill": before, "calls_after_kill_resume": after["calls"] - before,
            "repeated_calls_after_kill": after["calls"] - after["prompts"]}


def prompt_benchmark(n_prompts: int = 1000, *, kill: bool = True) -> dict[str, Any]:
    """The figures of the module docstring's runs, as a dict (see the keys in the returned value)."""
    data = rows(n_prompts)
    out: dict[str, Any] = {"prompts": len(data), "concurrency": 8, "latency_s": 0.05, "rate_429": 0.05}
    with tempfile.TemporaryDirectory() as tmp, ChatServerProcess(latency=0.05, rate_429=0.05,
                                                                 retry_after_ms=50) as server:
        cache = Path(tmp) / "prompts.sqlite3"
        start = time.perf_counter()
        first = apply_lfs([make_lf(server.base_url, cache)], data, id_column="row_id").values[:, 0]
        out["seconds_first_run"] = round(time.perf_counter() - start, 3)
        stats = server.stats()
        out["calls_first_run"] = stats["calls"]
        out["requests_first_run"] = stats["requests"]
        out["rate_limited_first_run"] = stats["failures"].get("429", 0)
        out["max_in_flight_first_run"] = stats["max_in_flight"]
        out["every_prompt_answered_once"] = stats["prompts"] == len(data) and stats["max_per_prompt"] == 1
        server.reset()
        second = apply_lfs([make_lf(server.base_url, cache)], data, id_column="row_id").values[:, 0]
        out["calls_second_run"] = server.stats()["requests"]
        out["votes_identical"] = second.tobytes() == first.tobytes()

        server.reset()
        resume_cache = Path(tmp) / "resume.sqlite3"
        half = len(data) // 2
        try:
            apply_lfs([make_lf(server.base_url, resume_cache, max_calls=half)], data, id_column="row_id")
            raise AssertionError("the budget did not stop the run")
        except LFApplyError:
            pass
        out["calls_before_stop"] = server.stats()["calls"]
        resumed = apply_lfs([make_lf(server.base_url, resume_cache)], data, id_column="row_id").values[:, 0]
        stats = server.stats()
        out["calls_after_resume"] = stats["calls"] - out["calls_before_stop"]
        out["repeated_calls_after_resume"] = stats["calls"] - stats["prompts"]
        out["votes_identical_after_resume"] = resumed.tobytes() == first.tobytes()
        if kill:
            server.reset()
            out.update(_killed_run(server, data, Path(tmp) / "killed.sqlite3", half))
    return out


def _child(base_url: str, cache: str, frame: str) -> None:
    apply_lfs([make_lf(base_url, Path(cache))], pd.read_parquet(frame), id_column="row_id")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL run")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return {}
    figures = prompt_benchmark(args.prompts, kill=not args.no_kill)
    for key, value in figures.items():
        print(f"{key:32} {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
