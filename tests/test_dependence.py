"""Dependent LFs: planted copies and derived LFs are found in real votes; independent LFs raise no alarm."""

from __future__ import annotations

import json

import numpy as np
import pytest

from weaksup import VoteMatrix
from weaksup.dependence import DependentLFs, find_dependent_lfs
from weaksup.errors import ParameterError


def synthetic(n, m, k, seed):
    """LFs independent given the class: half fire on one class (at class-dependent rates), half vote any class."""
    rng = np.random.default_rng(seed)
    y = rng.choice(k, n, p=rng.dirichlet(np.ones(k) * 3))
    L = np.full((n, m), -1)
    for j in range(m):
        if j % 2 == 0:
            c, rate = rng.integers(k), rng.uniform(0.05, 0.6)
            fire = rng.random(n) < np.where(y == c, rate, rate * rng.uniform(0.02, 0.3))
            L[fire, j] = c
        else:
            fire = rng.random(n) < rng.uniform(0.05, 0.9)
            wrong = rng.random(n) > rng.uniform(0.55, 0.95)
            other = (y + rng.integers(1, k, n)) % k
            L[fire, j] = np.where(wrong[fire], other[fire], y[fire])
    return L, y


@pytest.fixture(scope="module")
def youtube_votes(youtube, youtube_registry):
    from weaksup.apply import apply_lfs

    votes = apply_lfs(youtube_registry, youtube, id_column="row_id", progress=False)
    y = youtube["label"].map({"ham": 0, "spam": 1}).to_numpy()
    return votes.values.astype(np.int64), list(votes.lf_names), y, (youtube["split"] == "dev").to_numpy()


@pytest.mark.parametrize(("n", "m", "k", "seed"), [(20000, 60, 2, 0), (20000, 40, 3, 1), (5000, 100, 2, 2)])
def test_independent_lfs_raise_no_alarm(n, m, k, seed):
    L, y = synthetic(n, m, k, seed)
    assert find_dependent_lfs(L, L_dev=L[:400], y_dev=y[:400], seed=seed) == []
    assert find_dependent_lfs(L, seed=seed) == []  # nor with the label model's classes alone


@pytest.mark.slow
def test_planted_copy_in_the_youtube_votes_is_found(youtube_votes):
    L, names, y, dev = youtube_votes
    j = names.index("kw_subscribe")
    planted = np.column_stack([L, L[:, j]])
    found = find_dependent_lfs(planted, L_dev=planted[dev], y_dev=y[dev], lf_names=[*names, "kw_subscribe_2"])
    copy = [f for f in found if set(f.lfs) == {"kw_subscribe", "kw_subscribe_2"}]
    assert len(copy) == 1 and copy[0].kind == "correlated"
    assert copy[0].measure == pytest.approx(1.0) and copy[0].observed == 1.0 and copy[0].expected < 0.5
    assert "'kw_subscribe'" in copy[0].message and "twice" in copy[0].message and "keep one" in copy[0].message
    without = {frozenset(f.lfs) for f in find_dependent_lfs(L, L_dev=L[dev], y_dev=y[dev], lf_names=names)}
    assert frozenset(("kw_subscribe", "kw_subscribe_2")) not in without
    # the copy adds its own pair, and echoes the original's pairs (an LF correlated with kw_subscribe is with its
    # copy too); nothing else changes
    with_copy = {frozenset(f.lfs) for f in found} - {frozenset(("kw_subscribe", "kw_subscribe_2"))}
    echoes = {pair for pair in with_copy if "kw_subscribe_2" in pair}
    assert with_copy - echoes == without
    assert {pair - {"kw_subscribe_2"} | {"kw_subscribe"} for pair in echoes} <= without


@pytest.mark.slow
def test_model_trained_on_other_lfs_labels_is_found_derived(youtube, youtube_votes):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from weaksup.models import MajorityVote

    L, names, y, dev = youtube_votes
    keyword = [j for j, name in enumerate(names) if name.startswith(("kw_", "re_"))]
    weak = MajorityVote(cardinality=2).fit(L[:, keyword]).predict(L[:, keyword], tie_break="abstain")
    text = youtube["text"].to_numpy()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2), LogisticRegression(C=10, max_iter=1000))
    model.fit(text[weak >= 0], weak[weak >= 0])
    planted = np.column_stack([L, model.predict(text)])  # votes on every row, as a model-score LF would
    found = find_dependent_lfs(planted, L_dev=planted[dev], y_dev=y[dev], lf_names=[*names, "kw_model"])
    derived = [f for f in found if f.kind == "derived"]
    assert [f.lfs[0] for f in derived] == ["kw_model"]
    sources, keyword_names = set(derived[0].lfs[1:]), {names[j] for j in keyword}
    # named after the keyword LFs it learned from (and, beside them, the unlabeled-row regex rules that vote with
    # them: u_view_count_talk with re_view_count), never the lookup, model, threshold or spaCy LFs
    assert len(sources & keyword_names) >= 2 and sources <= keyword_names | {n for n in names if n.startswith("u_")}
    assert len(sources & keyword_names) > len(sources) / 2
    assert derived[0].observed > 0.9 and derived[0].observed - derived[0].expected > 0.15
    assert "looks derived from" in derived[0].message and "drop 'kw_model'" in derived[0].message
    assert not any(f.kind == "correlated" and "kw_model" in f.lfs[:1] + f.lfs[1:] and set(f.lfs) <= set(derived[0].lfs)
                   for f in found)  # the pairs inside the group are not repeated


def test_a_function_of_two_lfs_is_derived_and_dev_gold_is_preferred():
    rng = np.random.default_rng(3)
    L, y = synthetic(8000, 12, 3, 3)
    a, b = 1, 3
    either = np.where(L[:, a] >= 0, L[:, a], L[:, b])
    planted = np.column_stack([L, either])
    found = find_dependent_lfs(planted, L_dev=planted[:600], y_dev=y[:600], seed=int(rng.integers(100)))
    assert [(f.lfs, f.kind) for f in found] == [(("lf12", "lf1", "lf3"), "derived")]
    assert found[0].source == "dev" and found[0].n_rows > 100


def test_sampling_is_seeded_and_bounded():
    L, y = synthetic(30000, 20, 2, 4)
    planted = np.column_stack([L, L[:, 2]])
    first = find_dependent_lfs(planted, max_rows=3000, seed=7)
    assert first == find_dependent_lfs(planted, max_rows=3000, seed=7)
    assert [f.lfs for f in first] == [("lf2", "lf20")] and first[0].n_rows < 3000 and first[0].source == "unlabeled"


def test_names_come_from_a_vote_matrix_and_findings_are_json_ready():
    L, y = synthetic(4000, 6, 2, 5)
    planted = np.column_stack([L, L[:, 0]])
    votes = VoteMatrix(planted, lf_names=[f"rule_{j}" for j in range(7)])
    (finding,) = find_dependent_lfs(votes, L_dev=planted[:300], y_dev=y[:300])
    assert isinstance(finding, DependentLFs) and finding.lfs == ("rule_0", "rule_6")
    doc = json.loads(json.dumps(finding.as_dict()))
    assert doc["kind"] == "correlated" and doc["lfs"] == ["rule_0", "rule_6"] and 0 < doc["expected"] < 1


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"lf_names": ["a"]}, "lf_names must hold 3 distinct names"),
    ({"lf_names": ["a", "a", "b"]}, "lf_names must hold 3 distinct names"),
    ({"L_dev": [[0, 1, -1]]}, "pass L_dev and y_dev together"),
    ({"L_dev": [[0, 1]], "y_dev": [0]}, "L_dev must have the 3 columns of L"),
    ({"L_dev": [[0, 1, 1]], "y_dev": [0.5]}, "one integer class id per dev row"),
    ({"L_dev": [[0, 1, 1]], "y_dev": [-2]}, "y_dev must hold -1 or a class id"),
    ({"L_dev": [[0, 1, 1]], "y_dev": [2], "cardinality": 2}, "y_dev must hold -1..1"),
    ({"min_dependence": 0}, "min_dependence must be in (0, 1]"),
    ({"min_support": 0}, "min_support must be an integer >= 1"),
    ({"max_rows": -5}, "max_rows must be a positive integer"),
])
def test_bad_input_is_named(kwargs, needle):
    with pytest.raises(ParameterError, match=needle.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        find_dependent_lfs(np.array([[0, 1, -1], [1, 1, 0]]), **kwargs)


def test_without_dev_gold_a_copy_that_dominates_few_lfs_looks_like_the_class():
    """The documented limit: with 6 LFs and no gold, the label model takes the copied pair for the class itself."""
    L, y = synthetic(4000, 6, 2, 5)
    planted = np.column_stack([L, L[:, 0]])
    assert not any(set(f.lfs) == {"lf0", "lf6"} for f in find_dependent_lfs(planted))
    assert any(set(f.lfs) == {"lf0", "lf6"} for f in find_dependent_lfs(planted, L_dev=planted[:300], y_dev=y[:300]))


def test_too_few_rows_or_lfs_find_nothing():
    assert find_dependent_lfs(np.array([[0], [1]])) == []
    assert find_dependent_lfs(np.zeros((0, 3), dtype=int)) == []
    assert find_dependent_lfs(np.array([[0, 0], [1, 1]] * 3)) == []  # 6 rows: below min_support
