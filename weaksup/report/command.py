"""What ``weaksup report`` and ``weaksup demo`` run: the run config their flags give, the run itself (its
errors naming the flags), and the lines they print.

The report is a run: the config these flags build goes through :func:`weaksup.pipeline.run`, so the data is
read and cleaned as ``weaksup run`` reads and cleans it (the ``[clean]`` table's defaults, the same as the
shipped ``configs/youtube_spam.toml``), and the same config and data give the same figures and ``data_hash``.
``--no-normalize`` (``clean.normalize = false``) is the one flag that reads the data otherwise; the printed
outcome then says that a run's figures differ.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.pipeline import RunResult

__all__ = ["REPORT_SOURCES", "check_report_gold", "check_report_out", "flag_names", "outcome_lines", "report_config", "run_report",
           "run_report_owner"]


def flag_names(message: str, command: str = "report") -> str:
    """A message about the config :func:`report_config` builds, naming the flags of ``weaksup <command>``.

    Examples
    --------
    >>> flag_names("weaksup report: output.report_path /x.html is a folder; change output.path in weaksup report")
    'weaksup report: --out /x.html is a folder; change --out'
    >>> flag_names("text cleaning (...) changed 3 of 9 rows (clean.normalize = false turns it off)")
    'text cleaning (...) changed 3 of 9 rows (--no-normalize turns it off)'
    >>> print(flag_names("x.csv: no text column 'text'. Set input.text_column to the column the LFs read, or "
    ...                  'input.text_column = "" for data without text (LFs that read other columns)'))
    ... # doctest: +NORMALIZE_WHITESPACE
    x.csv: no text column 'text'. Set --text-column to the column the LFs read,
    or --text-column "" for data without text (LFs that read other columns)
    >>> flag_names("text cleaning (...) changed 3 of 9 rows (clean.normalize = false turns it off)", "demo")
    "text cleaning (...) changed 3 of 9 rows (a run config's clean.normalize = false turns it off)"
    """
    message = message.replace(f"change output.path in weaksup {command}", "change --out")
    if command != "report":  # weaksup demo: the shipped data, LFs and gold set; --out is its one path
        message = message.replace("clean.normalize = false", "a run config's clean.normalize = false")
        return message.replace("output.report_path", "--out").replace("output.path", "--out")
    for key, flag in (('input.text_column = ""', '--text-column ""'),  # tabular data has no text
                      ("set end_model.enabled = false (--set end_model.enabled=false)", "pass --no-end-model"),
                      ("clean.normalize = false", "--no-normalize"),
                      ("output.report_path", "--out"),
                      ("output.path", "--out (the run folder beside it)"), ("gold.split", "--split"),
                      ("gold.path", "--gold"), ("gold.version", "--gold-version"), ("input.path", "--data"), ("input.id_column", "--id-column"),
                      ("input.text_column", "--text-column"), ("label_model.name", "--label-model")):
        message = message.replace(key, flag)
    return message


def run_report_owner(path: str | os.PathLike[str]) -> tuple[Path, str] | None:
    """The run folder whose ``run.json`` claims ``path`` as one of its outputs, and the output's key
    (``"report"`` for the ``report.html`` a run wrote), or None.

    Symbolic links are followed: a link to a run's report is that report.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "run.json").write_text(json.dumps({"outputs": {"report": "report.html"}}))
    >>> run_report_owner(folder / "report.html") == (folder.resolve(), "report")
    True
    >>> run_report_owner(folder / "other.html") is None
    True
    """
    from weaksup.pipeline.folder import read_manifest

    target = Path(os.path.realpath(path))
    folder = target.parent
    for key, value in (read_manifest(folder / "run.json").get("outputs") or {}).items():
        if isinstance(value, str) and value.strip("/"):
            claimed = Path(value.rstrip("/"))
            if Path(os.path.realpath(claimed if claimed.is_absolute() else folder / claimed)) == target:
                return folder, str(key)
    return None


#: The ``config_source`` of the runs ``weaksup report``/``demo`` make: a later report may replace them.
REPORT_SOURCES = ("weaksup report", "weaksup demo")


def check_report_out(out: str | os.PathLike[str], task: str) -> None:
    """``--out`` (of a report on ``task``) replaces no run's own files: it is not the report (or another
    output) a run's ``run.json`` claims, and its run folder (``out`` without the suffix) holds no run but
    one ``weaksup report``/``demo`` made (re-running a report replaces its own run).

    Raises
    ------
    ConfigError
        Naming ``--out``, the file or folder, the run and the fix; nothing is written.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "runs" / "spam"
    >>> folder.mkdir(parents=True)
    >>> _ = (folder / "run.json").write_text(json.dumps({"config_source": "configs/spam.toml",
    ...                                                  "outputs": {"report": "report.html"}}))
    >>> check_report_out(folder.parent / "other.html", "spam")  # a path that is no run's: fine
    >>> check_report_out(folder / "report.html", "spam")
    Traceback (most recent call last):
    weaksup.errors.ConfigError: --out .../runs/spam/report.html is the report the run in .../runs/spam wrote ...
    """
    from weaksup.errors import ConfigError
    from weaksup.pipeline.folder import read_manifest

    fix = f"pick another --out path (e.g. reports/{task}.html, the default)"
    owner = run_report_owner(out)
    if owner is not None:
        folder, key = owner
        what = "report" if key == "report" else f"{key} output"
        raise ConfigError(f"--out {out} is the {what} the run in {folder} wrote (its run.json lists it as "
                          f"outputs.{key}): writing over it would replace that run's own {what} and leave its run "
                          f"folder disagreeing with its run.json; {fix}, or run `weaksup run CONFIG` again to "
                          "rewrite that run's report")
    run_dir = Path(os.path.realpath(out)).with_suffix("")
    source = read_manifest(run_dir / "run.json").get("config_source")
    if source is not None and source not in REPORT_SOURCES:
        raise ConfigError(f"--out {out} puts the report's run folder at {run_dir}, which holds the run of {source} "
                          "(its labels, votes and report): the report would replace that run; " + fix)


def check_report_gold(gold: str | os.PathLike[str]) -> None:
    """``--gold`` is a single-label (classification) gold set: ``weaksup report`` scores a classification run,
    and a multi-label or spans gold set (its manifest's ``type``) is scored by a run of that task type, whose run
    folder holds its own ``report.html``.

    Raises
    ------
    ConfigError
        Naming ``--gold``, its type and the run to make instead.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_report_gold(folder)  # no manifest: load_gold says what is missing
    >>> _ = (folder / "manifest.json").write_text(json.dumps({"type": "multilabel"}))
    >>> check_report_gold(folder)
    Traceback (most recent call last):
    weaksup.errors.ConfigError: --gold ... is a multi-label gold set ...
    """
    from weaksup.errors import ConfigError
    from weaksup.gold.versions import manifest_type

    kind = manifest_type(gold)
    if kind not in ("multilabel", "spans"):
        return
    what, example = ("multi-label", "goemotions") if kind == "multilabel" else ("spans", "bc5cdr")
    raise ConfigError(f"--gold {gold} is a {what} gold set (its manifest.json says type {kind!r}), and weaksup report "
                      f"scores single-label (classification) runs only. A {what} run writes its own report: in a "
                      f"config with [task] type = \"{kind}\" (its labels, LF modules and [gold] path = \"{gold}\"; "
                      f"configs/{example}.toml is an example) run `weaksup run CONFIG`; its report is the report.html "
                      "in the run folder (beside output.path)")


def report_config(*, lf_module: str | None = None, data: str | None = None, id_column: str = "row_id",
                  text_column: str = "text", gold: str | None = None, label_model: str = "default",
                  split: str = "test", out: str | None = None, seed: int = 0, end_model: bool = True,
                  normalize: bool = True, tracking: bool = True, require_tracking: bool = False,
                  experiment: str = "weaksup", example: str = "youtube_spam", command: str = "report",
                  gold_version: int | None = None) -> RunConfig:
    """The run config of ``weaksup demo``/``report``: the shipped ``example`` unless ``data`` (and its LFs and
    gold set unless given); the report at ``out``, the run folder beside it (``<out without suffix>/``).

    The data is read and cleaned as ``weaksup run`` does: the ``[clean]`` table is the run config's default
    (``normalize = false`` only with ``normalize=False``, the ``--no-normalize`` flag).

    Raises
    ------
    ConfigError
        ``label_model`` is the temporal model (its sequence and order columns have no flags: a run config names
        them), ``out`` is not an HTML path, or it is the report (or another output) a run wrote in its run folder
        (replacing it would leave that run folder disagreeing with its ``run.json``); naming ``--out``, the
        file, the run folder and the fix.

    Examples
    --------
    >>> config = report_config(out="reports/youtube_spam.html", tracking=False)
    >>> config.clean.normalize, config.clean.duplicates, config.output_dir.name, config.report_path.name
    (True, 'near', 'youtube_spam', 'youtube_spam.html')
    """
    from weaksup.config import RunConfig
    from weaksup.datasets import get_example
    from weaksup.errors import ConfigError

    shipped = get_example(example)
    task = Path(gold).name if gold else shipped.name
    out = out or f"reports/{task}.html"
    if Path(out).suffix.lower() not in (".html", ".htm"):  # never over a data, gold or config file
        raise ConfigError(f"--out {out}: the report is an HTML file; give a path ending in .html (its run folder "
                          "goes beside it, without the suffix)")
    check_report_out(out, task)
    if gold:
        check_report_gold(gold)
    from weaksup.models.temporal import CONFIG_NAMES as TEMPORAL_NAMES

    if label_model in TEMPORAL_NAMES:  # (its order columns are run-config keys, no flags)
        raise ConfigError(f"--label-model {label_model}: the temporal label model needs the input columns saying "
                          f"which sequence each row belongs to and where in it, and weaksup {command} has no flags "
                          "for them (without them a shuffled input is smoothed over wrong neighbours); use "
                          "`weaksup run CONFIG` with a run config naming them: [label_model] name = \"temporal\", "
                          "params = { sequence_column = \"video\", order_column = \"frame\" } (configs/tennis.toml "
                          "is an example), or pick another --label-model")
    source = {"example": shipped.name} if data is None else {"path": str(Path(data).resolve())}
    doc = {
        "task": {"name": task},
        "input": {**source, "id_column": id_column, "text_column": text_column},
        # [clean]: the run config's defaults (as `weaksup run` reads the data), unless --no-normalize
        **({} if normalize else {"clean": {"normalize": False}}),
        "lfs": {"modules": [lf_module or shipped.lfs_module]},
        "label_model": {"name": label_model, "seed": seed},
        "end_model": {"enabled": end_model},
        "gold": {"path": str(Path(gold).resolve() if gold else shipped.gold_dir), "split": split,
                 **({} if gold_version is None else {"version": gold_version})},  # --gold-version: pinned
        "output": {"path": str(Path(out).resolve().with_suffix("") / "labels.parquet"),
                   "report_path": str(Path(out).resolve())},
        "mlflow": {"enabled": tracking, "require": require_tracking, "experiment": experiment},
        # the shipped rows name their authors: masked in review tasks as a run of the example's config masks them
        **({"review": {"sensitive_fields": list(shipped.sensitive_fields)}} if data is None else {}),
    }
    return RunConfig.from_dict(doc, source=f"weaksup {command}")


def run_report(config: RunConfig, command: str = "report") -> RunResult:
    """:func:`weaksup.pipeline.run` of the config ``weaksup demo``/``report`` built from their flags (no
    progress bars); its errors name the flags (:func:`flag_names`), not the config's keys."""
    from weaksup.errors import WeakSupError
    from weaksup.pipeline import run

    try:
        return run(config, progress=False)
    except WeakSupError as exc:  # the config is built from the flags: name them, not its keys
        exc.args = tuple(flag_names(a, command) if isinstance(a, str) else a for a in exc.args)
        raise


def outcome_lines(result: RunResult, command: str = "report") -> list[str]:
    """What ``weaksup demo``/``report`` print after the run: the metrics table (label model vs majority vote),
    the text cleaning (as ``weaksup run`` says it, and when ``--no-normalize`` made it differ from a run),
    the label sources, the end model, the references on the gold test rows with the verdict, where the report
    is, and the MLflow run."""
    from weaksup.pipeline.inputs import cleaning_note

    lines = []
    report = result.report
    ev = report.evaluation if report is not None else None
    if report is not None and ev is not None:
        gold = (result.gold["describe"] if result.config.gold.version is not None and result.gold else  # pinned
                f"{report.params['gold_task']} v{report.params['gold_version']}, hash {report.params['gold_hash']}")
        lines += ["", f"Label model vs majority vote on the {ev.model.n_gold} {ev.split} gold rows (gold {gold}):", "",
                  ev.formatted().to_string(), "", ev.summary()]
    cleaning = cleaning_note(result.config, result.prep)
    notes = [flag_names(cleaning, command)] if cleaning else []
    if not result.config.clean.normalize and command == "report":
        notes.append("these figures differ from `weaksup run`'s on the same data: a run cleans the text unless "
                     "its config sets clean.normalize = false (drop --no-normalize to read the data as a run does)")
    lines += ["", *notes, *result.end_lines(), *result.reference_lines()]
    lines += ["", f"report: {result.report_path}", f"run folder: {result.run_dir}"]
    if result.mlflow_run_id is not None:
        lines.append(f"MLflow run {result.mlflow_run_id} at {result.mlflow_uri} "
                     f"(browse: mlflow ui --backend-store-uri {result.mlflow_uri}; the runs are the experiment's "
                     f"'Training runs' page, or the 'Model training' view)")
    return lines
