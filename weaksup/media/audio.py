"""Recordings as rows: :func:`load_audio` (a path, bytes or an array -> mono float32 samples and their rate) and
:class:`AudioFeatures` (a recording -> one float32 vector an LF reads: duration, RMS energy, zero-crossing rate,
spectral centroid, an MFCC summary and a fixed-length, time-pooled MFCC vector).

:class:`AudioFeatures` follows :class:`weaksup.media.features.FeatureExtractor`: a stable ``id`` (kinds, parameters
and the code version, never a path), one name per output column, and ``extractor(item)`` -> a 1-D float32 vector.
Give it to :func:`weaksup.media.features.extract` or ``media_preprocessor`` to compute each distinct recording once
(cached by content), or to ``weaksup.lf.affinity.affinity_lf`` to vote by similarity to a few labeled prototypes.
Needs ``pip install "weaksup[audio]"`` (soundfile, librosa).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from weaksup.errors import DataError, ParameterError
from weaksup.media.features import check_kinds, require, resolve_item, truncated_wav
from weaksup.media.paths import check_media_file

__all__ = ["AUDIO_KINDS", "MAX_CHANNELS", "AudioFeatures", "load_audio", "pool_frames"]

#: The feature groups :class:`AudioFeatures` computes, in output order.
AUDIO_KINDS = ("duration", "energy", "zcr", "centroid", "mfcc", "pooled")
#: A 2-D array of samples with at most this many rows and more columns than rows is refused as
#: ``(channels, samples)``: see :func:`load_audio`.
MAX_CHANNELS = 8
_VERSION = 2  # 2: unsigned integer samples centred, integers scaled by 2**(bits-1) before channels are averaged
#: Feature groups that read alike at any sampling rate (the others compare recordings at one rate only).
_RATE_FREE = frozenset({"duration", "energy"})
#: Sets of rates (with their first files) already warned about: once per process, however many extractors.
_WARNED: set[tuple[tuple[int, str], ...]] = set()
logger = logging.getLogger(__name__)
_STATS: dict[str, tuple[str, ...]] = {"duration": ("duration",), "energy": ("rms_mean", "rms_std", "rms_max"),
                                      "zcr": ("zcr_mean", "zcr_std", "zcr_max"),
                                      "centroid": ("centroid_mean", "centroid_std")}


def _librosa() -> Any:
    return require("librosa", "audio", "Audio features")


def _scaled(samples: np.ndarray, what: str) -> np.ndarray:
    """Samples as floats: PCM integers scaled to [-1, 1] as soundfile reads them (signed ``x / 2**(bits-1)``,
    unsigned centred ``(x - 2**(bits-1)) / 2**(bits-1)``: 8-bit WAV is unsigned), floats as they are."""
    if np.issubdtype(samples.dtype, np.integer):
        half = float(2 ** (np.iinfo(samples.dtype).bits - 1))
        centre = half if np.issubdtype(samples.dtype, np.unsignedinteger) else 0.0
        return (samples.astype(np.float64) - centre) / half
    if not np.issubdtype(samples.dtype, np.floating):
        raise DataError(f"{what}: audio samples of dtype {samples.dtype} are not numeric; give floats or ints")
    return samples


def _check_layout(samples: np.ndarray, what: str) -> None:
    """Refuse an array that reads as ``(channels, samples)`` (librosa's layout) where ``(samples, channels)`` is
    expected: at most :data:`MAX_CHANNELS` rows and more columns than rows."""
    if samples.ndim == 2 and samples.shape[0] <= MAX_CHANNELS and samples.shape[1] > samples.shape[0]:
        rows, cols = samples.shape
        raise DataError(f"{what}: an array of shape {samples.shape} looks like {rows} channel(s) of {cols} samples "
                        f"(channels first, as librosa.load(..., mono=False) gives), but a 2-D array is read as "
                        f"(samples, channels), which would make it {cols} channels of {rows} samples; pass array.T, "
                        "or a mono 1-D array (array.mean(axis=0), or librosa.load(..., mono=True))")


def _mono(samples: np.ndarray, what: str) -> np.ndarray:
    """Samples as mono float32: integers scaled to [-1, 1], channels averaged, checked finite and non-empty."""
    if samples.ndim not in (1, 2):
        raise DataError(f"{what}: audio of shape {samples.shape} is not a recording; give 1-D samples or "
                        "(samples, channels)")
    samples = _scaled(samples, what)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    out = np.asarray(samples, dtype=np.float32)
    if out.size == 0:
        raise DataError(f"{what}: the recording has no samples; drop the row or give a non-empty recording")
    if not np.isfinite(out).all():
        raise DataError(f"{what}: the recording holds NaN or infinite samples; clean or drop it")
    return out


def load_audio(item: Any, *, sr: int | None = None, root: str | os.PathLike[str] | None = None
               ) -> tuple[np.ndarray, int]:
    """A recording as mono float32 samples and their sampling rate.

    Parameters
    ----------
    item : str, Path, bytes or numpy.ndarray
        A sound file path (WAV, FLAC, OGG: anything ``soundfile`` reads), a file's bytes, or an array of samples
        (``(n,)`` or ``(n, channels)``; needs ``sr``). Integer samples are PCM, scaled to [-1, 1] as soundfile
        reads a file: signed ``x / 2**(bits-1)``, unsigned (8-bit WAV, as ``scipy.io.wavfile.read`` returns it)
        centred, ``(x - 2**(bits-1)) / 2**(bits-1)``. An array of at most :data:`MAX_CHANNELS` rows and more
        columns than rows is refused: it is ``(channels, n)`` (librosa's layout with ``mono=False``), which would
        be read as ``n`` channels of a few samples; pass its transpose ``array.T``.
    sr : int, optional
        Resample to this rate (``librosa.resample``); for an array, the rate its samples are at.
    root : str or Path, optional
        The folder relative paths are taken from (default: the working directory).

    Returns
    -------
    (numpy.ndarray, int)
        The samples (1-D float32; channels averaged) and the rate.

    Raises
    ------
    DataError
        A missing or unreadable file, a folder, an empty recording, an array without ``sr`` or in
        ``(channels, n)`` layout, named with the fix.

    Examples
    --------
    >>> samples, rate = load_audio(np.array([0, 16384, -16384], dtype=np.int16), sr=8000)
    >>> samples.tolist(), rate
    ([0.0, 0.5, -0.5], 8000)
    >>> load_audio(np.array([128, 192, 64], dtype=np.uint8), sr=8000)[0].tolist()  # 8-bit PCM: unsigned
    [0.0, 0.5, -0.5]
    """
    if sr is not None and (not isinstance(sr, (int, np.integer)) or isinstance(sr, bool) or sr < 1):
        raise ParameterError(f"load_audio(sr={sr!r}): give a positive int (samples per second) or None")
    if isinstance(item, np.ndarray):
        if sr is None:
            raise DataError("load_audio: an array of samples needs its sampling rate; pass sr= (e.g. sr=16000)")
        _check_layout(item, "load_audio(array)")
        return _mono(item, "load_audio(array)"), int(sr)
    soundfile = require("soundfile", "audio", "Audio features")
    if isinstance(item, (bytes, bytearray, memoryview)):
        what = f"load_audio({len(bytes(item)):,} bytes)"
        try:
            samples, rate = soundfile.read(io.BytesIO(bytes(item)), dtype="float32", always_2d=False)
        except (RuntimeError, ValueError, TypeError) as exc:  # soundfile.LibsndfileError is a RuntimeError
            raise DataError(f"{what}: not a sound file soundfile can read ({exc}); give the bytes of a WAV/FLAC/OGG "
                            "file") from None
    elif isinstance(item, (str, os.PathLike)):
        full = check_media_file(item, root, "audio", "sound file")
        what = f"audio file {str(full)!r}"
        try:
            samples, rate = soundfile.read(str(full), dtype="float32", always_2d=False)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise DataError(f"{what} cannot be read as audio ({exc}); replace or remove it (soundfile reads WAV, "
                            "FLAC, OGG; convert other formats first)") from None
    else:
        raise DataError(f"load_audio: cannot read audio from {type(item).__name__} {item!r:.80}; give a file path, "
                        "its bytes or a numpy array of samples (with sr=)")
    if cut := truncated_wav(resolve_item(item, root)):  # (soundfile reads a cut WAV up to the cut, no error)
        raise DataError(f"{what} is {cut}; replace it with the whole file, or drop the row")
    samples = _mono(np.asarray(samples), what)
    if sr is not None and int(rate) != int(sr):
        samples = np.asarray(_librosa().resample(samples, orig_sr=int(rate), target_sr=int(sr)), dtype=np.float32)
        rate = sr
    return samples, int(rate)


def _declared_rate(item: Any) -> int | None:
    """The sampling rate a sound file (a path or its bytes) declares in its header; None for anything else or a
    file soundfile cannot read (reading it for its features names that)."""
    if not isinstance(item, (str, os.PathLike, bytes, bytearray, memoryview)):
        return None
    soundfile = require("soundfile", "audio", "Audio features")
    source = str(item) if isinstance(item, (str, os.PathLike)) else io.BytesIO(bytes(item))
    try:
        return int(soundfile.info(source).samplerate)
    except (RuntimeError, ValueError, TypeError, OSError):  # soundfile.LibsndfileError is a RuntimeError
        return None


def pool_frames(frames: np.ndarray, segments: int) -> np.ndarray:
    """Mean of each of ``segments`` equal stretches of the frame axis: ``(d, t)`` -> ``(d, segments)``.

    A recording of any length gives one fixed-length matrix (its frames are shared out in time order; a stretch
    shorter than one frame takes the frame it falls in).

    Examples
    --------
    >>> pool_frames(np.arange(8.0).reshape(1, 8), 4).tolist()
    [[0.5, 2.5, 4.5, 6.5]]
    >>> pool_frames(np.array([[1.0, 3.0]]), 4).tolist()
    [[1.0, 1.0, 3.0, 3.0]]
    """
    if segments < 1:
        raise ParameterError(f"pool_frames(segments={segments!r}): give a positive int")
    d, t = frames.shape
    if t == 0:
        raise DataError("pool_frames: no frames to pool; the recording is empty")
    bounds = np.linspace(0.0, float(t), segments + 1)
    out = np.empty((d, segments), dtype=np.float64)
    for j in range(segments):
        start = min(int(np.floor(bounds[j])), t - 1)
        stop = max(int(np.ceil(bounds[j + 1])), start + 1)
        out[:, j] = frames[:, start:stop].mean(axis=1)
    return out


class AudioFeatures:
    """A feature extractor for recordings: a recording (see :func:`load_audio`) -> one float32 vector.

    Frames are ``window`` seconds long (FFT size: the next power of two) every ``hop`` seconds.

    Parameters
    ----------
    kinds : sequence of str, default ("duration", "energy", "zcr", "centroid", "mfcc")
        Groups of features, any of :data:`AUDIO_KINDS`: ``duration`` (seconds), ``energy`` (frame RMS: mean, std,
        max), ``zcr`` (frame zero-crossing rate: mean, std, max), ``centroid`` (spectral centroid in Hz: mean,
        std), ``mfcc`` (each of ``n_mfcc`` MFCCs' mean over the frames, then each one's std) and ``pooled`` (the
        MFCCs averaged over ``segments`` equal stretches of the recording, ``mfcc<i>_t<j>``: a fixed-length
        summary that keeps the order of the sounds, for similarity to prototypes).
    sr : int, optional
        Resample every recording to this rate first (default: keep each file's rate; arrays need it). Features of
        recordings at different rates cannot be compared: with ``sr`` unset, :meth:`check_items` warns when the
        recordings' rates differ.
    n_mfcc : int, default 13
    n_mels : int, default 40
        Mel bands the MFCCs are computed from.
    segments : int, default 6
        Stretches of ``pooled``.
    centre : bool, default False
        ``pooled`` minus each MFCC's mean over the recording (cepstral mean normalisation): the shape of the sound
        over time without the speaker's and the microphone's average spectrum.
    window, hop : float, default 0.032, 0.010
        Frame length and step in seconds.
    root : str or Path, optional
        The folder relative paths are read from when the extractor is called on one item
        (``features("recordings/a.wav")``); not part of ``id`` (features are cached by content).
        :func:`~weaksup.media.features.extract`, ``media_preprocessor`` and ``affinity_lf`` hash the file before
        calling the extractor, so give them their own ``root=``: this one does not reach them.

    Raises
    ------
    ImportError
        soundfile or librosa is not installed (``pip install "weaksup[audio]"``): said when the extractor is made
        (an LF module defining it fails to import, so a run stops before any row), never as a fault of a row.

    Examples
    --------
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype(np.float32)
    >>> features = AudioFeatures(["duration", "zcr", "centroid"], sr=8000)
    >>> features.id
    'audio@2:kinds=duration+zcr+centroid,sr=8000,win=0.032,hop=0.01'
    >>> vector = features(tone)
    >>> float(vector[0]), round(float(vector[1]), 2), 400 < float(vector[4]) < 500
    (1.0, 0.11, True)
    >>> AudioFeatures(["mfcc", "pooled"], n_mfcc=2, segments=3).names
    ('mfcc0_mean', 'mfcc1_mean', 'mfcc0_std', 'mfcc1_std', 'mfcc0_t0', 'mfcc0_t1', 'mfcc0_t2', 'mfcc1_t0', 'mfcc1_t1', 'mfcc1_t2')
    """

    def __init__(self, kinds: Sequence[str] = ("duration", "energy", "zcr", "centroid", "mfcc"), *,
                 sr: int | None = None, n_mfcc: int = 13, n_mels: int = 40, segments: int = 6, centre: bool = False,
                 window: float = 0.032, hop: float = 0.010, root: str | os.PathLike[str] | None = None) -> None:
        self.kinds = check_kinds(kinds, AUDIO_KINDS, "AudioFeatures")
        for module in ("soundfile", "librosa"):  # the extra, checked now: not one fault per row later
            require(module, "audio", "Audio features")
        for name, value in (("sr", sr), ("n_mfcc", n_mfcc), ("n_mels", n_mels), ("segments", segments)):
            if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool)
                                      or value < 1):
                raise ParameterError(f"AudioFeatures({name}={value!r}): give a positive int")
        if not (0 < hop <= window < 10):
            raise ParameterError(f"AudioFeatures(window={window!r}, hop={hop!r}): give seconds with "
                                 "0 < hop <= window < 10 (e.g. window=0.032, hop=0.010)")
        if n_mfcc > n_mels:
            raise ParameterError(f"AudioFeatures(n_mfcc={n_mfcc}, n_mels={n_mels}): n_mfcc cannot exceed n_mels")
        self.sr = None if sr is None else int(sr)
        self.n_mfcc, self.n_mels, self.segments = int(n_mfcc), int(n_mels), int(segments)
        self.window, self.hop, self.centre, self.root = float(window), float(hop), bool(centre), root
        names: list[str] = [n for k in self.kinds if k in _STATS for n in _STATS[k]]
        if "mfcc" in self.kinds:
            names += [f"mfcc{i}_mean" for i in range(self.n_mfcc)] + [f"mfcc{i}_std" for i in range(self.n_mfcc)]
        if "pooled" in self.kinds:
            names += [f"mfcc{i}_t{j}" for i in range(self.n_mfcc) for j in range(self.segments)]
        self.names: tuple[str, ...] = tuple(names)
        parts = [f"kinds={'+'.join(self.kinds)}", f"sr={self.sr or 'native'}", f"win={self.window:g}",
                 f"hop={self.hop:g}"]
        if "mfcc" in self.kinds or "pooled" in self.kinds:
            parts.append(f"mfcc={self.n_mfcc}/{self.n_mels}")
        if "pooled" in self.kinds:
            parts.append(f"segments={self.segments}" + (",centre" if self.centre else ""))
        self.id = f"audio@{_VERSION}:" + ",".join(parts)
        self._rate_of: dict[bytes, tuple[int, str]] = {}  # content key -> (declared rate, how it is named)
        self.short_recordings = 0  # recordings shorter than one frame (logged once)

    def check_items(self, items: Mapping[bytes, Any]) -> None:
        """Warn when recordings at different sampling rates meet in these features while ``sr`` is unset.

        :func:`~weaksup.media.features.extract_rows` (``extract``, ``media_preprocessor``, ``affinity_lf``) calls
        it with every distinct item (content key -> file path or bytes) before any vector is computed or read from
        the cache; the rates seen add up over the calls (the rows of every batch, an affinity LF's prototypes).
        Read at its own rate, an 8 kHz and a 16 kHz recording of the same sound get different MFCCs (their mel
        bands span 0 to half the rate), zero-crossing rates (counted per sample) and centroids: they cannot be
        compared. The warning names the rates, a few files of each and the fix (``sr=``: every recording is
        resampled to that rate, which the ``id`` records); once per process for a set of rates. With ``sr`` set,
        or only ``duration`` and ``energy`` (alike at any rate), there is nothing to check.

        Examples
        --------
        >>> import tempfile, soundfile
        >>> folder = tempfile.mkdtemp()
        >>> for name, rate in (("low.wav", 8000), ("high.wav", 16000)):
        ...     soundfile.write(f"{folder}/{name}", np.zeros(rate // 10, dtype=np.float32), rate)
        >>> from weaksup.media.features import extract
        >>> native = extract(["low.wav", "high.wav"], AudioFeatures(["zcr"]), root=folder, cache=False,
        ...                  progress=False)  # logs the warning: 8000 Hz and 16000 Hz, the fix sr=8000
        >>> one_rate = AudioFeatures(["zcr"], sr=8000)  # every recording resampled to 8 kHz: nothing to warn about
        >>> one_rate.id, extract(["low.wav", "high.wav"], one_rate, root=folder, cache=False, progress=False).shape
        ('audio@2:kinds=zcr,sr=8000,win=0.032,hop=0.01', (2, 3))
        """
        if self.sr is not None or set(self.kinds) <= _RATE_FREE:
            return
        for key, item in items.items():
            if key not in self._rate_of:
                rate = _declared_rate(item)
                if rate is not None:
                    shown = str(item) if isinstance(item, (str, os.PathLike)) else f"<{len(bytes(item)):,} bytes>"
                    self._rate_of[key] = (rate, shown)
        files: dict[int, list[str]] = {}
        for rate, shown in self._rate_of.values():
            files.setdefault(rate, []).append(shown)
        seen = tuple(sorted((rate, names[0]) for rate, names in files.items()))
        if len(files) < 2 or seen in _WARNED:
            return
        _WARNED.add(seen)
        each = "; ".join(f"{rate} Hz: {len(names):,} file(s), e.g. " + ", ".join(repr(x) for x in names[:3])
                         for rate, names in sorted(files.items()))
        logger.warning(
            "AudioFeatures %s reads recordings at %d sampling rates (%s). With sr unset each one is read at its own "
            "rate, and the features of different rates cannot be compared (the MFCCs' mel bands span 0 to half the "
            "rate, the zero-crossing rate counts per sample): LFs, prototypes and end models would compare unlike "
            "things. Fix: AudioFeatures(..., sr=%d) resamples every recording to one rate first (its id records "
            "the rate, so vectors cached at the native rates are not reused), or convert the files to one rate",
            self.id, len(files), each, min(files))

    def __repr__(self) -> str:
        return f"AudioFeatures({self.id!r})"

    def frames(self, rate: int) -> tuple[int, int]:
        """``(n_fft, hop_length)`` in samples at ``rate``: the window rounded up to a power of two, and the hop.

        Examples
        --------
        >>> AudioFeatures().frames(8000), AudioFeatures().frames(16000)
        ((256, 80), (512, 160))
        """
        n_fft = 1 << max(int(np.ceil(np.log2(max(self.window * rate, 2.0)))), 1)
        return n_fft, max(int(round(self.hop * rate)), 1)

    def __call__(self, item: Any) -> np.ndarray:
        """The feature vector of one recording (float32, ``len(self.names)`` values)."""
        samples, rate = load_audio(item, sr=self.sr, root=self.root)
        if len(samples) >= self.frames(rate)[0] or self.kinds == ("duration",):
            return self._vector(samples, rate)
        self.short_recordings += 1
        if self.short_recordings == 1:
            logger.warning("AudioFeatures %s: a recording (%s) has %d samples, fewer than one frame (n_fft=%d at "
                           "%d Hz): its frame features are computed over zero padding (counted in "
                           "short_recordings); drop such recordings or use a shorter window=", self.id,
                           item if isinstance(item, (str, os.PathLike)) else type(item).__name__, len(samples),
                           self.frames(rate)[0], rate)
        return self._vector(samples, rate)

    def _vector(self, samples: np.ndarray, rate: int) -> np.ndarray:
        librosa = _librosa()
        n_fft, hop = self.frames(rate)
        # The spectral features' frames, centred: for a recording shorter than a frame, padded here as librosa pads
        # them (n_fft // 2 zeros each side), so that librosa does not warn "n_fft is too large" (silencing it would
        # change the process-wide warning filters, which no thread may do while another computes).
        centred = len(samples) >= n_fft
        spectral = samples if centred else np.pad(samples, n_fft // 2)
        out: list[np.ndarray] = []
        if "duration" in self.kinds:
            out.append(np.array([len(samples) / rate]))
        if "energy" in self.kinds:
            rms = librosa.feature.rms(y=samples, frame_length=n_fft, hop_length=hop)[0]
            out.append(np.array([rms.mean(), rms.std(), rms.max()]))
        if "zcr" in self.kinds:
            zcr = librosa.feature.zero_crossing_rate(samples, frame_length=n_fft, hop_length=hop)[0]
            out.append(np.array([zcr.mean(), zcr.std(), zcr.max()]))
        if "centroid" in self.kinds:
            centroid = librosa.feature.spectral_centroid(y=spectral, sr=rate, n_fft=n_fft, hop_length=hop,
                                                         center=centred)[0]
            out.append(np.array([centroid.mean(), centroid.std()]))
        if "mfcc" in self.kinds or "pooled" in self.kinds:
            mfcc = librosa.feature.mfcc(y=spectral, sr=rate, n_mfcc=self.n_mfcc, n_fft=n_fft, hop_length=hop,
                                        n_mels=self.n_mels, center=centred)
            if "mfcc" in self.kinds:
                out.extend([mfcc.mean(axis=1), mfcc.std(axis=1)])
            if "pooled" in self.kinds:
                pooled = pool_frames(mfcc, self.segments)
                if self.centre:
                    pooled -= mfcc.mean(axis=1, keepdims=True)
                out.append(pooled.reshape(-1))
        vector: np.ndarray = np.nan_to_num(np.concatenate(out)).astype(np.float32)
        assert vector.shape == (len(self.names),)
        return vector
