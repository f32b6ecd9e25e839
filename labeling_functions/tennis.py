"""LFs of the shipped time-series example: is a tennis video frame part of a rally? (data/tennis/).

Each frame carries the outputs of FlyingSquid's six tennis detectors (``det_0`` ... ``det_5``: ``1`` rally,
``-1`` not a rally, ``0`` no output; see data/tennis/SOURCE.md). One LF per detector passes its output on as a
vote, so the vote matrix is FlyingSquid's (and WRENCH's tennis LFs), which keeps the figures comparable with the
published ones. On the dev split (frames 0..487 of the dev video) the detectors are right on 57-90% of the frames
they vote on; ``det_2`` and ``det_5`` are the weak ones, and none is right often enough alone. What a single frame
cannot tell, the order can: rallies last tens of frames, so the temporal label model (``[label_model] name =
"temporal"``) lets each frame's neighbours vote too.
"""

from __future__ import annotations

from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["not_rally", "rally"])
RALLY, NOT_RALLY = LABELS["rally"], LABELS["not_rally"]


def _vote(output: float) -> int:
    """A detector output as a vote: ``1`` rally, ``-1`` not a rally, anything else no vote."""
    return RALLY if output > 0 else NOT_RALLY if output < 0 else ABSTAIN


@labeling_function(tags=["detector"], fields=["det_0"])
def det_0(x):
    """Detector 0 (on every frame; right on ~87% of dev frames)."""
    return _vote(x.det_0)


@labeling_function(tags=["detector"], fields=["det_1"])
def det_1(x):
    """Detector 1 (on every frame; right on ~90% of dev frames)."""
    return _vote(x.det_1)


@labeling_function(tags=["detector"], fields=["det_2"])
def det_2(x):
    """Detector 2 (only says "not a rally", on ~15% of frames; right on ~57% of them)."""
    return _vote(x.det_2)


@labeling_function(tags=["detector"], fields=["det_3"])
def det_3(x):
    """Detector 3 (on ~60% of frames; right on ~85% of them)."""
    return _vote(x.det_3)


@labeling_function(tags=["detector"], fields=["det_4"])
def det_4(x):
    """Detector 4 (on every frame; right on ~86% of dev frames)."""
    return _vote(x.det_4)


@labeling_function(tags=["detector"], fields=["det_5"])
def det_5(x):
    """Detector 5 (on ~40% of frames; right on ~63% of them)."""
    return _vote(x.det_5)


LFS = [det_0, det_1, det_2, det_3, det_4, det_5]
