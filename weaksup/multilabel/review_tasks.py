"""The Label Studio tasks of a multi-label run's review (:func:`to_multilabel_tasks`) and their labeling config
(:func:`multilabel_labeling_config`): one checkbox per label, the run's label set as the prediction, and why the row
is queued (``review_reason``, ``review_labels``: :func:`weaksup.multilabel.review_queue.reason_labels`).

:func:`weaksup.multilabel.review.export_multilabel_review` writes them for a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from weaksup.multilabel.space import MultiLabelSpace
from weaksup.review.answers import text
from weaksup.review.labelstudio_answers import FROM_NAME, TO_NAME

__all__ = ["multilabel_labeling_config", "to_multilabel_tasks"]


def multilabel_labeling_config(space: MultiLabelSpace, *, from_name: str = FROM_NAME, to_name: str = TO_NAME) -> str:
    """The Label Studio labeling config (XML) of a multi-label text task: one checkbox per label.

    Examples
    --------
    >>> print(multilabel_labeling_config(MultiLabelSpace(["joy", "anger"])))
    <View>
      <Header value="Suggested: $suggested_labels ($confidence), queued for: $review_reason [$review_labels]"/>
      <Text name="text" value="$text"/>
      <Choices name="label" toName="text" choice="multiple" showInline="true">
        <Choice value="joy"/>
        <Choice value="anger"/>
      </Choices>
    </View>
    """
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in space.labels)
    return ("<View>\n  <Header value=\"Suggested: $suggested_labels ($confidence), queued for: $review_reason "
            "[$review_labels]\"/>\n"
            f"  <Text name={quoteattr(to_name)} value=\"$text\"/>\n"
            f"  <Choices name={quoteattr(from_name)} toName={quoteattr(to_name)} choice=\"multiple\" "
            f"showInline=\"true\">\n{choices}\n  </Choices>\n</View>")


def to_multilabel_tasks(queue: pd.DataFrame, *, model_version: str, text_column: str = "text",
                        fields: Iterable[str] = (), from_name: str = FROM_NAME, to_name: str = TO_NAME
                        ) -> list[dict[str, Any]]:
    """Label Studio tasks for the rows of ``queue`` (``row_id``, ``text_column``, ``labels`` lists or None,
    ``confidence``, and optionally ``review_reason`` and ``review_labels``: why the row is queued and the labels
    that is about, :func:`~weaksup.multilabel.review_queue.reason_labels`), in its order; the run's label set is the
    task's prediction.

    Examples
    --------
    >>> q = pd.DataFrame({"row_id": ["r1"], "text": ["so happy, love you"], "labels": [["joy", "love"]],
    ...                   "confidence": [0.62], "review_reason": ["low_margin"], "review_labels": ["love"]})
    >>> task = to_multilabel_tasks(q, model_version="rules-1")[0]
    >>> task["data"]["suggested_labels"], task["predictions"][0]["result"][0]["value"]
    ('joy, love', {'choices': ['joy', 'love']})
    >>> task["data"]["review_reason"], task["data"]["review_labels"]
    ('low_margin', 'love')
    """
    tasks = []
    for pos, row in enumerate(queue.to_dict("records")):
        labels = [str(x) for x in row["labels"]] if row["labels"] is not None and not _missing(row["labels"]) else None
        confidence = round(float(row["confidence"]), 6)
        data: dict[str, Any] = {"row_id": text(row["row_id"]),
                                "text": "" if _missing(row[text_column]) else str(row[text_column]),
                                "suggested_labels": ", ".join(labels) if labels else "(none)",
                                "confidence": confidence, "review_reason": text(row.get("review_reason")),
                                "review_labels": text(row.get("review_labels")), "priority": pos + 1}
        data.update({name: None if _missing(row[name]) else str(row[name]) for name in fields})
        task: dict[str, Any] = {"data": data}
        if labels is not None:
            task["predictions"] = [{"model_version": str(model_version), "score": confidence,
                                    "result": [{"id": f"ws{pos}", "from_name": from_name, "to_name": to_name,
                                                "type": "choices", "value": {"choices": labels}}]}]
        tasks.append(task)
    return tasks


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
