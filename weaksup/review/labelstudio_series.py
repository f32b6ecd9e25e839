"""Label Studio review of time series: each task plots the queued item's neighbourhood within its sequence (a
``<TimeSeries>`` with the data inline as JSON) with the draft label as a prediction; the answers import back as gold
like text answers do (a choice for the row id).

``[review] media = "series"`` with ``media_column`` the order column (e.g. ``"frame"``), ``media_group`` the
sequence column (e.g. ``"video"``; empty: one sequence), ``media_channels`` the numeric columns to plot (default: every
numeric column except the id, order and sequence columns) and ``media_context`` the rows shown before and after the
item (default 50). The item is marked twice: the header names its sequence and order value, and the channel
``item`` is 1 at the item and 0 elsewhere.

The order column holds numbers (plotted as they are) or times: a datetime column, or ISO 8601 strings as read from a
CSV (``"2024-03-01 00:10:00"``, an offset allowed), which are parsed (any unparseable or missing value stops the
export, naming its rows). Times go to Label Studio as strings in :data:`TIME_FORMAT` (:data:`TIME_FORMAT_MS`, to the
millisecond, when a time has a fraction of a second), the ``timeFormat`` of the config's ``<TimeSeries>``; times with
a zone are written in UTC, which is how Label Studio reads them (d3's ``utcParse``), naive ones as they are.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from weaksup.errors import ReviewError
from weaksup.labels import LabelSpace
from weaksup.media.series import order_times
from weaksup.review import labelstudio
from weaksup.review.labelstudio_answers import FROM_NAME
from weaksup.review.queue import Exported, reviewer_view

logger = logging.getLogger(__name__)

__all__ = ["ITEM_CHANNEL", "SERIES_FIELD", "TIME_FORMAT", "TIME_FORMAT_MS", "export_run_series", "export_series_queue",
           "series_channels", "series_labeling_config", "series_order", "to_series_tasks"]

#: The task field holding the plotted neighbourhood (``$series``) and the name of the ``<TimeSeries>``.
SERIES_FIELD = "series"
#: The channel that is 1 at the item under review and 0 at its neighbours.
ITEM_CHANNEL = "item"
#: The ``timeFormat`` (d3's ``strftime``) of a datetime order column's values: whole seconds...
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: ...or milliseconds when a time has a fraction of a second (d3 has no microseconds: finer digits are dropped).
TIME_FORMAT_MS = "%Y-%m-%d %H:%M:%S.%L"
_SHOWN_BAD = 5


def series_order(data: pd.DataFrame, order_column: str, *, id_column: str = "row_id") -> tuple[pd.Series, str]:
    """The order column as a series task plots it, and the ``timeFormat`` of its values (``""`` for numbers).

    Numbers come back as they are. Datetimes (a datetime column, or ISO 8601 strings: parsed) come back as naive
    datetimes, those with a zone converted to UTC (:func:`weaksup.media.series.order_times`), with :data:`TIME_FORMAT`, or :data:`TIME_FORMAT_MS` when one has a
    fraction of a second. A value that is neither (an unparseable string, a missing time) raises
    :class:`~weaksup.errors.ReviewError` naming its rows (by ``id_column``, else ``row_id``, else position).

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": ["a", "b"], "start": ["2024-03-01 00:10:00", "2024-03-01T00:20:00"]})
    >>> times, time_format = series_order(frame, "start")
    >>> times.tolist(), time_format
    ([Timestamp('2024-03-01 00:10:00'), Timestamp('2024-03-01 00:20:00')], '%Y-%m-%d %H:%M:%S')
    >>> series_order(frame.assign(start=["2024-03-01", "soon"]), "start")
    Traceback (most recent call last):
    ...
    weaksup.errors.ReviewError: [review] media_column = 'start' (the order column) is not numeric and not datetimes ...
    """
    column = data[order_column]
    if pd.api.types.is_numeric_dtype(column):
        return column, ""
    times = order_times(column)  # (the rule a temporal run orders its rows by, too)
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        key = id_column if id_column in data.columns else "row_id" if "row_id" in data.columns else ""
        names = data[key].to_numpy()[bad] if key else bad
        values = column.to_numpy()[bad]
        shown = ", ".join(f"row {str(n)!r} has " + ("nothing (missing)" if pd.isna(v) else repr(str(v)))
                          for n, v in zip(names[:_SHOWN_BAD].tolist(), values[:_SHOWN_BAD].tolist(), strict=True))
        more = f" and {len(bad) - _SHOWN_BAD:,} more" if len(bad) > _SHOWN_BAD else ""
        raise ReviewError(f"[review] media_column = {order_column!r} (the order column) is not numeric and not "
                          f"datetimes in {len(bad):,} row(s): {shown}{more}; a time series needs numbers (e.g. a "
                          "frame index or seconds) or times (ISO 8601, e.g. '2024-03-01 00:10:00'): fix those values "
                          "in the input (or drop the rows) and run again")
    fraction = (times - times.dt.floor("s")) != pd.Timedelta(0)
    return times, TIME_FORMAT_MS if bool(fraction.any()) else TIME_FORMAT


def _time_strings(values: np.ndarray, time_format: str) -> list[str]:
    """Datetimes as the strings ``time_format`` (:data:`TIME_FORMAT` or :data:`TIME_FORMAT_MS`) parses."""
    if time_format == TIME_FORMAT:
        return [str(v) for v in pd.DatetimeIndex(values).strftime(TIME_FORMAT)]
    return [str(v)[:-3] for v in pd.DatetimeIndex(values).strftime("%Y-%m-%d %H:%M:%S.%f")]


def series_channels(data: pd.DataFrame, *, order_column: str, group_column: str = "", id_column: str = "row_id",
                    channels: Sequence[str] = ()) -> list[str]:
    """The columns a series task plots: ``channels`` when given (each checked numeric), else every numeric column
    except the id, order and sequence columns; the order column is checked too (numbers or times:
    :func:`series_order`).

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": ["a"], "video": ["v"], "frame": [0], "det_0": [1], "note": ["x"]})
    >>> series_channels(frame, order_column="frame", group_column="video")
    ['det_0']
    """
    for name, what in ((order_column, "media_column (the order column)"), (group_column, "media_group")):
        if name and name not in data.columns:
            raise ReviewError(f"[review] {what} = {name!r} is not a column of the input; it has "
                              f"{list(map(str, data.columns))}")
    if channels:
        absent = [c for c in channels if c not in data.columns]
        if absent:
            raise ReviewError(f"[review] media_channels {absent} are not columns of the input; it has "
                              f"{list(map(str, data.columns))}")
        wrong = [c for c in channels if not pd.api.types.is_numeric_dtype(data[c])]
        if wrong:
            raise ReviewError(f"[review] media_channels {wrong} are not numeric; a time series plots numbers (drop "
                              "them from media_channels)")
        chosen = list(dict.fromkeys(channels))
    else:
        skip = {id_column, "row_id", order_column, group_column}
        chosen = [str(c) for c in data.columns if c not in skip and pd.api.types.is_numeric_dtype(data[c])]
        if not chosen:
            raise ReviewError("the input has no numeric column to plot besides the id, order and sequence columns; "
                              "set [review] media_channels")
    if ITEM_CHANNEL in chosen:
        raise ReviewError(f"[review] media_channels: {ITEM_CHANNEL!r} is the channel marking the item under review; "
                          "rename that input column")
    series_order(data, order_column, id_column=id_column)  # numbers or times, else refused naming the rows
    return chosen


def series_labeling_config(label_space: LabelSpace | Sequence[str], *, order_column: str, channels: Sequence[str],
                           from_name: str = FROM_NAME, time_format: str = "") -> str:
    """The labeling config (XML) of a time-series classification task: a ``<TimeSeries>`` of the task's ``$series``
    (JSON, ``order_column`` as time, parsed with ``timeFormat = time_format`` when given: a datetime order column, see
    :func:`series_order`), one ``<Channel>`` per plotted column plus the ``item`` marker, and one ``<Choices>`` over
    the classes.

    Examples
    --------
    >>> print(series_labeling_config(["not_rally", "rally"], order_column="frame", channels=["det_0"]))
    ... # doctest: +ELLIPSIS
    <View>
      <Header value="Suggested: $suggested_label ($confidence), queued for: $review_reason"/>
      <Header value="Item under review: $series_item (channel item = 1)"/>
      <TimeSeries name="series" value="$series" valueType="json" timeColumn="frame">
        <Channel column="det_0" legend="det_0"/>
        <Channel column="item" legend="item under review" strokeColor="#d62728"/>
      </TimeSeries>
      <Choices name="label" toName="series" choice="single" showInline="true">
    ...
    >>> config = series_labeling_config(["a", "b"], order_column="start", channels=["v"], time_format=TIME_FORMAT)
    >>> print(next(line for line in config.splitlines() if "<TimeSeries" in line).strip())
    <TimeSeries name="series" value="$series" valueType="json" timeColumn="start" timeFormat="%Y-%m-%d %H:%M:%S">
    """
    lines = [f"    <Channel column={quoteattr(c)} legend={quoteattr(c)}/>" for c in channels]
    lines.append(f'    <Channel column="{ITEM_CHANNEL}" legend="item under review" strokeColor="#d62728"/>')
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in label_space)
    return (
        "<View>\n"
        '  <Header value="Suggested: $suggested_label ($confidence), queued for: $review_reason"/>\n'
        f'  <Header value="Item under review: $series_item (channel {ITEM_CHANNEL} = 1)"/>\n'
        f'  <TimeSeries name="{SERIES_FIELD}" value="${SERIES_FIELD}" valueType="json" '
        f"timeColumn={quoteattr(order_column)}" + (f" timeFormat={quoteattr(time_format)}" if time_format else "")
        + ">\n"
        + "\n".join(lines) + "\n"
        "  </TimeSeries>\n"
        f"  <Choices name={quoteattr(from_name)} toName=\"{SERIES_FIELD}\" choice=\"single\" showInline=\"true\">\n"
        f"{choices}\n"
        "  </Choices>\n"
        "</View>"
    )


def _numbers(values: np.ndarray) -> list[Any]:
    """JSON numbers (``null`` for a missing value)."""
    out: list[Any] = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            out.append(None)
        elif isinstance(value, bool):
            out.append(int(value))
        else:
            out.append(value)
    return out


def to_series_tasks(queue: pd.DataFrame, data: pd.DataFrame, *, order_column: str, channels: Sequence[str],
                    model_version: str, group_column: str = "", context: int = 50, extra_fields: Iterable[str] = (),
                    from_name: str = FROM_NAME) -> list[dict[str, Any]]:
    """Label Studio tasks (import format) plotting each queued row's neighbourhood in its sequence, in queue order.

    Like :func:`~weaksup.review.labelstudio.to_tasks` (``row_id``, the suggested label, its confidence and the
    reason as task data; the draft label as a prediction), with ``data["series"]``: the ``context`` rows before and
    after the item within its sequence (``group_column``), sorted by ``order_column``, as columns (order, channels,
    ``item``), and ``data["series_item"]`` naming the item. A datetime order column (:func:`series_order`) is written
    as strings in its ``timeFormat``.

    Examples
    --------
    >>> data = pd.DataFrame({"row_id": ["a", "b", "c"], "video": "v", "frame": [0, 1, 2], "det_0": [1, -1, 1]})
    >>> q = pd.DataFrame({"row_id": ["b"], "frame": [1], "label": ["rally"], "confidence": [0.6]})
    >>> task = to_series_tasks(q, data, order_column="frame", group_column="video", channels=["det_0"],
    ...                        model_version="rules-1", context=1)[0]
    >>> task["data"]["series"], task["data"]["series_item"]
    ({'frame': [0, 1, 2], 'det_0': [1, -1, 1], 'item': [0, 1, 0]}, 'video v, frame 1')
    >>> times = data.assign(frame=pd.to_datetime(["2024-03-01 00:00", "2024-03-01 00:01", "2024-03-01 00:02"]))
    >>> task = to_series_tasks(q, times, order_column="frame", channels=["det_0"], model_version="rules-1")[0]
    >>> task["data"]["series"]["frame"], task["data"]["series_item"]
    (['2024-03-01 00:00:00', '2024-03-01 00:01:00', '2024-03-01 00:02:00'], 'frame 2024-03-01 00:01:00')
    """
    if context < 0:
        raise ReviewError(f"[review] media_context must be 0 or more rows; got {context}")
    if "row_id" not in data.columns:
        raise ReviewError("the input has no row_id column; rename the id column to row_id before export")
    where = pd.Series(np.arange(len(data)), index=data["row_id"].astype(str))
    where = where[~where.index.duplicated()]
    groups = (data[group_column].astype(str) if group_column else pd.Series("", index=data.index)).to_numpy()
    order_values, time_format = series_order(data, order_column)
    order = order_values.to_numpy()

    def shown_order(rows: np.ndarray) -> list[Any]:
        return _time_strings(order[rows], time_format) if time_format else _numbers(order[rows])

    members: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(groups.tolist()):
        rows = np.flatnonzero(groups == name)
        members[name] = rows[np.argsort(order[rows], kind="stable")]
    shown = queue.assign(**{order_column: ""})
    tasks = labelstudio.to_tasks(shown, model_version=model_version, text_column=order_column,
                                 extra_fields=extra_fields, from_name=from_name, to_name=SERIES_FIELD)
    for task in tasks:
        task["data"].pop("text", None)
        row_id = task["data"]["row_id"]
        if row_id not in where.index:
            raise ReviewError(f"row {row_id!r} of the review queue is not in the input; series review shows input "
                              "rows (unit = \"row\") in their sequence")
        at = int(where[row_id])
        rows = members[groups[at]]
        pos = int(np.flatnonzero(rows == at)[0])
        near = rows[max(0, pos - context): pos + context + 1]
        series: dict[str, list[Any]] = {order_column: shown_order(near)}
        for name in channels:
            series[name] = _numbers(data[name].to_numpy()[near])
        series[ITEM_CHANNEL] = [int(r == at) for r in near.tolist()]
        task["data"][SERIES_FIELD] = series
        item = f"{order_column} {shown_order(np.array([at]))[0]}"
        task["data"]["series_item"] = f"{group_column} {groups[at]}, {item}" if group_column else item
    return tasks


def export_series_queue(queue: pd.DataFrame, data: pd.DataFrame, path: str | os.PathLike[str], *, order_column: str,
                        label_space: LabelSpace | Sequence[str], group_column: str = "",
                        channels: Sequence[str] = (), context: int = 50, model_version: str = "",
                        fields: Iterable[str] = (), sensitive_fields: Iterable[str] = (),
                        mask: bool | None = None) -> Exported:
    """Write a review queue as time-series Label Studio tasks plus the labeling config beside them.

    ``data`` is the whole input (``row_id`` column): the neighbourhoods come from it. Extra ``fields`` are cleaned
    and redacted as in text review (:func:`~weaksup.review.queue.reviewer_view`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> data = pd.DataFrame({"row_id": ["a", "b"], "frame": [0, 1], "det_0": [1, -1]})
    >>> q = pd.DataFrame({"row_id": ["a"], "frame": [0], "label": [""], "confidence": [0.5]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     done = export_series_queue(q, data, Path(tmp) / "tasks.json", order_column="frame",
    ...                                label_space=["not_rally", "rally"])
    ...     done.n_tasks, done.config_path.name
    (1, 'tasks.labeling_config.xml')
    """
    order_values, time_format = series_order(data, order_column)  # times parsed once, here
    if time_format:
        data = data.assign(**{order_column: order_values})
    channels = series_channels(data, order_column=order_column, group_column=group_column, channels=channels)
    fields = [f for f in dict.fromkeys(fields) if f not in ("row_id", order_column)]
    if order_column not in queue.columns:
        queue = queue.assign(**{order_column: ""})
    shown, counts = reviewer_view(queue, text_column=order_column, fields=fields,
                                  sensitive_fields=[f for f in sensitive_fields if f != order_column],
                                  mask=False if mask is False else None)
    tasks = to_series_tasks(shown, data, order_column=order_column, group_column=group_column, channels=channels,
                            context=context, model_version=model_version, extra_fields=fields)
    config = series_labeling_config(label_space, order_column=order_column, channels=channels,
                                    time_format=time_format)
    target, config_path = labelstudio.write_tasks(tasks, path, config=config)
    logger.info("wrote %d time-series review task(s) to %s (%d channel(s), %d rows either side)", len(tasks), target,
                len(channels), context)
    return Exported(target, "labelstudio", len(tasks), config_path, counts)


def export_run_series(config: Any, queue: pd.DataFrame, data: pd.DataFrame, path: str | os.PathLike[str],
                      label_space: LabelSpace | Sequence[str], model_version: str, fields: Iterable[str],
                      mask: bool | None = None) -> Exported:
    """``weaksup review export`` of a run whose ``[review] media = "series"``: :func:`export_series_queue` with the
    run config's settings (``media_column`` the order column, ``media_group``, ``media_channels``,
    ``media_context``)."""
    review = config.review
    return export_series_queue(queue, data, path, order_column=review.media_column, group_column=review.media_group,
                               channels=review.media_channels, context=review.media_context,
                               label_space=label_space, model_version=model_version, fields=fields,
                               sensitive_fields=review.sensitive_fields, mask=mask)
