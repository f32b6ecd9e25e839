"""LFs of the shipped audio example: the spoken digit of a Free Spoken Digit Dataset recording (data/fsdd/).

Written on the dev speakers only: the prototypes are ten labeled recordings per digit of ONE speaker
(``data/fsdd/prototypes.csv``, jackson's takes 0-9, no row of the input); the views, margins and thresholds were
chosen by their accuracy on the dev gold speaker (nicolas). The four test speakers were never listened to.

- Affinity LFs (:func:`weaksup.lf.affinity.affinity_lf`): a recording votes the digit whose prototypes it is most
  like (cosine, nearest prototype, features standardised by the prototypes' statistics) in one of several views of
  its MFCCs: the MFCCs time-pooled into 4, 6, 8 or 10 stretches (the order of the sounds), the same centred on the
  recording's own mean (no speaker or microphone colour), and the MFCC mean/std summary. Each view alone is right
  on about 45% of the dev speaker's recordings (chance: 10%); their errors differ, which the label model uses.
- Rules over audio features (``media_preprocessor`` columns ``audio_<name>``): "six" hisses (/s/ twice: a high
  zero-crossing rate and a bright spectrum).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from weaksup import ABSTAIN, LabelSpace, labeling_function
from weaksup.lf.affinity import affinity_lf
from weaksup.media.audio import AudioFeatures
from weaksup.media.columns import media_preprocessor

DATA = Path(__file__).resolve().parents[1] / "data" / "fsdd"
LABELS = LabelSpace(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
SIX = LABELS["six"]

_prototypes = pd.read_csv(DATA / "prototypes.csv")
#: ``{digit name: [paths relative to data/fsdd]}``: ten labeled recordings per digit of the prototype speaker.
PROTOTYPES: dict[str, list[str]] = {label: _prototypes.loc[_prototypes["label"] == label, "path"].tolist()
                                    for label in LABELS.names}


def _affinity(name: str, features: AudioFeatures) -> object:
    return affinity_lf(name, PROTOTYPES, features=features, field="path", margin=0.0, metric="cosine", k=1,
                       label_space=LABELS, root=DATA, tags=["affinity"])


aff_pooled4 = _affinity("aff_pooled4", AudioFeatures(["pooled"], segments=4))
aff_pooled6 = _affinity("aff_pooled6", AudioFeatures(["pooled"], segments=6))
aff_pooled8 = _affinity("aff_pooled8", AudioFeatures(["pooled"], segments=8))
aff_pooled10 = _affinity("aff_pooled10", AudioFeatures(["pooled"], segments=10))
aff_centred4 = _affinity("aff_centred4", AudioFeatures(["pooled"], segments=4, centre=True))
aff_centred8 = _affinity("aff_centred8", AudioFeatures(["pooled"], segments=8, centre=True))
aff_mfcc = _affinity("aff_mfcc", AudioFeatures(["mfcc"]))

#: Duration, RMS energy, zero-crossing rate and spectral centroid statistics as columns ``audio_<name>``.
summary = media_preprocessor(AudioFeatures(["duration", "energy", "zcr", "centroid"]), field="path", prefix="audio",
                             root=DATA)


@labeling_function(pre=[summary], tags=["rule"], labels=[SIX], fields=["path"])
def six_hiss(x):
    """'six' has two /s/ sounds: noise-like frames push the mean zero-crossing rate high."""
    return SIX if x.audio_zcr_mean > 0.28 else ABSTAIN


@labeling_function(pre=[summary], tags=["rule"], labels=[SIX], fields=["path"])
def six_bright(x):
    """The /s/ energy sits at high frequencies: a bright spectrum (mean centroid over 1.4 kHz at 8 kHz)."""
    return SIX if x.audio_centroid_mean > 1400 else ABSTAIN
