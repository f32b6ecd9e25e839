"""benchmarks/earn_its_keep.py --youtube-lfs (shared by benchmarks/model_assisted.py): more LF modules for the
YouTube task, beside the shipped example's; the gold is unchanged."""

from __future__ import annotations

import importlib.util

import numpy as np

from tests.conftest import REPO


def load_bench():
    spec = importlib.util.spec_from_file_location("earn_its_keep_lfs", REPO / "benchmarks" / "earn_its_keep.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_youtube_lfs_adds_modules_once_after_the_shipped_ones(tmp_path):
    bench = load_bench()
    shipped = bench.load_youtube()
    extra = tmp_path / "more_lfs.py"
    extra.write_text("from weaksup.lf import keyword_lf\nkw_views = keyword_lf('kw_views', ['views'], 0)\n")
    bench.use_youtube_lfs([str(extra), str(extra), "labeling_functions.youtube_spam"])
    assert bench.YOUTUBE_LFS == ["labeling_functions.youtube_spam", str(extra)]
    wider = bench.load_youtube()
    assert wider.L.shape == (shipped.L.shape[0], shipped.L.shape[1] + 1)
    assert np.array_equal(wider.L[:, :-1], shipped.L) and set(np.unique(wider.L[:, -1])) == {-1, 0}
    assert np.array_equal(wider.y_dev, shipped.y_dev) and np.array_equal(wider.y_test, shipped.y_test)
    bench.use_youtube_lfs([])
    assert bench.YOUTUBE_LFS == ["labeling_functions.youtube_spam"]


def test_the_flag_reaches_both_benchmarks():
    import argparse

    bench = load_bench()
    parser = argparse.ArgumentParser()
    bench.add_youtube_lfs_flag(parser)
    assert parser.parse_args(["--youtube-lfs", "a.b", "c"]).youtube_lfs == ["a.b", "c"]
    assert parser.parse_args([]).youtube_lfs == []
    source = (REPO / "benchmarks" / "model_assisted.py").read_text(encoding="utf-8")
    assert "add_youtube_lfs_flag(parser)" in source and "use_youtube_lfs(args.youtube_lfs)" in source
