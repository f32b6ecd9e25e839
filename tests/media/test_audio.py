"""weaksup.media.audio: load_audio from paths, bytes and arrays; AudioFeatures' names, id and values on real audio."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
import soundfile

from tests.conftest import REPO
from weaksup.errors import DataError, ParameterError
from weaksup.media.audio import AUDIO_KINDS, AudioFeatures, load_audio, pool_frames
from weaksup.media.features import FeatureExtractor, extract

RATE = 8000
RECORDING = REPO / "data" / "fsdd" / "recordings" / "fsdd-000.wav"  # a real FSDD recording (jackson, "four")


def _tone(freq: float, seconds: float = 0.5, rate: int = RATE) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def test_load_audio_reads_a_path_its_bytes_and_a_relative_path_the_same():
    samples, rate = load_audio(RECORDING)
    assert rate == RATE and samples.dtype == np.float32 and samples.ndim == 1 and len(samples) > 1000
    again, _ = load_audio(RECORDING.read_bytes())
    relative, _ = load_audio("recordings/fsdd-000.wav", root=REPO / "data" / "fsdd")
    assert np.array_equal(samples, again) and np.array_equal(samples, relative)
    assert -1.0 <= samples.min() and samples.max() <= 1.0


def test_load_audio_mixes_stereo_and_resamples(tmp_path):
    left, right = _tone(440), np.zeros(4000, dtype=np.float32)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, right], axis=1), RATE)
    samples, rate = load_audio(path)
    assert rate == RATE and np.allclose(samples, left / 2, atol=1e-3)
    resampled, rate = load_audio(path, sr=16000)
    assert rate == 16000 and abs(len(resampled) - 8000) <= 2


@pytest.mark.parametrize(("item", "match"), [
    ("no/such/file.wav", "does not exist"),
    (b"not a sound file", "not a sound file"),
    (np.zeros(0, dtype=np.float32), "no samples"),
    (12, "cannot read audio from int"),
])
def test_load_audio_refuses_bad_items_with_the_fix(item, match):
    with pytest.raises(DataError, match=match):
        load_audio(item, sr=RATE)


def test_an_array_needs_its_rate():
    with pytest.raises(DataError, match="pass sr="):
        load_audio(_tone(440))


def test_features_follow_the_extractor_contract_and_measure_the_signal():
    features = AudioFeatures(AUDIO_KINDS, n_mfcc=13, segments=6, sr=RATE)
    assert isinstance(features, FeatureExtractor)
    assert len(features.names) == 1 + 3 + 3 + 2 + 26 + 78 == len(set(features.names))
    low, high = features(_tone(300)), features(_tone(2000))
    assert low.shape == (len(features.names),) and low.dtype == np.float32
    column = dict(zip(features.names, range(len(features.names))))
    assert low[column["duration"]] == pytest.approx(0.5)
    assert low[column["rms_mean"]] == pytest.approx(0.5 / np.sqrt(2), rel=0.05)  # a sine's RMS
    assert high[column["zcr_mean"]] > 4 * low[column["zcr_mean"]]  # 2 kHz crosses zero ~7x as often as 300 Hz
    assert 1800 < high[column["centroid_mean"]] < 2200 and 200 < low[column["centroid_mean"]] < 400
    real = features(RECORDING)
    assert np.isfinite(real).all() and real[column["duration"]] == pytest.approx(len(load_audio(RECORDING)[0]) / RATE)


def test_the_id_changes_with_every_parameter_and_never_with_the_root():
    ids = {AudioFeatures().id, AudioFeatures(n_mfcc=12).id, AudioFeatures(["pooled"]).id,
           AudioFeatures(["pooled"], segments=4).id, AudioFeatures(["pooled"], centre=True).id,
           AudioFeatures(sr=16000).id, AudioFeatures(hop=0.02).id}
    assert len(ids) == 7
    assert AudioFeatures(root="/a").id == AudioFeatures(root="/b").id


def test_pooled_mfccs_have_one_length_for_any_duration_and_centre_removes_the_mean():
    pooled = AudioFeatures(["pooled"], segments=5, sr=RATE)
    short, long = pooled(_tone(440, 0.05)), pooled(_tone(440, 2.0))
    assert short.shape == long.shape == (13 * 5,)
    centred = AudioFeatures(["pooled"], segments=5, centre=True)(RECORDING).reshape(13, 5)
    assert np.abs(centred.mean(axis=1)).max() < 0.2 * np.abs(centred).max()
    assert pool_frames(np.arange(6.0).reshape(1, 6), 3).tolist() == [[0.5, 2.5, 4.5]]


@pytest.mark.parametrize("kwargs", [{"kinds": ["pitch"]}, {"kinds": []}, {"n_mfcc": 0}, {"segments": -1},
                                    {"window": 0.01, "hop": 0.02}, {"n_mfcc": 50, "n_mels": 40}])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ParameterError):
        AudioFeatures(**kwargs)


def test_extract_caches_by_content_and_names_a_broken_file(tmp_path):
    from weaksup.embed.cache import EmbeddingCache

    copy = tmp_path / "copy.wav"
    copy.write_bytes(RECORDING.read_bytes())
    cache = EmbeddingCache(":memory:")
    features = AudioFeatures(["duration", "zcr"])
    vectors = extract([RECORDING, copy, io.BytesIO(RECORDING.read_bytes()).getvalue()], features, cache=cache,
                      progress=False)
    assert np.array_equal(vectors[0], vectors[1]) and np.array_equal(vectors[0], vectors[2])
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEfmt garbage")
    with pytest.raises(DataError, match="broken.wav"):
        extract([broken], features, cache=False, progress=False)


def test_without_librosa_the_error_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "librosa", None)  # as if not installed: import raises ImportError
    with pytest.raises(ImportError, match=r'pip install "weaksup\[audio\]"'):
        AudioFeatures(["zcr"], sr=RATE)(_tone(440))
