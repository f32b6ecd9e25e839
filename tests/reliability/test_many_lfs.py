"""Memory bounded in the number of LFs (issue 14, case 10).

500 keyword LFs on 20 rows were killed at 17 GB: the report drew an LF-by-LF heatmap whose pixels grew
with the square of the LFs (50 LFs 0.44 GB, 100 LFs 0.99 GB, 200 LFs 3.07 GB), and the LF statistics
held several float copies of the whole vote matrix. Now the figures show at most a fixed number of
LFs (those with the most conflicts, and say so) and the statistics go block by block over the rows.
The apply stage holds one vote block per chunk: the LFs of a batch write their columns in place
(no finished column waits in a future, no per-LF row mask stays cached), so what it allocates beyond
the votes grows with the rows of a batch, not with the number of LFs.
The end-to-end figures (1,000 LFs on 1M rows) come from ``benchmarks/many_lfs.py``.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from weaksup import LabelSpace, apply_lfs, keyword_lf
from weaksup.analysis import lf_pair_matrix, lf_summary, vote_stats
from weaksup.errors import ParameterError
from weaksup.votes import VoteMatrix

pytest.importorskip("matplotlib")  # the `report` extra


def _keyword_votes(n: int, m: int, rate: float, seed: int = 0) -> VoteMatrix:
    """Votes like keyword LFs': each LF votes on a ``rate`` share of the rows, ham or spam."""
    rng = np.random.default_rng(seed)
    L = np.where(rng.random((n, m)) < rate, rng.integers(0, 2, (n, m)), -1).astype(np.int8)
    return VoteMatrix(L, lf_names=[f"kw_{j:04d}" for j in range(m)])


def _peak(work: Callable[[], object]) -> int:
    """The peak of the Python allocations (numpy's and matplotlib's included) while ``work`` runs, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_the_report_memory_does_not_grow_with_the_square_of_the_lfs():
    from weaksup.report import build_report

    def report(m: int) -> int:
        votes = _keyword_votes(20, m, 0.3)
        return _peak(lambda: build_report(votes).to_html())

    few, many = report(30), report(150)  # before: about 0.1 GB and 1.5 GB
    assert many < 2 * few, f"report of 150 LFs: {many / 1e6:.0f} MB traced, of 30 LFs: {few / 1e6:.0f} MB"
    assert many < 500e6


def test_lf_statistics_of_many_lfs_take_a_fraction_of_the_votes_memory():
    votes = _keyword_votes(50_000, 500, 0.01)

    def statistics() -> None:
        lf_summary(votes)
        vote_stats(votes)
        lf_pair_matrix(votes, "conflict")
        lf_pair_matrix(votes, "overlap")

    peak = _peak(statistics)  # before: 13 times the votes (float32 copies of the whole matrix)
    assert peak < 2 * votes.values.nbytes, f"{peak / votes.values.nbytes:.1f} x the votes' {votes.values.nbytes} bytes"


def _zipf_texts(n: int, seed: int = 0) -> pd.DataFrame:
    """Texts of 4-20 words drawn from 2,000 words by a Zipf law (like comments)."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(2000)])
    p = 1 / np.arange(1, 2001)
    words = rng.choice(vocab, size=(n, 20), p=p / p.sum())
    lengths = rng.integers(4, 21, size=n)
    return pd.DataFrame({"text": [" ".join(row[:k]) for row, k in zip(words, lengths)]})


def test_applying_many_lfs_takes_the_votes_and_a_batch_worth_of_memory_whatever_the_number_of_lfs():
    data, space = _zipf_texts(20_000), LabelSpace(["ham", "spam"])
    apply_lfs([keyword_lf("warm", "w1", 0)], data.head(10), label_space=space)  # imports, caches

    def beyond_the_votes(m: int) -> float:
        lfs = [keyword_lf(f"kw_{j:04d}", [f"w{j}"], j % 2) for j in range(m)]
        out: list[VoteMatrix] = []
        peak = _peak(lambda: out.append(apply_lfs(lfs, data, label_space=space, n_threads=2)))
        return peak - out[0].values.nbytes

    few, many = beyond_the_votes(100), beyond_the_votes(900)
    # before: every finished column waited in its future and every LF's row mask stayed cached, 2 bytes
    # a vote beyond the votes (36 MB more for 900 LFs than for 100)
    assert many < 2 * few, f"beyond the votes: {many / 1e6:.1f} MB for 900 LFs, {few / 1e6:.1f} MB for 100"


def test_apply_lfs_writes_into_the_callers_array_so_a_chunk_block_is_not_copied():
    data, space = _zipf_texts(2_000), LabelSpace(["ham", "spam"])
    lfs = [keyword_lf(f"kw_{j}", [f"w{j}"], j % 2) for j in range(30)]
    block = np.full((len(data), len(lfs)), -1, dtype=np.int8, order="F")  # each LF's column contiguous
    votes = apply_lfs(lfs, data, label_space=space, out=block)
    assert votes.values is block
    assert np.array_equal(block, apply_lfs(lfs, data, label_space=space).values)
    with pytest.raises(ParameterError, match="out must be an array of shape"):
        apply_lfs(lfs, data, label_space=space, out=np.zeros((len(data), len(lfs)), dtype=np.int64))


def test_the_shared_literal_pass_over_slices_of_rows_gives_the_same_votes(monkeypatch):
    import weaksup.lf.batch as batch

    data, space = _zipf_texts(12_000), LabelSpace(["ham", "spam"])
    lfs = [keyword_lf(f"kw_{j}", [f"w{j}", f"w{j + 50}"], j % 2) for j in range(40)]
    lfs.append(keyword_lf("kw_w", ["w"], 0))  # the literal "w" is in every word: rows hold it many times
    whole = apply_lfs(lfs, data, label_space=space).values
    monkeypatch.setattr(batch, "LITERAL_CELLS", 1)  # slices of 4,096 rows: three of them
    assert np.array_equal(apply_lfs(lfs, data, label_space=space).values, whole)
    assert (whole[:, :40] != -1).any(axis=0).all() and (whole[:, 40] == -1).all()


def test_the_runs_coverage_takes_no_rows_by_lfs_mask():
    from weaksup.pipeline.voting import AppliedVotes

    L = _keyword_votes(20_000, 500, 0.002).values  # some rows without a vote
    applied = AppliedVotes(L, {}, {}, {}, {}, {})
    peak = _peak(lambda: applied.coverage)  # before: a bool mask as large as the votes
    assert applied.coverage == float((L != -1).any(axis=1).mean()) < 1.0
    assert peak < L.nbytes / 10, f"{peak} bytes for votes of {L.nbytes}"
