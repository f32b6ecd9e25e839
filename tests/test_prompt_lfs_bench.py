"""The prompt benchmark's run on a few prompts (the figures are in benchmarks/prompt_lfs.py's JSON)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "prompt_lfs.py"


@pytest.mark.slow
def test_prompt_benchmark_small():
    spec = importlib.util.spec_from_file_location("prompt_lfs_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.prompt_benchmark(60, kill=True)
    assert figures["prompts"] == figures["calls_first_run"] == 60 and figures["every_prompt_answered_once"]
    assert figures["calls_second_run"] == 0 and figures["votes_identical"]
    assert figures["calls_before_stop"] == figures["calls_after_resume"] == 30
    assert figures["repeated_calls_after_resume"] == 0 and figures["votes_identical_after_resume"]
    assert figures["calls_before_kill"] + figures["calls_after_kill_resume"] - figures["repeated_calls_after_kill"] \
        == 60 and figures["repeated_calls_after_kill"] <= 8
