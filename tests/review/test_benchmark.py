import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_review_budget_benchmark_smoke(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import review_budget
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    results = review_budget.main(["--datasets", "youtube", "--rounds", "2", "--budget", "10", "--seeds", "2",
                                  "--target", "0.9", "--json", str(tmp_path / "r.json")])
    runs = results["youtube"]["runs"]
    assert [h["reviewed"] for h in runs["weaksup"]] == [0, 10, 20]
    assert runs["weaksup"][0]["pool_accuracy"] == runs["random (mean)"][0]["pool_accuracy"]  # same start
    assert runs["weaksup"][-1]["pool_accuracy"] >= runs["weaksup"][0]["pool_accuracy"]
    assert "reviews to reach pool label accuracy 0.90" in capsys.readouterr().out
    assert (tmp_path / "r.json").is_file()
