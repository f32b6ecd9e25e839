"""Windows of a time series as rows: one row per window, with a stable id and features an LF can read.

A sensor series (one row per sample: a value column or several, optionally a time column and a group column
naming the series) becomes a table of windows of ``length`` samples every ``step`` samples, per group, in time
order. Each window has a stable ``window_id`` (``"<group>:<start>"``, ``start`` the window's first sample: its
position in the group, or its time when a time column is given), so labels written for a window keep meaning
the same samples when the series grows or is re-read. The features, per value column ``v``:

``v_mean``, ``v_std``      the mean and (population) standard deviation of the window's samples
``v_slope``                the least-squares slope against time (per second for datetimes; per sample without time)
``v_max_dev``              the largest absolute deviation from the baseline (a number, a column, or the group's median)
``v_above``                with ``limit``: the longest run of consecutive samples above the limit (in samples)

A task labels rows or windows, never both (``[task] unit``): a run over windows takes the table this module
writes as its input and ``window_id`` as its id column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from weaksup.errors import DataError, ParameterError

__all__ = ["UNITS", "WINDOW_COLUMNS", "window_features", "windows"]

#: What one labeled item of a task is: an input row, or a window of consecutive rows.
UNITS = ("row", "window")
#: The columns every window table starts with (then ``group`` when grouped, then the features).
WINDOW_COLUMNS = ("window_id", "start", "end", "n_samples")


def order_times(values: pd.Series) -> pd.Series:
    """An order column that is not numbers, read as times: the one rule of every ordered input (a temporal run's
    ``order_column``, a series review's ``media_column``).

    A datetime column is taken as it is; text is parsed as ISO 8601 (``"2024-03-01 00:10:00"``,
    ``"2024-10-27T02:17:00+02:00"``). Times with a zone or an offset are converted to UTC, so they order by instant
    (across a clock change too); naive times are taken as they are. Returns naive datetimes, ``NaT`` where a value is
    missing or does not parse: the caller names those rows in its own error.

    Examples
    --------
    >>> times = order_times(pd.Series(["2024-10-27T02:17:00+02:00", "2024-10-27T02:17:00+01:00", "noon"]))
    >>> times.tolist()
    [Timestamp('2024-10-27 00:17:00'), Timestamp('2024-10-27 01:17:00'), NaT]
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values
    else:
        times = pd.to_datetime(values.astype(object), format="ISO8601", errors="coerce", utc=True)
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times


def _columns(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _per_column(option: Any, columns: list[str], name: str) -> dict[str, Any]:
    """A value per value column from one value for all, or a mapping naming each."""
    if isinstance(option, Mapping):
        missing = [c for c in columns if c not in option]
        if missing:
            raise ParameterError(f"windows: {name} names no value for {missing}; give one for each of {columns} "
                                 f"or a single value for all")
        return {c: option[c] for c in columns}
    return dict.fromkeys(columns, option)


def _longest_run(mask: np.ndarray) -> np.ndarray:
    """``(n_windows,)`` the longest run of True along axis 1 of a ``(n_windows, length)`` mask."""
    best = np.zeros(len(mask), dtype=np.int64)
    run = np.zeros(len(mask), dtype=np.int64)
    for j in range(mask.shape[1]):
        run = np.where(mask[:, j], run + 1, 0)
        np.maximum(best, run, out=best)
    return best


def window_features(x: np.ndarray, t: np.ndarray, *, length: int, step: int, baseline: np.ndarray | float,
                    limit: float | None) -> dict[str, np.ndarray]:
    """The features of the windows of one series ``x`` (samples in order) at times ``t`` (floats).

    Returns ``{"mean", "std", "slope", "max_dev"[, "above"]}`` arrays, one value per window starting at
    ``0, step, 2 step, ...`` (whole windows only). ``baseline`` is a number or one value per sample.

    Examples
    --------
    >>> feats = window_features(np.array([0., 1, 2, 3, 10, 10]), np.arange(6.0), length=3, step=3, baseline=0.0,
    ...                         limit=5.0)
    >>> {k: v.round(2).tolist() for k, v in feats.items()}
    {'mean': [1.0, 7.67], 'std': [0.82, 3.3], 'slope': [1.0, 3.5], 'max_dev': [2.0, 10.0], 'above': [0, 2]}
    """
    win = sliding_window_view(x, length)[::step]
    tw = sliding_window_view(t, length)[::step]
    base = np.broadcast_to(np.asarray(baseline, dtype=np.float64), x.shape)
    bw = sliding_window_view(base, length)[::step]
    tc = tw - tw.mean(axis=1, keepdims=True)
    denom = (tc * tc).sum(axis=1)
    slope = np.divide((tc * (win - win.mean(axis=1, keepdims=True))).sum(axis=1), denom,
                      out=np.zeros(len(win)), where=denom > 0)
    out = {"mean": win.mean(axis=1), "std": win.std(axis=1), "slope": slope,
           "max_dev": np.abs(win - bw).max(axis=1) if len(win) else np.zeros(0)}
    if limit is not None:
        out["above"] = _longest_run(win > limit)
    return out


def _refuse_missing(frame: pd.DataFrame, column: str, what: str, values: str, fix: str) -> None:
    """A ``DataError`` naming the column, how many values are missing and the first rows (index labels)."""
    missing = frame[column].isna()
    if missing.any():
        first = frame.index[missing.to_numpy()][:5].tolist()
        raise DataError(f"windows: {what} column {column!r} has missing {values} ({int(missing.sum())} NaN/NaT/None, "
                        f"first at index {first}); {fix}")


def _refuse_duplicate_times(frame: pd.DataFrame, time: str, group: str | None) -> None:
    """A ``DataError`` naming the samples that share a time within their series (the first few, by index label)."""
    keys = [time] if group is None else [group, time]
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return
    shared = frame.loc[dup, keys].assign(index=frame.index[dup]).groupby(keys, sort=False)["index"].apply(list)
    shown = "; ".join(f"{f'{k[0]!r} at {k[1]}' if isinstance(k, tuple) else k}: index {rows}"
                      for k, rows in list(shared.items())[:3])
    more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
    series = f"same {group!r} series" if group is not None else "series"
    raise DataError(f"windows: {int(dup.sum())} samples share their {time!r} with another sample of the {series} "
                    f"({shown}{more}); a window is named by its first sample's time and counts samples, so a "
                    f"repeated time would shift every later window by a sample: drop or aggregate the duplicates "
                    f"first, e.g. frame.drop_duplicates({keys!r}) or frame.groupby({keys!r}).mean()")


def _group_labels(keys: list[Any], group: str) -> list[str]:
    """The id of each group in window ids (``str`` of its value); two values rendering alike are refused."""
    labels = [str(key[0] if isinstance(key, tuple) else key) for key in keys]
    seen: dict[str, Any] = {}
    for key, label in zip(keys, labels):
        value = key[0] if isinstance(key, tuple) else key
        if label in seen:
            raise DataError(f"windows: group values {seen[label]!r} and {value!r} of column {group!r} both render "
                            f"to the group id {label!r}, so their window ids ('{label}:<start>') would collide; give "
                            f"the group column one type (e.g. frame[{group!r}].astype(str) if they are one series, "
                            "or rename one of them)")
        seen[label] = value
    return labels


def _times(frame: pd.DataFrame, time: str | None) -> tuple[np.ndarray, bool]:
    """Sample times as floats (seconds for datetimes), and whether they are datetimes."""
    if time is None:
        return np.arange(len(frame), dtype=np.float64), False
    col = frame[time]
    if pd.api.types.is_datetime64_any_dtype(col):
        return (col - col.iloc[0]).dt.total_seconds().to_numpy(dtype=np.float64), True
    if not pd.api.types.is_numeric_dtype(col):
        raise DataError(f"windows: time column {time!r} holds {col.dtype}, not numbers or datetimes; convert it "
                        "(pd.to_datetime) first")
    return col.to_numpy(dtype=np.float64), False


def windows(frame: pd.DataFrame, *, values: str | Sequence[str], length: int, step: int | None = None,
            time: str | None = None, group: str | None = None, baseline: float | str | Mapping[str, Any] | None = None,
            limit: float | Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per window of a time series, with a stable id and features an LF can read.

    Parameters
    ----------
    frame : DataFrame
        One row per sample.
    values : str or list of str
        The value column(s) to summarise (numbers, no missing values).
    length : int
        Samples per window (>= 1).
    step : int, optional
        Samples from one window's start to the next (default ``length``: windows that do not overlap).
    time : str, optional
        A column of sample times (numbers or datetimes, none missing, none repeated within a series: drop or
        aggregate duplicates first): samples are ordered by it, ``start``/``end`` are times, slopes are per time
        unit (per second for datetimes). Without it the row order is the time order.
    group : str, optional
        A column naming the series each sample belongs to (none missing): windows never cross series. A group's
        id in ``window_id`` is ``str`` of its value, so two values rendering alike (``1`` and ``"1"``) are refused.
    baseline : float, str or mapping, optional
        What ``<v>_max_dev`` is measured from: a number, a column of per-sample baselines, a mapping from value
        column to either; default: the median of the series (per group).
    limit : float or mapping, optional
        Adds ``<v>_above``: the longest run of consecutive samples above it in the window.

    Returns
    -------
    DataFrame
        ``window_id``, ``start``, ``end`` (first and last sample: position in the group, or time),
        ``n_samples``, ``group`` (when grouped), then ``<v>_mean``, ``<v>_std``, ``<v>_slope``,
        ``<v>_max_dev`` (and ``<v>_above``) for each value column; windows by group, then by start. A series
        shorter than ``length`` has no windows.

    Examples
    --------
    >>> series = pd.DataFrame({"sensor": ["a"] * 6 + ["b"] * 4, "temp": [20, 21, 22, 30, 31, 20, 5, 5, 6, 6]})
    >>> w = windows(series, values="temp", length=3, step=2, group="sensor", baseline=20.0, limit=25.0)
    >>> print(w[["window_id", "start", "end", "temp_mean", "temp_max_dev", "temp_above"]].round(2).to_string(index=False))
    window_id  start  end  temp_mean  temp_max_dev  temp_above
          a:0      0    2      21.00           2.0           0
          a:2      2    4      27.67          11.0           2
          b:0      0    2       5.33          15.0           0
    >>> windows(series, values="temp", length=0)
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: windows: length must be a whole number >= 1 (samples per window); got 0
    """
    columns = _columns(values)
    step = length if step is None else step
    for name, number in (("length", length), ("step", step)):
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 1:
            what = "samples per window" if name == "length" else "samples between window starts"
            raise ParameterError(f"windows: {name} must be a whole number >= 1 ({what}); got {number!r}")
    needed = [*columns, *(c for c in (time, group) if c is not None)]
    if isinstance(baseline, str):
        needed.append(baseline)
    elif isinstance(baseline, Mapping):
        needed += [b for b in baseline.values() if isinstance(b, str)]
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise DataError(f"windows: no column {missing} in the frame (its columns: {list(frame.columns)}); "
                        "name the value, time, group and baseline columns it has")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c]) or frame[c].isna().any():
            raise DataError(f"windows: value column {c!r} must hold numbers without gaps ({frame[c].dtype}, "
                            f"{int(frame[c].isna().sum())} missing); fill or drop the missing samples first")
    baselines = _per_column(baseline, columns, "baseline")
    limits = _per_column(limit, columns, "limit")
    if time is not None:
        _refuse_missing(frame, time, "time", "times", "a sample without a time has no place in its series: drop "
                        "or fill those rows first")
    if group is not None:
        _refuse_missing(frame, group, "group", "group ids", "a sample without a group id belongs to no series: "
                        "fill the ids or drop those rows first")
    if time is not None:
        _refuse_duplicate_times(frame, time, group)
    parts = []
    groups = [(None, frame)] if group is None else list(frame.groupby(group, sort=True))
    labels = ["series"] if group is None else _group_labels([key for key, _ in groups], group)
    if not groups:  # an empty frame: no windows, the usual columns
        groups, labels = [("", frame)], [""]
    for (_, part), label in zip(groups, labels):
        if time is not None:
            part = part.sort_values(time, kind="stable")
        t, is_datetime = _times(part, time)
        n_windows = max((len(part) - length) // step + 1, 0)
        starts = np.arange(n_windows) * step
        if time is None:
            first, last = starts, starts + length - 1
        else:
            first, last = part[time].to_numpy()[starts], part[time].to_numpy()[starts + length - 1]
        ids = [f"{label}:{pd.Timestamp(s).isoformat() if is_datetime else s}" for s in first]
        out: dict[str, Any] = {"window_id": ids, "start": first, "end": last,
                               "n_samples": np.full(n_windows, length, dtype=np.int64)}
        if group is not None:
            out["group"] = np.full(n_windows, label, dtype=object)
        for c in columns:
            x = part[c].to_numpy(dtype=np.float64)
            b = baselines[c]
            base = (np.median(x) if len(x) else 0.0) if b is None else part[b].to_numpy(dtype=np.float64) if isinstance(b, str) else b
            if n_windows == 0:
                feats = {f: np.zeros(0) for f in ("mean", "std", "slope", "max_dev", "above")[:5 if limits[c] is not None
                                                                                             else 4]}
            else:
                feats = window_features(x, t, length=length, step=step, baseline=base, limit=limits[c])
            out.update({f"{c}_{name}": value for name, value in feats.items()})
        parts.append(pd.DataFrame(out))
    result = pd.concat(parts, ignore_index=True)
    if result["window_id"].duplicated().any():
        dup = result.loc[result["window_id"].duplicated(), "window_id"].iloc[0]
        raise DataError(f"windows: window id {dup!r} occurs twice (two samples share a time in one series); "
                        "make the time column unique per group, or give group=")
    return result
