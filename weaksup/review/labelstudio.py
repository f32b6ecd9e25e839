"""Label Studio, out: review tasks (tasks JSON with draft labels as predictions) and the labeling config.

Out: one task per row. ``data`` holds ``row_id`` and ``text`` (the ``$text`` of the labeling config) and
what helps the reviewer (the suggested label, its confidence, why the row is routed, its priority).
The draft label is a ``predictions`` entry: ``model_version`` is the run's rule version, ``score`` the
confidence (Label Studio's Data Manager sorts by it), and the result a ``choices`` value whose
``from_name``/``to_name``/``type`` match the labeling config :func:`labeling_config` writes.

In: :mod:`weaksup.review.labelstudio_answers` reads Label Studio's exports (JSON, JSON-MIN, CSV) back;
:func:`read_export` and :func:`detect_format` are importable from here too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from weaksup._io import atomic_path
from weaksup.errors import ReviewError
from weaksup.labels import LabelSpace
from weaksup.review.answers import text
from weaksup.review.labelstudio_answers import (
    FORMATS,
    FROM_NAME,
    TO_NAME,
    annotator_name,
    detect_format,
    read_export,
)

__all__ = ["FORMATS", "FROM_NAME", "TO_NAME", "annotator_name", "detect_format", "labeling_config", "read_export",
           "to_tasks", "write_tasks"]


def labeling_config(label_space: LabelSpace | Sequence[str], *, from_name: str = FROM_NAME,
                    to_name: str | None = None, media: str = "") -> str:
    """The Label Studio labeling config (XML) of a classification task over ``label_space``.

    ``media=""`` shows the task's ``$text``; ``"image"`` / ``"audio"`` show its ``$image`` (``<Image>``) or play its
    ``$audio`` (``<Audio>``) instead (:mod:`weaksup.review.labelstudio_media` writes those tasks). ``to_name``
    defaults to the object's name (``"text"``, ``"image"``, ``"audio"``).

    Examples
    --------
    >>> print(labeling_config(["ham", "spam"]))
    <View>
      <Header value="Suggested: $suggested_label ($confidence), queued for: $review_reason"/>
      <Text name="text" value="$text"/>
      <Choices name="label" toName="text" choice="single" showInline="true">
        <Choice value="ham"/>
        <Choice value="spam"/>
      </Choices>
    </View>
    >>> print(labeling_config(["zero", "one"], media="audio").splitlines()[2])
      <Audio name="audio" value="$audio"/>
    """
    objects = {"": ("Text", "text", ""), "image": ("Image", "image", ' zoom="true" zoomControl="true"'),
               "audio": ("Audio", "audio", "")}
    if media not in objects:
        raise ReviewError(f"review media must be \"image\", \"audio\" or empty (text); got {media!r}")
    tag, field, extra = objects[media]
    to_name = to_name or (TO_NAME if not media else field)
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in label_space)
    return (
        "<View>\n"
        '  <Header value="Suggested: $suggested_label ($confidence), queued for: $review_reason"/>\n'
        f"  <{tag} name={quoteattr(to_name)} value=\"${field}\"{extra}/>\n"
        f"  <Choices name={quoteattr(from_name)} toName={quoteattr(to_name)} choice=\"single\" showInline=\"true\">\n"
        f"{choices}\n"
        "  </Choices>\n"
        "</View>"
    )


def to_tasks(
    queue: pd.DataFrame,
    *,
    model_version: str,
    text_column: str = "text",
    extra_fields: Iterable[str] = (),
    from_name: str = FROM_NAME,
    to_name: str = TO_NAME,
) -> list[dict[str, Any]]:
    """Label Studio tasks (import format) for the rows of a review queue, in its order.

    ``queue`` has ``row_id``, ``text_column``, ``label`` (the draft; empty when the model abstained:
    no prediction then), ``confidence``, and optionally ``review_reason`` and ``priority``.

    Examples
    --------
    >>> q = pd.DataFrame({"row_id": ["c1"], "text": ["sub to me"], "label": ["spam"], "confidence": [0.61]})
    >>> task = to_tasks(q, model_version="rules-1a2b")[0]
    >>> task["data"]["row_id"], task["predictions"][0]["score"], task["predictions"][0]["result"][0]["value"]
    ('c1', 0.61, {'choices': ['spam']})
    """
    missing = [c for c in ("row_id", text_column, "label", "confidence") if c not in queue.columns]
    if missing:
        raise ReviewError(f"the review queue lacks column(s) {missing}; it has {list(map(str, queue.columns))}")
    extra_fields = [f for f in extra_fields if f not in ("row_id", text_column)]
    absent = [f for f in extra_fields if f not in queue.columns]
    if absent:
        raise ReviewError(f"extra field(s) {absent} are not in the data; its columns are {list(map(str, queue.columns))}")
    tasks = []
    for pos, row in enumerate(queue.to_dict("records")):
        label = text(row["label"])
        confidence = round(float(row["confidence"]), 6)
        data: dict[str, Any] = {
            "row_id": text(row["row_id"]),
            "text": "" if _missing(row[text_column]) else str(row[text_column]),
            "suggested_label": label or "(none)",
            "confidence": confidence,
            "review_reason": text(row.get("review_reason")),
            "priority": int(row["priority"]) if "priority" in row and not _missing(row["priority"]) else pos + 1,
        }
        for name in extra_fields:
            data[name] = _json_safe(row[name])
        task: dict[str, Any] = {"data": data}
        if label:
            task["predictions"] = [{
                "model_version": str(model_version),
                "score": confidence,
                "result": [{"id": f"ws{pos}", "from_name": from_name, "to_name": to_name, "type": "choices",
                            "value": {"choices": [label]}}],
            }]
        tasks.append(task)
    return tasks


def write_tasks(tasks: list[dict[str, Any]], path: str | os.PathLike[str], *, config: str) -> tuple[Path, Path]:
    """Write the tasks JSON and, beside it, the labeling config (``<name>.labeling_config.xml``), each atomically."""
    target = Path(path)
    config_path = target.with_name(f"{target.stem}.labeling_config.xml")
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with atomic_path(config_path) as tmp:
        tmp.write_text(config + "\n", encoding="utf-8")
    return target, config_path


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _json_safe(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
