"""MultiLabelVotes: shape checks, views, and the exact round trip through today's VoteMatrix and its files."""

import numpy as np
import pytest

from weaksup.errors import VoteMatrixError
from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
from weaksup.votes import VoteMatrix

SPACE = MultiLabelSpace(["joy", "anger", "fear", "neutral"], none_label="neutral")


def _random_votes(n=200, m=6, seed=0, density=0.1):
    rng = np.random.default_rng(seed)
    values = np.where(rng.random((n, m, SPACE.k)) < density, rng.integers(0, 2, (n, m, SPACE.k)), -1)
    values[:, 5] = -1  # an LF that never votes
    values[:, 4, 1:] = -1  # an LF that only votes on 'joy'
    return MultiLabelVotes(values, [f"lf{j}@v1" for j in range(m)], SPACE, row_ids=np.arange(n) * 10)


def test_views():
    votes = _random_votes()
    assert (votes.n, votes.m, votes.k) == (200, 6, 4)
    assert votes.values.dtype == np.int8
    assert np.array_equal(votes.binary("anger"), votes.values[:, :, 1])
    part = votes.take(np.arange(200) % 2 == 0)
    assert part.n == 100 and part.row_ids[:3].tolist() == [0, 20, 40]
    sel = votes.select(["lf3@v1", "lf0@v1"])
    assert sel.lf_ids == ["lf3@v1", "lf0@v1"] and np.array_equal(sel.values[:, 1], votes.values[:, 0])
    yes, no = votes.counts()
    assert yes.shape == (200, 4) and int(yes.sum()) == int((votes.values == 1).sum())
    assert votes.coverage()[5].tolist() == [0.0] * 4


def test_vote_matrix_round_trip_is_exact_and_compact():
    votes = _random_votes()
    vm = votes.to_vote_matrix()
    # LF 4 keeps only its 'joy' column, LF 5 (never votes) one all-abstain column, the others all 4 labels
    assert vm.shape == (200, 4 * 4 + 1 + 1)
    assert "lf4@v1::joy" in vm.lf_names and "lf4@v1::anger" not in vm.lf_names
    assert "lf5@v1::joy" in vm.lf_names and (vm.column("lf5@v1::joy") == -1).all()
    back = MultiLabelVotes.from_vote_matrix(vm, SPACE)
    assert back == votes and back.lf_ids == votes.lf_ids


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_files_round_trip(tmp_path, suffix):
    votes = _random_votes(n=50)
    path = votes.save(tmp_path / f"votes{suffix}")
    assert MultiLabelVotes.load(path, SPACE) == votes


def test_parquet_keeps_mostly_abstain_columns_small(tmp_path):
    """20,000 rows x 30 LFs x 4 labels at 2% coverage: the Parquet file is far below the 2.4 MB of int8 cells."""
    rng = np.random.default_rng(1)
    n, m = 20_000, 30
    values = np.where(rng.random((n, m, SPACE.k)) < 0.02, 1, -1).astype(np.int8)
    votes = MultiLabelVotes(values, [f"lf{j}" for j in range(m)], SPACE)
    size = votes.save(tmp_path / "v.parquet").stat().st_size
    assert size < values.nbytes / 4, size


def test_bad_votes_are_named():
    with pytest.raises(VoteMatrixError, match=r"\(n, m, k\)"):
        MultiLabelVotes(np.zeros((2, 2)), ["a", "b"], SPACE)
    with pytest.raises(VoteMatrixError, match="3 label columns but the space has 4"):
        MultiLabelVotes(np.zeros((1, 1, 3)), ["a"], SPACE)
    with pytest.raises(VoteMatrixError, match=r"vote 2 at \(row, LF, label\) \(0, 0, 1\)"):
        MultiLabelVotes(np.array([[[0, 2, 0, 0]]]), ["a"], SPACE)
    with pytest.raises(VoteMatrixError, match="repeated"):
        MultiLabelVotes(np.zeros((1, 2, 4)), ["a", "a"], SPACE)
    with pytest.raises(VoteMatrixError, match="no LF 'z'"):
        MultiLabelVotes(np.zeros((1, 1, 4)), ["a"], SPACE).select(["z"])
    with pytest.raises(VoteMatrixError, match="not a multi-label column"):
        MultiLabelVotes.from_vote_matrix(VoteMatrix([[0]], lf_names=["plain"]), SPACE)
    with pytest.raises(VoteMatrixError, match="label 'sad' is not one of"):
        MultiLabelVotes.from_vote_matrix(VoteMatrix([[0]], lf_names=["x::sad"]), SPACE)
