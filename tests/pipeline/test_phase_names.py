"""The ``seconds:`` phases are named by what ran: the end model's phase only when the end model labeled rows."""

from __future__ import annotations

from tests.conftest import REPO


def test_a_temporal_run_without_an_end_model_times_the_label_models_write(tmp_path, monkeypatch):
    from weaksup.config import load_config
    from weaksup.pipeline import run

    monkeypatch.chdir(REPO)
    config = load_config(REPO / "configs" / "tennis.toml", [f"output.path={tmp_path}/out/labels.parquet",
                                                             "output.report=false"])
    assert not config.end_model.enabled
    result = run(config, progress=False)
    assert result.source_counts.get("end_model", 0) == 0
    assert "predict+route+write" in result.timings
    assert "end model predict+route+write" not in result.timings
