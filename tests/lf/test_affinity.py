"""Affinity LFs: votes by similarity to prototypes with a margin, on media files and on vector columns."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from weaksup import apply_lfs
from weaksup.embed import EmbeddingCache
from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.affinity import affinity_lf, margin_votes, prototypes_from_gold, top_k_scores


class Texture:
    """A real image extractor (Pillow): mean grey level, horizontal and vertical gradient energy; counts calls."""

    id = "test-texture@1"
    names = ("mean", "dx", "dy")

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, item: object) -> np.ndarray:
        self.calls += 1
        g = np.asarray(Image.open(item).convert("L"), dtype=np.float32) / 255
        return np.array([g.mean(), np.abs(np.diff(g, axis=1)).mean(), np.abs(np.diff(g, axis=0)).mean()],
                        dtype=np.float32)


def _stripes(path, vertical: bool, seed: int) -> str:
    rng = np.random.default_rng(seed)
    base = np.tile((np.arange(16) // 2 % 2) * 200, (16, 1)).astype(np.float32)
    img = base if vertical else base.T
    img = np.clip(img + rng.normal(0, 20, img.shape) + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(path)
    return str(path)


@pytest.fixture
def stripes(tmp_path):
    """20 images: vertical stripes (class 1) and horizontal stripes (class 0), with noise."""
    paths, y = [], []
    for i in range(20):
        vertical = i % 2 == 1
        paths.append(_stripes(tmp_path / f"s{i}.png", vertical, i))
        y.append(int(vertical))
    return paths, np.array(y)


def test_votes_the_class_of_the_nearest_prototypes(stripes, tmp_path):
    paths, y = stripes
    protos = prototypes_from_gold(paths[:10], y[:10], per_class=3, seed=1)
    assert sorted(protos) == [0, 1] and all(len(v) == 3 for v in protos.values())
    extractor = Texture()
    lf = affinity_lf("stripes", protos, features=extractor, field="path", k=2,
                     cache=EmbeddingCache(tmp_path / "c.sqlite"))
    votes = apply_lfs([lf], pd.DataFrame({"path": paths[10:]}), progress=False).values[:, 0]
    assert (votes == y[10:]).all()  # vertical vs horizontal gradients: every held-out image right
    assert lf.kind == "affinity" and lf.labels == (0, 1) and lf.fields == ("path",)
    assert lf({"path": None}) == ABSTAIN and lf({"path": paths[11]}) == y[11]


def test_the_margin_makes_it_abstain_between_classes(tmp_path):
    protos = {0: [np.array([1.0, 0.0])], 1: [np.array([0.0, 1.0])]}
    lf = affinity_lf("m", protos, features="vec", margin=0.3, standardize=False)
    data = pd.DataFrame({"vec": [np.array([1.0, 0.1]), np.array([1.0, 0.9]), np.array([0.0, 2.0]), None]})
    assert apply_lfs([lf], data, progress=False).values[:, 0].tolist() == [0, ABSTAIN, 1, ABSTAIN]
    loose = affinity_lf("m", protos, features="vec", margin=0.0, standardize=False)
    assert loose({"vec": [1.0, 0.9]}) == 0 and loose({"vec": [1.0, 1.0]}) == ABSTAIN  # a tie never votes
    euclid = affinity_lf("m", protos, features="vec", metric="euclidean", margin=0.5, standardize=False)
    assert euclid({"vec": [0.9, 0.0]}) == 0 and euclid({"vec": [0.5, 0.5]}) == ABSTAIN
    floor = affinity_lf("m", protos, features="vec", min_similarity=0.99, standardize=False)
    assert floor({"vec": [1.0, 0.2]}) == ABSTAIN and floor({"vec": [1.0, 0.01]}) == 0


def test_a_row_never_votes_from_its_own_content(stripes):
    paths, y = stripes
    protos = {0: [paths[0], paths[2]], 1: [paths[1]]}
    lf = affinity_lf("loo", protos, features=Texture(), cache=False)
    # class 1's only prototype is itself: class 0 alone is left, with nothing to beat, so the row abstains
    # (it voted 0 before: an infinite lead over a class without a score)
    assert lf({"path": paths[1]}) == ABSTAIN
    assert lf({"path": paths[0]}) == 0  # class 0 keeps another prototype: it is scored from that one
    keep = affinity_lf("loo", protos, features=Texture(), cache=False, exclude_identical=False)
    assert keep({"path": paths[1]}) == 1


def test_versions_hash_the_extractor_the_prototypes_content_and_parameters(stripes, tmp_path):
    paths, _ = stripes
    protos = {0: [paths[0]], 1: [paths[1]]}
    base = affinity_lf("a", protos, features=Texture(), cache=False)
    moved = tmp_path / "moved.png"
    moved.write_bytes(open(paths[0], "rb").read())
    assert affinity_lf("a", {1: [paths[1]], 0: [str(moved)]}, features=Texture(), cache=False).version == base.version

    class Other(Texture):
        id = "test-texture@2"

    changed = [affinity_lf("a", {0: [paths[2]], 1: [paths[1]]}, features=Texture(), cache=False),
               affinity_lf("a", protos, features=Other(), cache=False),
               affinity_lf("a", protos, features=Texture(), margin=0.2, cache=False),
               affinity_lf("a", protos, features=Texture(), k=3, cache=False),
               affinity_lf("a", protos, features=Texture(), metric="euclidean", cache=False),
               affinity_lf("a", protos, features=Texture(), standardize=False, cache=False)]
    assert len({base.version, *(lf.version for lf in changed)}) == 7


def test_pickles_to_workers_and_votes_the_same(stripes):
    paths, y = stripes
    lf = affinity_lf("p", {0: paths[0:4:2], 1: paths[1:4:2]}, features=Texture(), cache=False)
    again = pickle.loads(pickle.dumps(lf))
    assert again.version == lf.version and [again({"path": p}) for p in paths] == [lf({"path": p}) for p in paths]


def test_class_names_and_bad_definitions():
    space = LabelSpace(["face", "other"])
    lf = affinity_lf("n", {"face": [[1.0, 0.0]], "other": [[0.0, 1.0]]}, features="vec", label_space=space)
    assert lf.labels == (0, 1)
    with pytest.raises(LFDefinitionError, match="metric must be one of"):
        affinity_lf("n", {0: [[1.0]]}, features="vec", metric="manhattan")
    with pytest.raises(LFDefinitionError, match="k must be an int"):
        affinity_lf("n", {0: [[1.0]]}, features="vec", k=0)
    with pytest.raises(LFDefinitionError, match="class 1 has no prototype"):
        affinity_lf("n", {0: [[1.0]], 1: []}, features="vec")
    with pytest.raises(LFDefinitionError, match="different lengths"):
        affinity_lf("n", {0: [[1.0]], 1: [[1.0, 2.0]]}, features="vec")
    with pytest.raises(LFDefinitionError, match="features must be a FeatureExtractor"):
        affinity_lf("n", {0: ["a.png"]}, features=len)
    with pytest.raises(LFDefinitionError, match="one label per item"):
        prototypes_from_gold(["a"], [0, 1])


def test_the_shared_scoring_rule():
    sims = np.array([[0.9, 0.1, 0.8, 0.7], [0.2, 0.3, -np.inf, -np.inf], [0.4, 0.3, 0.2, 0.3]])
    scores = top_k_scores(sims, np.array([0, 0, 1, 1]), 2, k=2)
    assert scores[0].tolist() == pytest.approx([0.5, 0.75]) and scores[1, 1] == -np.inf
    assert margin_votes(scores, [4, 9], 0.2).tolist() == [9, ABSTAIN, ABSTAIN]
    assert margin_votes(scores, [4, 9], 0.05, missing=np.array([True, False, False])).tolist() == [ABSTAIN] * 2 + [4]


def test_a_class_is_scored_from_the_prototypes_left_to_the_row():
    owner = np.array([0, 0, 1, 1])
    # the row is class 1's first prototype: class 1 is its other prototype's 0.6, not a mean with -inf
    sims = np.array([[0.5, 0.4, -np.inf, 0.6]])
    assert top_k_scores(sims, owner, 2, k=2).tolist() == [[pytest.approx(0.45), 0.6]]
    assert margin_votes(top_k_scores(sims, owner, 2, k=2), [4, 9], 0.1).tolist() == [9]
    # k larger than what is left: the mean of what is left
    assert top_k_scores(sims, owner, 2, k=5).tolist() == [[pytest.approx(0.45), 0.6]]


def test_one_class_left_abstains_unless_a_min_score_is_reached():
    scores = np.array([[0.3, -np.inf], [-np.inf, 0.9], [0.8, 0.1]])
    assert margin_votes(scores, [4, 9], 0.1).tolist() == [ABSTAIN, ABSTAIN, 4]
    assert margin_votes(scores, [4, 9], 0.1, min_score=0.5).tolist() == [ABSTAIN, 9, 4]
    one_class = np.array([[0.3], [0.9]])  # an LF with prototypes of one class: a lead over nothing, as before
    assert margin_votes(one_class, [4], 0.1).tolist() == [4, 4]


def test_affinity_lfs_of_one_batch_share_the_rows_vectors(stripes):
    paths, y = stripes
    extractor = Texture()
    protos = prototypes_from_gold(paths[:10], y[:10], per_class=3, seed=1)
    lfs = [affinity_lf("k2", protos, features=extractor, k=2, cache=False),
           affinity_lf("k3", protos, features=extractor, k=3, cache=False)]
    votes = apply_lfs(lfs, pd.DataFrame({"path": paths[10:]}), progress=False).values
    assert (votes[:, 0] == y[10:]).all() and (votes[:, 1] >= 0).mean() >= 0.8
    assert extractor.calls == 10 + 2 * 6  # the ten rows once for both LFs; each LF's six prototypes (no disk cache)


def test_an_unreadable_prototype_stops_the_run_naming_the_lf_and_is_not_retried_per_row(stripes, tmp_path):
    from weaksup.errors import LFApplyError
    from weaksup.media import ImageFeatures

    paths, y = stripes
    good = tmp_path / "good.jpg"
    Image.fromarray(np.full((32, 32), 120, dtype=np.uint8)).save(good)
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(good.read_bytes()[:200])  # a truncated JPEG: it exists, it cannot be decoded
    lf = affinity_lf("near", {0: [paths[0], str(corrupt)], 1: [paths[1]]}, features=ImageFeatures(["intensity"]),
                     cache=False)
    frame = pd.DataFrame({"path": paths[2:]})
    for tolerant in (True, False):  # fault-tolerant or not: no abstains, the run stops on the definition
        with pytest.raises(LFDefinitionError, match=r"LF 'near': a prototype cannot be read.*corrupt\.jpg") as info:
            apply_lfs([lf], frame, progress=False, fault_tolerant=tolerant)
        assert getattr(info.value, "stops_run", False) and not isinstance(info.value, LFApplyError)
        assert "row id" not in str(info.value)
    with pytest.raises(LFDefinitionError) as again:
        lf({"path": paths[3]})
    assert again.value is info.value  # remembered: the prototypes are not decoded again for each row
