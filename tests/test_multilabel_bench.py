"""benchmarks/multilabel_models.py on the real shared data (skipped without it): the JSON layout, every model,
"default" beside per-label majority vote."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO, SHARED_DATA

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "spans" / "bc5cdr" / "test.json").exists()
                                or not (SHARED_DATA / "goemotions" / "test.tsv").exists(),
                                reason="the shared benchmark data is not here")


def _bench():
    spec = importlib.util.spec_from_file_location("multilabel_bench", REPO / "benchmarks" / "multilabel_models.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bc5cdr_default_beats_majority_vote(tmp_path, capsys):
    from weaksup.multilabel import DEFAULT_MULTILABEL_MODEL, MULTILABEL_MODELS

    out = tmp_path / "result.json"
    result = _bench().main(["--datasets", "bc5cdr", "--data", str(SHARED_DATA), "--json", str(out)])
    saved = json.loads(out.read_text())
    assert saved == result and set(saved) == {"bc5cdr"}
    rows = saved["bc5cdr"]
    assert set(rows) == {*MULTILABEL_MODELS, "default"}
    for row in rows.values():
        assert {"macro_f1", "micro_f1", "hamming", "subset_acc", "fit_s"} <= set(row)
        assert 0 <= row["macro_f1"] <= 1 and 0 <= row["hamming"] <= 1
    assert rows["default"]["model"] == DEFAULT_MULTILABEL_MODEL
    assert rows["default"]["macro_f1"] >= rows["majority"]["macro_f1"] + 0.02  # issue 21's target
    assert "default (" in capsys.readouterr().out


@pytest.mark.slow  # applies the GoEmotions LFs to 10,853 comments and fits every model (~1 min on 2 cores)
@pytest.mark.parametrize("lfs", ["all", "lexicon"])
def test_goemotions_runs_with_the_team_lfs(capsys, lfs):
    rows = _bench().main(["--datasets", "goemotions", "--data", str(SHARED_DATA), "--no-end-model",
                          "--lfs", lfs])["goemotions"]
    assert rows["default"]["macro_f1"] >= rows["majority"]["macro_f1"]
    assert 0.3 < rows["majority"]["macro_f1"] < 0.6  # the LFs vote: majority vote is far above chance
    out = capsys.readouterr().out
    assert "labeling_functions/goemotions.py" in out
    assert ("lexicon LFs only" in out) == (lfs == "lexicon")
    assert ("GoEmotions: 41 LFs" in out) == (lfs == "lexicon")  # all: the 41 lexicon LFs + emotion_model
