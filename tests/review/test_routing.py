import numpy as np
import pandas as pd
import pytest

from weaksup.gold import GoldSet
from weaksup.review import ReviewError, review_issues, uncertainty_score
from weaksup.labels import LabelSpace
from weaksup.review.routing import REASONS, RoutingPolicy, conflict_score, route

SPACE = ["ham", "spam"]


def labels_frame(**overrides):
    frame = pd.DataFrame({
        "row_id": ["a", "b", "c", "d", "e"],
        "label": ["spam", "ham", "", "spam", "ham"],
        "confidence": [0.97, 0.6, 0.5, 0.9, 0.99],
        "prob_ham": [0.03, 0.6, 0.5, 0.1, 0.99],
        "prob_spam": [0.97, 0.4, 0.5, 0.9, 0.01],
        "n_votes": [3, 1, 0, 4, 2],
        "sources": ["x,y,z", "w", "", "x,y,z", "p,q"],
        "conflict": [False, False, False, True, False],
        "review_status": ["auto", "needs_review", "needs_review", "auto", "reviewed"],
    })
    return frame.assign(**overrides)


def test_flags_reasons_and_cleanlab_shape():
    issues = review_issues(labels_frame(), SPACE, threshold=0.8, conflict_threshold=0.0)
    assert list(issues.columns[:3]) == ["row_id", "label", "confidence"]
    for col in ("is_uncertain", "uncertainty_score", "is_conflict", "conflict_score", "is_unlabeled", "needs_review"):
        assert col in issues
    assert issues["is_unlabeled"].tolist() == [False, False, True, False, False]
    assert issues["is_conflict"].tolist() == [False, False, False, True, False]
    assert issues["needs_review"].tolist() == [False, True, True, True, False]  # e is already reviewed
    assert issues.loc[3, "review_reason"] == "conflict"
    assert issues.loc[3, "conflict_score"] == pytest.approx(0.25)


def test_per_class_threshold_and_conflict_level():
    issues = review_issues(labels_frame(), SPACE, threshold=0.8, class_thresholds={"spam": 0.98},
                           conflict_threshold=0.3)
    assert issues["is_uncertain"].tolist()[:4] == [True, True, True, True]
    assert issues.loc[3, "is_conflict"] and "conflict" not in issues.loc[3, "review_reason"]  # 0.25 <= 0.3
    loose = review_issues(labels_frame(), SPACE, threshold=0.55)
    assert loose["is_uncertain"].tolist() == [False, False, True, False, False]
    assert loose["needs_review"].tolist() == [False, False, True, False, False]  # conflicts alone: off by default


def test_conflict_from_votes_matches_sources():
    votes = np.array([[1, 1, 1, -1], [0, -1, -1, -1], [-1] * 4, [1, 1, 1, 0], [0, 0, -1, -1]])
    assert conflict_score(labels_frame(), SPACE, votes).tolist() == conflict_score(labels_frame()).tolist()
    # an abstained label with votes is a full conflict
    tie = labels_frame(label=["", "ham", "", "spam", "ham"])
    assert conflict_score(tie, SPACE, votes)[0] == 1.0


def test_gold_label_issues():
    gold = pd.Series({"a": "ham", "b": "spam", "d": "spam"})
    issues = review_issues(labels_frame(), SPACE, threshold=0.8, gold=gold)
    assert issues["is_label_issue"].tolist() == [True, False, False, False, False]  # b is not confident
    assert issues.loc[0, "label_issue_score"] == pytest.approx(0.97)
    assert not issues.loc[0, "needs_review"] and not issues.loc[1, "needs_review"]  # gold rows are known


def test_gold_set_accepted(tmp_path):
    frame = pd.DataFrame({"row_id": ["a"], "label": ["ham"], "split": ["dev"]})
    from weaksup.gold import write_gold

    gold = write_gold(frame, tmp_path / "g", task="t", label_space=SPACE)
    assert isinstance(gold, GoldSet)
    assert review_issues(labels_frame(), SPACE, gold=gold)["is_label_issue"].tolist()[0]


@pytest.mark.parametrize("method", ["entropy", "margin", "least_confidence"])
def test_uncertainty_bounds(method):
    p = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1]])
    s = uncertainty_score(p, method)
    assert s[0] == pytest.approx(0.0) and s[1] == pytest.approx(1.0) and 0 < s[2] < 1


@pytest.mark.parametrize("kwargs, match", [
    ({"threshold": 1.5}, "threshold must be a number in"),
    ({"class_thresholds": {"eggs": 0.9}}, "'eggs', which is not in the label space"),
    ({"method": "vibes"}, "unknown uncertainty method"),
    ({"conflict_threshold": -0.1}, "conflict_threshold"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ReviewError, match=match):
        review_issues(labels_frame(), SPACE, **kwargs)


def test_bad_labels_frames():
    with pytest.raises(ReviewError, match=r"lack the column\(s\) \['confidence'\]"):
        review_issues(labels_frame().drop(columns="confidence"), SPACE)
    with pytest.raises(ReviewError, match="prob_spam"):
        review_issues(labels_frame().drop(columns="prob_spam"), SPACE)
    with pytest.raises(ReviewError, match=r"outside the label space"):
        review_issues(labels_frame(label=["eggs", "ham", "", "spam", "ham"]), SPACE)


def test_route_marks_reviewed_rows_and_conflicts():
    L = np.array([[1, 0, -1], [1, 1, 1], [-1, -1, -1]])
    proba = np.array([[0.3, 0.7], [0.05, 0.95], [0.5, 0.5]])
    out = route(L, proba, RoutingPolicy(threshold=0.6, conflict_threshold=0.4),
                label_space=LabelSpace(["ham", "spam"]), lf_names=["a", "b", "c"], reviewed={2: 0})
    assert out.label.tolist() == [1, 1, 0]
    assert out.review_status.tolist() == ["needs_review", "auto", "reviewed"]  # 1 of 2 votes against > 0.4
    assert out.conflict.tolist() == [True, False, False]
    assert out.sources.tolist() == ["a", "a,b,c", ""]
    assert out.confidence.tolist() == [0.7, 0.95, 1.0]


POLICIES = [RoutingPolicy(), RoutingPolicy(threshold=0.9), RoutingPolicy(threshold=0.5, conflict_threshold=0.0),
            RoutingPolicy(threshold=0.6, class_thresholds={"b": 0.95, "c": 0.2}, conflict_threshold=0.5)]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed", [0, 1])
def test_route_review_issues_and_the_run_label_table_agree_row_for_row(policy, seed):
    from weaksup.models import MajorityVote
    from weaksup.pipeline.outputs import chunk_labels

    rng = np.random.default_rng(seed)
    space = LabelSpace(["a", "b", "c"])
    L = rng.integers(-1, 3, (3000, 6))
    L[rng.random(3000) < 0.1] = -1  # rows without votes
    proba = rng.dirichlet([1, 1, 1], 3000)
    proba[:40] = 1 / 3  # ties: the model abstains
    names = [f"lf{j}" for j in range(6)]
    routed = route(L, proba, policy, label_space=space, lf_names=names)
    label = np.asarray([*space, ""], dtype=object)[routed.label]
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(len(L))], "label": label,
                          "confidence": routed.confidence, "n_votes": routed.n_votes, "sources": routed.sources,
                          **{f"prob_{c}": routed.proba[:, k] for k, c in enumerate(space)}})
    needs = routed.review_status == "needs_review"
    for votes in (None, L):  # conflicts counted from the sources column, or from the votes
        issues = review_issues(frame, space, policy=policy, votes=votes)
        assert (issues["needs_review"].to_numpy() == needs).all()
        np.testing.assert_array_equal(issues["review_reason"].to_numpy(),
                                      [",".join(np.array(REASONS)[r]) if n else "" for r, n in zip(routed.reasons, needs)])
    model = MajorityVote(cardinality=3).fit(L)
    table = chunk_labels(model, L, {}, policy=policy, label_space=space, lf_names=names, rule_version="r")
    labels = table.to_pandas().assign(row_id=frame["row_id"])
    issues = review_issues(labels, space, policy=policy, votes=L)
    assert (issues["needs_review"].to_numpy() == (labels["review_status"] == "needs_review").to_numpy()).all()


def _expected_status(L, proba, label, policy, space, reviewed):
    """The routing rule, stated row by row without RoutingPolicy.reasons (an independent oracle)."""
    out = []
    for i in range(len(L)):
        if i in reviewed:
            out.append("reviewed")  # a human label wins over every reason
            continue
        votes = [v for v in L[i] if v != -1]
        name = space[label[i]] if label[i] >= 0 else None
        limit = policy.class_thresholds.get(name, policy.threshold)
        against = sum(v != label[i] for v in votes) / len(votes) if votes else 0.0
        needs = (not votes or label[i] == -1 or max(proba[i]) < limit
                 or against > policy.conflict_threshold)
        out.append("needs_review" if needs else "auto")
    return out


@pytest.mark.parametrize("policy", [
    RoutingPolicy(),
    RoutingPolicy(threshold=0.55, class_thresholds={"spam": 0.9}),
    RoutingPolicy(threshold=0.4, conflict_threshold=0.0),
    RoutingPolicy(threshold=0.6, class_thresholds={"ham": 0.3, "eggs": 0.8}, conflict_threshold=0.5),
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_route_follows_the_stated_rule_on_random_votes(policy, seed):
    rng = np.random.default_rng(seed)
    space = LabelSpace(["ham", "spam", "eggs"])
    n, m = 400, 5
    L = np.where(rng.random((n, m)) < 0.5, -1, rng.integers(0, 3, (n, m)))
    proba = np.concatenate([rng.dirichlet(np.full(3, 0.2), size=n // 2), rng.dirichlet(np.full(3, 2.0), size=n // 2)])
    proba[:20] = 1 / 3  # exact ties
    label = np.where(rng.random(n) < 0.1, -1, proba.argmax(axis=1))  # predictions, abstentions included
    label[rng.random(n) < 0.1] = rng.integers(0, 3)  # and some that are not the most probable class
    reviewed = {int(i): int(rng.integers(0, 3)) for i in rng.choice(n, 30, replace=False)}
    out = route(L, proba, policy, label_space=space, lf_names=list("abcde"), predictions=label.copy(),
                reviewed=reviewed)
    expected_label = label.copy()
    for i, c in reviewed.items():
        expected_label[i] = c
    assert out.label.tolist() == expected_label.tolist()
    assert out.review_status.tolist() == _expected_status(L, proba, expected_label, policy, list(space), reviewed)
    assert set(out.review_status) == {"auto", "needs_review", "reviewed"}  # every case is exercised


def test_routing_in_row_blocks_is_routing_at_once(monkeypatch):
    """route() bounds its rows x LFs temporaries by working on blocks of rows; the result is the same."""
    import weaksup.review.routing as routing

    rng = np.random.default_rng(3)
    L = rng.integers(-1, 3, size=(500, 40)).astype(np.int8)
    proba = rng.dirichlet(np.ones(3), size=500)
    space = LabelSpace(["a", "b", "c"])
    names = [f"lf{j}" for j in range(40)]
    whole = routing.route(L, proba, label_space=space, lf_names=names, reviewed={7: 2})
    monkeypatch.setattr(routing, "ROUTE_CELLS", 40 * 37)  # blocks of 37 rows
    blocks = routing.route(L, proba, label_space=space, lf_names=names, reviewed={7: 2})
    for field in ("label", "confidence", "sources", "n_votes", "conflict", "against", "reasons", "review_status"):
        np.testing.assert_array_equal(getattr(blocks, field), getattr(whole, field), err_msg=field)
    assert whole.conflict.any() and (whole.sources != "").any()


def test_end_model_rows_without_votes_are_routed_as_the_run_routes_them():
    """A row no LF voted on that the end model labeled needs review for low confidence only (as in the run)."""
    labels = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["spam", "ham", "ham"], "confidence": [0.95, 0.6, 0.9],
                           "prob_ham": [0.05, 0.6, 0.9], "prob_spam": [0.95, 0.4, 0.1], "n_votes": [0, 0, 0],
                           "sources": ["", "", ""], "label_source": ["end_model", "end_model", "label_model"]})
    issues = review_issues(labels, SPACE)
    assert issues["needs_review"].tolist() == [False, True, True]
    assert issues["review_reason"].tolist() == ["", "low_confidence", "no_votes"]
