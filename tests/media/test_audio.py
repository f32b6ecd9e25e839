"""weaksup.media.audio: load_audio from paths, bytes and arrays; AudioFeatures' names, id and values on real audio."""

from __future__ import annotations

import io
import shutil
import sys
import wave as stdlib_wave

import numpy as np
import pandas as pd
import pytest
import soundfile
from scipy.io import wavfile

from tests.conftest import REPO
from weaksup.errors import DataError, ParameterError
from weaksup.media.audio import AUDIO_KINDS, MAX_CHANNELS, AudioFeatures, load_audio, pool_frames
from weaksup.media.columns import MediaColumns
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


def test_without_librosa_the_extractor_is_refused_when_made_and_extract_never_blames_the_row(hide):
    made = AudioFeatures(["zcr"], sr=RATE)  # before: librosa is imported only on the first recording
    hide("librosa")
    with pytest.raises(ImportError, match=r'pip install "weaksup\[audio\]"'):
        AudioFeatures(["zcr"], sr=RATE)  # an LF module making it fails to import: the run stops before any row
    with pytest.raises(ImportError, match=r'pip install "weaksup\[audio\]"') as info:
        extract([_tone(440)], made, cache=False, progress=False)
    assert not isinstance(info.value, DataError) and getattr(info.value, "stops_run", False)


@pytest.mark.parametrize("channels", [1, 2])
def test_integer_pcm_arrays_read_as_their_wav_file_does(tmp_path, channels):
    """scipy.io.wavfile.read gives 8-bit WAV as uint8 (unsigned, silence at 128) and 16/32-bit as signed ints."""
    wave = 0.5 * np.sin(2 * np.pi * 440 * np.arange(800) / RATE)
    for pcm in (np.rint(128 + 127 * wave).astype(np.uint8), np.rint(32767 * wave).astype(np.int16),
                np.rint(2**31 * 0.9 * wave).astype(np.int32)):
        array = np.stack([pcm] * channels, axis=1) if channels == 2 else pcm
        path = tmp_path / f"{pcm.dtype}.wav"
        wavfile.write(path, RATE, array)
        from_file, _ = load_audio(path)
        from_array, _ = load_audio(wavfile.read(path)[1], sr=RATE)
        assert np.allclose(from_array, from_file, atol=1e-6), pcm.dtype
        assert abs(float(from_array.mean())) < 0.01 and 0.44 < float(from_array.max()) <= 0.51, pcm.dtype


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32])
def test_every_integer_width_spans_minus_one_to_one_with_silence_at_zero(dtype):
    info = np.iinfo(dtype)
    silence = (int(info.min) + int(info.max) + 1) // 2  # 128 for uint8, 0 for signed
    samples, _ = load_audio(np.array([info.min, silence, info.max], dtype=dtype), sr=RATE)
    assert samples[0] == -1.0 and samples[1] == 0.0 and 0.99 <= samples[2] <= 1.0


def test_features_of_8_bit_pcm_are_those_of_its_centred_floats():
    pcm = np.rint(128 + 100 * np.sin(2 * np.pi * 440 * np.arange(4000) / RATE)).astype(np.uint8)
    features = AudioFeatures(["energy", "zcr"], sr=RATE)
    assert features.id.startswith("audio@2:")  # a new version: vectors cached from the old scaling are not reused
    expected = features(((pcm.astype(np.float64) - 128) / 128).astype(np.float32))
    assert np.allclose(features(pcm), expected, atol=1e-5)
    assert features(pcm)[features.names.index("zcr_mean")] > 0.05  # uncentred samples never cross zero


def test_a_channels_first_array_is_refused_with_the_fix():
    stereo = np.stack([_tone(440, 0.8), _tone(440, 0.8)])  # librosa.load(..., mono=False): (channels, samples)
    assert stereo.shape == (2, 6400)
    with pytest.raises(DataError, match=r"shape \(2, 6400\).*2 channel\(s\) of 6400 samples.*array\.T"):
        load_audio(stereo, sr=RATE)
    with pytest.raises(DataError, match=r"array\.T"):
        AudioFeatures(["duration"], sr=RATE)(stereo)
    assert load_audio(stereo.T, sr=RATE)[0].shape == (6400,)  # (samples, channels), as documented
    assert load_audio(np.zeros((3, 3), dtype=np.float32), sr=RATE)[0].shape == (3,)  # square: samples first
    with pytest.raises(DataError, match=f"{MAX_CHANNELS} channel"):
        load_audio(np.zeros((MAX_CHANNELS, 100), dtype=np.float32), sr=RATE)


def test_a_folder_is_named_a_folder_not_a_missing_file(tmp_path):
    (tmp_path / "recordings").mkdir()
    for item, root in ((tmp_path / "recordings", None), ("recordings", tmp_path)):
        with pytest.raises(DataError, match="is a folder, not a file") as info:
            load_audio(item, root=root)
        assert "does not exist" not in str(info.value)


def _two_rates(folder):
    """The same 440 Hz tone, half a second, as a 16-bit WAV at 8 kHz (the standard library's wave module) and at
    16 kHz (soundfile)."""
    folder.mkdir(parents=True, exist_ok=True)
    with stdlib_wave.open(str(folder / "tone-8k.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.rint(32767 * _tone(440, rate=8000)).astype("<i2").tobytes())
    soundfile.write(folder / "tone-16k.wav", _tone(440, rate=16000), 16000, subtype="PCM_16")
    return ["tone-8k.wav", "tone-16k.wav"]


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "weaksup.media.audio"]


def test_recordings_at_two_rates_are_named_with_the_fix_and_sr_reads_them_at_one(tmp_path, caplog):
    from weaksup.embed.cache import EmbeddingCache

    files = _two_rates(tmp_path / "a")
    cache = EmbeddingCache(tmp_path / "features.sqlite")
    native = AudioFeatures(["zcr", "mfcc"])
    with caplog.at_level("WARNING"):
        X = extract(files, native, root=tmp_path / "a", cache=cache, progress=False)
    zcr = native.names.index("zcr_mean")
    assert X[0, zcr] == pytest.approx(2 * X[1, zcr], rel=0.1)  # the same tone: at its own rate, twice the crossings
    [warning] = _warnings(caplog)
    for part in ("2 sampling rates", "8000 Hz: 1 file(s)", "16000 Hz: 1 file(s)", "tone-8k.wav", "tone-16k.wav",
                 "cannot be compared", "AudioFeatures(..., sr=8000)", native.id):
        assert part in warning
    # declared: every recording is resampled to 8 kHz first, the id says so, and nothing is to warn about
    caplog.clear()
    one_rate = AudioFeatures(["zcr", "mfcc"], sr=8000)
    assert "sr=8000" in one_rate.id and "sr=native" in native.id
    with caplog.at_level("WARNING"):
        Y = extract(files, one_rate, root=tmp_path / "a", cache=cache, progress=False)
    assert not _warnings(caplog)
    assert Y[0, zcr] == pytest.approx(Y[1, zcr], rel=0.05)  # comparable now
    assert np.allclose(Y[0], X[0]) and not np.allclose(Y[1], X[1])  # the 8 kHz file is as it was, the 16 kHz one not
    assert np.allclose(Y[1], one_rate(tmp_path / "a" / "tone-16k.wav"), atol=1e-4)  # not the native-rate vector
    # only the duration and the energy: alike at any rate, nothing to warn about
    with caplog.at_level("WARNING"):
        extract(files, AudioFeatures(["duration", "energy"]), root=tmp_path / "a", cache=False, progress=False)
    assert not _warnings(caplog)


class _Counting(AudioFeatures):
    """AudioFeatures that count the recordings they compute (a vector read from the cache is not one)."""

    calls = 0

    def __call__(self, item):
        type(self).calls += 1
        return super().__call__(item)


def test_the_rates_are_checked_for_cached_vectors_and_across_batches(tmp_path, caplog):
    from weaksup.embed.cache import EmbeddingCache

    cache = EmbeddingCache(tmp_path / "features.sqlite")
    files = _two_rates(tmp_path / "a")
    extract(files, AudioFeatures(["pooled"], segments=4), root=tmp_path / "a", cache=cache, progress=False)
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # the same recordings in another folder: their vectors cached
    caplog.clear()
    with caplog.at_level("WARNING"):
        extract(files, _Counting(["pooled"], segments=4), root=tmp_path / "b", cache=cache, progress=False)
    assert _Counting.calls == 0 and len(_warnings(caplog)) == 1 and str(tmp_path / "b") in _warnings(caplog)[0]
    # a run's batches: the 8 kHz file in one, the 16 kHz one in the next; the second one warns
    _two_rates(tmp_path / "c")
    columns = MediaColumns(AudioFeatures(["zcr"]), "path", "audio", False, tmp_path / "c")
    caplog.clear()
    with caplog.at_level("WARNING"):
        first = columns(pd.DataFrame({"path": ["tone-8k.wav"]}))
        assert not _warnings(caplog) and len(first["audio_zcr_mean"]) == 1
        columns(pd.DataFrame({"path": ["tone-16k.wav"]}))
    [warning] = _warnings(caplog)
    assert "8000 Hz: 1 file(s)" in warning and "16000 Hz: 1 file(s)" in warning and "sr=8000" in warning


def test_an_affinity_lf_with_prototypes_at_another_rate_than_its_rows_warns(tmp_path, caplog):
    from weaksup import LabelSpace
    from weaksup.media import affinity_lf

    _two_rates(tmp_path)
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, 8000).astype(np.float32)
    soundfile.write(tmp_path / "noise-16k.wav", noise, 16000, subtype="PCM_16")
    with caplog.at_level("WARNING"):
        near = affinity_lf("near", {"tone": ["tone-16k.wav"], "noise": ["noise-16k.wav"]},
                           features=AudioFeatures(["pooled"], segments=4), field="path", root=tmp_path,
                           label_space=LabelSpace(["tone", "noise"]), margin=0.0)
        assert not _warnings(caplog)  # the prototypes alone: one rate
        near({"path": "tone-8k.wav"})  # a row at 8 kHz compared with the 16 kHz prototypes
    [warning] = _warnings(caplog)
    assert "8000 Hz: 1 file(s)" in warning and "16000 Hz: 2 file(s)" in warning and "sr=8000" in warning


def test_a_truncated_wav_is_a_fault_of_its_row_naming_the_file(tmp_path):
    import pandas as pd

    from weaksup import apply_lfs
    from weaksup.lf.affinity import affinity_lf

    whole = RECORDING.read_bytes()
    half = tmp_path / "half.wav"
    half.write_bytes(whole[:len(whole) // 2])  # soundfile reads it up to the cut without an error
    assert len(soundfile.read(half)[0]) > 0
    with pytest.raises(DataError, match=r"half\.wav' is a truncated WAV: its header declares [\d,]+ bytes"):
        load_audio(half)
    with pytest.raises(DataError, match="a truncated WAV"):
        load_audio("half.wav", root=tmp_path)
    with pytest.raises(DataError, match="a truncated WAV"):
        load_audio(half.read_bytes())
    assert load_audio(RECORDING)[0].size > 0  # a whole file reads as before
    features = AudioFeatures(["duration"])
    with pytest.raises(DataError, match=r"half\.wav"):
        extract([half], features, cache=False, progress=False)
    lf = affinity_lf("near", {0: [str(RECORDING)], 1: [str(RECORDING)]}, features=features, cache=False)
    votes = apply_lfs([lf], pd.DataFrame({"path": [str(half), str(RECORDING)]}), progress=False,
                      fault_tolerant=True)
    assert votes.faults == {"near": 1}



def test_a_recording_shorter_than_a_frame_is_said_once_in_weaksups_words(caplog, recwarn):
    features = AudioFeatures(["energy", "zcr", "mfcc"], sr=RATE)
    n_fft = features.frames(RATE)[0]
    with caplog.at_level("WARNING"):
        for n in (50, 60, 70):
            assert features(np.sin(np.arange(n) / 3).astype(np.float32)).shape == (len(features.names),)
        features(_tone(440.0))  # longer than a frame: nothing to say
    assert not [w for w in recwarn if "too large for input signal" in str(w.message)]  # librosa's, not leaked
    said = _warnings(caplog)
    assert len(said) == 1 and f"50 samples, fewer than one frame (n_fft={n_fft}" in said[0]
    assert features.short_recordings == 3


def test_short_recordings_from_two_threads_leave_the_users_warning_filters_alone(monkeypatch):
    # warnings.catch_warnings swaps the process-wide filter list: two threads inside it at once could restore the
    # other's list (a user's filter lost, librosa's leaked) or let librosa's warning through. Here thread A starts
    # first and finishes while thread B is still computing, the interleaving that showed both.
    import threading
    import warnings

    import librosa

    features = AudioFeatures(["centroid", "mfcc"], sr=RATE)
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()
    real_mfcc = librosa.feature.mfcc

    def mfcc(*args, **kwargs):
        if threading.current_thread().name == "A":
            a_inside.set()
            b_inside.wait(30)  # (deadlock guards only)
        else:
            b_inside.set()
            a_done.wait(30)
        return real_mfcc(*args, **kwargs)

    monkeypatch.setattr(librosa.feature, "mfcc", mfcc)
    short = np.sin(np.arange(60) / 3).astype(np.float32)
    out: dict[str, np.ndarray] = {}

    def work() -> None:
        out[threading.current_thread().name] = features(short)
        if threading.current_thread().name == "A":
            a_done.set()

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        warnings.filterwarnings("error", message="a user's own filter")
        before = list(warnings.filters)
        a = threading.Thread(target=work, name="A")
        a.start()
        assert a_inside.wait(30)
        b = threading.Thread(target=work, name="B")
        b.start()
        a.join()
        b.join()
        assert list(warnings.filters) == before
    assert not [w for w in shown if "too large for input signal" in str(w.message)]
    assert np.array_equal(out["A"], out["B"]) and features.short_recordings == 2


def test_a_short_recordings_features_are_librosas_centred_frames():
    # the short recording is padded as librosa's centred frames pad it: the same values as before, without its warning
    import warnings

    import librosa

    features = AudioFeatures(["centroid", "mfcc"], sr=RATE)
    n_fft, hop = features.frames(RATE)
    short = np.sin(np.arange(60) / 3).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        centroid = librosa.feature.spectral_centroid(y=short, sr=RATE, n_fft=n_fft, hop_length=hop)[0]
        mfcc = librosa.feature.mfcc(y=short, sr=RATE, n_mfcc=features.n_mfcc, n_fft=n_fft, hop_length=hop,
                                    n_mels=features.n_mels)
    want = np.concatenate([[centroid.mean(), centroid.std()], mfcc.mean(axis=1), mfcc.std(axis=1)])
    assert np.array_equal(features(short), np.nan_to_num(want).astype(np.float32))
