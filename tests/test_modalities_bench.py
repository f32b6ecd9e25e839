"""benchmarks/modalities.py: collects each modality's measure(), reports a missing or failing one instead of
crashing, prints the table and writes issue 23's JSON (quick mode on the shipped image and audio examples)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO


def _bench():
    spec = importlib.util.spec_from_file_location("modalities_bench", REPO / "benchmarks" / "modalities.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_missing_failing_and_incomplete_modules_are_reported_not_a_crash(tmp_path, monkeypatch, capsys):
    bench = _bench()
    (tmp_path / "fails.py").write_text("def measure():\n    raise RuntimeError('no data here')\n")
    (tmp_path / "partial.py").write_text("def measure(quick=False):\n    return {'temporal_f1': 0.9, 'quick': quick}\n")
    (tmp_path / "fine.py").write_text("import numpy as np\n\ndef measure(full=None):\n"
                                      "    return {'majority_vote': np.float64(0.5), 'label_model': 0.6,\n"
                                      "            'end_model': 0.62, 'full': full, 'per_speaker': {'bo': {'end_model': 0.7}}}\n")
    monkeypatch.setattr(bench, "BENCHMARKS", tmp_path)
    monkeypatch.setattr(bench, "MODULES", {"image": "absent", "audio": "fine", "timeseries": "partial"})
    result = bench.main(["--quick", "--json", str(tmp_path / "out.json")])
    assert result["image"]["status"] == "missing" and "absent.py does not exist" in result["image"]["error"]
    audio = result["audio"]
    assert audio["status"] == "ok" and audio["full"] is False  # quick: the shipped subset
    assert audio["targets"] == {"label_model >= majority_vote + 0.05": True,
                                "end_model > label_model and > majority_vote": True}
    assert result["timeseries"]["status"] == "incomplete" and "plain_f1" in result["timeseries"]["error"]
    assert result["timeseries"]["quick"] is True
    assert json.loads((tmp_path / "out.json").read_text()) == result
    monkeypatch.setattr(bench, "MODULES", {"image": "fails"})
    failed = bench.main(["--only", "image"])["image"]
    assert failed["status"] == "failed" and "RuntimeError: no data here" in failed["error"]
    printed = capsys.readouterr().out
    assert "image       MISSING" in printed and "speaker bo" in printed and "image       FAILED" in printed


@pytest.mark.slow
def test_quick_run_of_the_shipped_image_and_audio_examples(tmp_path, capsys):
    out = tmp_path / "modalities.json"
    result = _bench().main(["--quick", "--only", "image,audio", "--json", str(out)])
    saved = json.loads(out.read_text())
    assert saved == result and list(saved) == ["image", "audio"]
    image, audio = saved["image"], saved["audio"]
    assert image["status"] == audio["status"] == "ok", (image.get("error"), audio.get("error"))
    assert 0.0 <= image["accuracy"] <= 1.0 and image["prototypes_per_class"] <= 10
    assert all(0.0 <= audio[k] <= 1.0 for k in ("majority_vote", "label_model", "end_model"))
    assert set(image["targets"]) == {"accuracy >= 0.90", "prototypes_per_class <= 10"}
    assert "image       accuracy" in capsys.readouterr().out
