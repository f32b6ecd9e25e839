"""The run config: a TOML file naming everything one labeling run needs, validated in one place.

A config has these tables (only ``[task]``, ``[input]``, ``[lfs]`` and ``[output]`` are required)::

    [task]
    name = "youtube_spam"
    type = "classification"           # the task type (weaksup.tasks.TASK_TYPES)
    labels = ["ham", "spam"]          # optional: defaults to the LF modules' LabelSpace
    # type = "multilabel" also takes: exclusive = [["joy", "grief"]], none_label = "neutral",
    # review_margin = 0.1 (a label this near its threshold sends the row to review)
    # type = "spans" (entity types as labels) also takes: tokenizer = "whitespace" | "regex" | "spacy",
    # scheme = "BIO" | "IO"
    # unit = "row"                    # what one labeled item is: "row", or "window" (the input is a window table from
                                      # weaksup.media.series.windows; window_length = 60, window_step = 30, 0: the length)

    [input]
    path = "data/comments.parquet"    # .csv, .tsv, .jsonl, .parquet, or a folder of Parquet parts
    # example = "youtube_spam"        # or a shipped example dataset instead of a path
    id_column = "row_id"
    text_column = "text"
    chunk_rows = 250000               # rows read, cleaned and voted on at a time

    [clean]
    normalize = true                  # NFKC, zero-width characters, whitespace (a spans task: false, and true is refused)
    mask = []                         # any of "url", "email", "number"
    duplicates = "near"               # count duplicates: "near" (letters and digits), "exact" or "off"

    [lfs]
    modules = ["labeling_functions.youtube_spam"]
    tags = []                         # optional selection
    import_timeout = 120              # seconds each LF module may take to import (0: no budget)

    [label_model]
    name = "default"
    seed = 0
    no_votes = "abstain"              # rows no LF voted on: "abstain" (the end model labels them) or "predict"
    # name = "temporal" for ordered items (frames, windows), with params = {sequence_column = "video",
    # order_column = "frame", base = "DevNaiveBayes"}: each item's posterior smoothed over its sequence
    # (order_column is required; file_order = true instead says the rows are already in order in the file)

    [end_model]                       # the final labels: a classifier on the weak labels and the dev gold
    enabled = true                    # (text: TF-IDF; no text column: trees over the rows' columns)
    folds = 5                         # cross-fitting: no row is labeled by a model that saw it
    train_rows = 30000                # a seeded sample of rows to train on (plus every dev gold row; 0: all)
    calibrate = true                  # temperature-scale the final probabilities on the dev gold rows
    self_train = 1                    # self-training rounds on the rows no LF votes on (0 to 10)
    neighbours = 0                    # > 0: those rows also learn their k nearest labeled rows' labels (weaksup[embed])

    [gold]
    path = "gold_sets/youtube_spam"
    # version = 1                     # pin a version of the gold set (default: its latest)

    [review]
    threshold = 0.7

    [output]
    path = "runs/youtube_spam/labels.parquet"
    # report_path = "reports/youtube_spam.html"   # default: report.html in the run folder
    # escape_formulas = true    # CSV cells starting with = + - @ tab or CR get a leading ' (spreadsheets)

    [mlflow]
    enabled = true

Unknown tables or keys and values of the wrong type are reported together, each with the file
and the key; every number must be finite (TOML's ``nan`` and ``inf`` are refused), seeds lie in
``[0, 2**32 - 1]`` and ``input.encoding`` must name a text encoding. Relative paths are resolved against the project folder (the current folder when the
config is loaded) and may not leave it; give an absolute path to read or write elsewhere.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weaksup.config_sections import (NO_VOTES, SEED_MAX, CleanConfig, EndModelConfig, GoldConfig,
                                     InputConfig, LFsConfig, LabelModelConfig, MlflowConfig, OutputConfig, ReviewConfig,
                                     TaskConfig)
from weaksup.config_tables import build_table, did_you_mean, secret_hint
from weaksup.engines.config import EngineConfig
from weaksup.errors import ConfigError as ConfigError  # (its home is weaksup.errors; kept importable here)
from weaksup.tasks import TASK_TYPES

_SECTIONS: dict[str, type] = {
    "task": TaskConfig, "input": InputConfig, "clean": CleanConfig, "lfs": LFsConfig,
    "label_model": LabelModelConfig, "end_model": EndModelConfig, "gold": GoldConfig, "review": ReviewConfig,
    "output": OutputConfig, "mlflow": MlflowConfig, "engine": EngineConfig,
}
_REQUIRED_SECTIONS = ("task", "input", "lfs", "output")

@dataclass(frozen=True)
class RunConfig:
    """A validated run config; build it with :func:`load_config` or :meth:`from_dict`.

    Examples
    --------
    >>> cfg = RunConfig.from_dict({
    ...     "task": {"name": "spam"}, "input": {"path": "data.csv"},
    ...     "lfs": {"modules": ["my_lfs"]}, "output": {"path": "runs/spam/labels.parquet"},
    ... }, project=".")
    >>> cfg.input.chunk_rows, cfg.label_model.name, cfg.output_dir.name
    (250000, 'default', 'spam')
    """

    task: TaskConfig
    input: InputConfig
    lfs: LFsConfig
    output: OutputConfig
    clean: CleanConfig = CleanConfig()
    label_model: LabelModelConfig = LabelModelConfig()
    end_model: EndModelConfig = EndModelConfig()
    gold: GoldConfig = GoldConfig()
    review: ReviewConfig = ReviewConfig()
    mlflow: MlflowConfig = MlflowConfig()
    engine: EngineConfig | None = None  # [engine] (weaksup.engines); None: the streaming run
    source: str = "<dict>"
    project: str = "."

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, source: str = "<dict>", project: str | os.PathLike[str] | None = None
                  ) -> RunConfig:
        """Validate a parsed config; every problem is collected into one :class:`ConfigError`."""
        problems: list[str] = []
        if not isinstance(doc, dict):
            raise ConfigError(f"{source}: a config is a TOML table; got {type(doc).__name__}")
        for name in doc:
            if name not in _SECTIONS:
                table = doc[name] if isinstance(doc[name], dict) else {}
                hint = next((h for h in map(secret_hint, [str(name), *map(str, table)]) if h), "")
                problems.append(f"unknown table [{name}]{did_you_mean(name, _SECTIONS)}{hint}")
        for name in _REQUIRED_SECTIONS:
            if name not in doc:
                problems.append(f"missing table [{name}]")
        task, clean = doc.get("task"), doc.get("clean", {})
        if isinstance(task, dict) and task.get("type") == "spans" and isinstance(clean, dict) \
                and "normalize" not in clean:  # spans are offsets into the text as given: not cleaned by default
            doc = {**doc, "clean": {**clean, "normalize": False}}
        sections: dict[str, Any] = {}
        for name, section_cls in _SECTIONS.items():
            if name in doc:
                sections[name] = build_table(name, section_cls, doc[name], problems)
        if not problems:
            _check_values(sections, problems)
        if problems:
            raise ConfigError(f"{source}: {len(problems)} problem(s) in the run config:\n  - " + "\n  - ".join(problems))
        root = str(Path(project if project is not None else os.getcwd()).resolve())
        return cls(**sections, source=source, project=root)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data (what ``run.json`` records); ``from_dict`` reads it back."""
        return {name: dataclasses.asdict(value) for name in _SECTIONS if (value := getattr(self, name)) is not None}

    # ------------------------------------------------------------------ paths
    def resolve(self, value: str, key: str) -> Path:
        """A path from the config: relative paths are taken from the project folder and may not
        leave it (absolute paths are taken as given)."""
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        root = Path(self.project)
        try:
            resolved = (root / path).resolve()
        except RuntimeError:  # Python < 3.13: a loop of symbolic links
            raise ConfigError(f"{self.source}: {key} = {value!r} is a loop of symbolic links (a link that leads "
                              "back to itself); point it at a real file or folder") from None
        if not resolved.is_relative_to(root):
            raise ConfigError(
                f"{self.source}: {key} = {value!r} points outside the project folder {root}; "
                "give an absolute path to use a location outside it"
            )
        return resolved

    @property
    def output_path(self) -> Path:
        return self.resolve(self.output.path, "output.path")

    @property
    def output_dir(self) -> Path:
        """The run folder: the labels, votes, label model, report and ``run.json`` go here."""
        return self.output_path.parent

    @property
    def report_path(self) -> Path:
        """Where the HTML report goes: ``output.report_path``, by default ``report.html`` in the run folder."""
        if self.output.report_path:
            return self.resolve(self.output.report_path, "output.report_path")
        return self.output_dir / "report.html"


def load_config(path: str | os.PathLike[str], overrides: str | list[str] | tuple[str, ...] = (),
                *, project: str | os.PathLike[str] | None = None) -> RunConfig:
    """Read and validate a TOML run config, applying ``section.key=value`` overrides first.

    Override values are parsed as TOML values (``7``, ``true``, ``["a", "b"]``); anything that
    is not a TOML value is taken as a string (``output.path=runs/x.csv``). A single override may be
    given as one string. A longer dotted key sets a key inside a table: ``label_model.params.smoothing=9``,
    ``review.class_thresholds.spam=0.9`` (the label model's params are checked against the model when the run is
    planned).

    Examples
    --------
    >>> cfg = load_config("configs/youtube_spam.toml", ["label_model.seed=7", "review.threshold=0.9"])
    >>> cfg.label_model.seed, cfg.review.threshold, cfg.task.name
    (7, 0.9, 'youtube_spam')
    >>> load_config("configs/youtube_spam.toml", "review.threshold=0.5").review.threshold
    0.5
    >>> load_config("configs/youtube_spam.toml", "label_model.params.restrict_to_voted=trusted").label_model.params
    {'restrict_to_voted': 'trusted'}
    """
    if isinstance(overrides, str):  # one override, not a sequence of one-character ones
        overrides = (overrides,)
    bad = [item for item in overrides if not isinstance(item, str)]
    if bad:
        raise ConfigError(f"load_config: overrides must be 'section.key=value' strings; got {bad[0]!r} "
                          f"({type(bad[0]).__name__}); pass e.g. ['label_model.seed=7']")
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist" if not path.exists()
                          else f"config {str(path)!r} is not a file")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc}); save the config as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for item in overrides:
        _apply_override(doc, item, str(path))
    return RunConfig.from_dict(doc, source=str(path), project=project)


def _apply_override(doc: dict[str, Any], item: str, source: str) -> None:
    key, sep, raw = item.partition("=")
    parts = key.strip().split(".")
    if not sep or len(parts) < 2 or not all(parts):
        raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. label_model.seed=7 (or a key inside a "
                          "table: label_model.params.smoothing=9)")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    if len(parts) > 2:
        _check_nested(parts, item)
    table = doc
    for depth, part in enumerate(parts[:-1]):
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: --set {item!r}: {'.'.join(parts[:depth + 1])} is not a table")
    table[parts[-1]] = value


def _nested_tables() -> list[str]:
    """The config's keys that hold a table (``label_model.params``, ``review.class_thresholds``)."""
    return [f"{name}.{key}" for name, section_cls in _SECTIONS.items()
            for key, hint in typing.get_type_hints(section_cls).items() if typing.get_origin(hint) is dict]


def _check_nested(parts: list[str], item: str) -> None:
    """A ``--set`` key of three or more parts goes inside a table the schema allows there (a table of values
    takes tables at any depth: ``label_model.params.base_params.smoothing``)."""
    if parts[0] not in _SECTIONS:
        raise ConfigError(f"--set {item!r}: unknown table [{parts[0]}]{did_you_mean(parts[0], _SECTIONS)}")
    hint: Any = typing.get_type_hints(_SECTIONS[parts[0]]).get(parts[1])
    for depth in range(1, len(parts) - 1):
        if hint is Any:
            return
        if typing.get_origin(hint) is not dict:
            raise ConfigError(f"--set {item!r}: {'.'.join(parts[:depth + 1])} is not a table; --set reaches inside "
                              f"{', '.join(_nested_tables())} (section.key=value sets any other key)")
        hint = typing.get_args(hint)[1]


# ---------------------------------------------------------------------- validation
def _check_values(sections: dict[str, Any], problems: list[str]) -> None:
    """Checks across keys, once every key has the right type."""
    inp: InputConfig = sections["input"]
    if sections["task"].type not in TASK_TYPES:
        problems.append(f"task.type = {sections['task'].type!r} is not a task type; choose one of {sorted(TASK_TYPES)}")
    if bool(inp.path) == bool(inp.example):
        problems.append("[input] needs exactly one of path (a data file or folder) or example (a shipped dataset)")
    if sections["output"].report_rows < 0:
        problems.append(f"output.report_rows must be 0 (all rows) or positive; got {sections['output'].report_rows}")
    if inp.chunk_rows < 1:
        problems.append(f"input.chunk_rows must be at least 1; got {inp.chunk_rows}")
    if sections["lfs"].lf_timeout < 0:
        problems.append(f"lfs.lf_timeout must be 0 (no budget) or a number of seconds; got {sections['lfs'].lf_timeout}")
    if sections["lfs"].import_timeout < 0:
        problems.append("lfs.import_timeout must be 0 (no budget) or a number of seconds; "
                        f"got {sections['lfs'].import_timeout}")
    try:
        "a".encode(inp.encoding)  # (empty bytes decode under any name)
    except LookupError as exc:
        problems.append(f"input.encoding = {inp.encoding!r} is not a text encoding Python knows ({exc}); "
                        "use e.g. 'utf-8', 'utf-8-sig', 'latin-1' or 'cp1252'")
    if sections["lfs"].workers < 0:
        problems.append(f"lfs.workers must be 0 (one per CPU) or a number of threads; got {sections['lfs'].workers}")
    if not sections["lfs"].modules:
        problems.append("lfs.modules is empty: name at least one LF module (dotted name or .py path)")
    clean = sections.get("clean", CleanConfig())
    from weaksup.data import MASKS
    from weaksup.models.base import tie_break_problem
    if clean.duplicates not in ("near", "exact", "off"):
        problems.append(f"clean.duplicates must be 'near', 'exact' or 'off'; got {clean.duplicates!r}")
    for item in clean.mask:
        if item not in MASKS:
            problems.append(f"clean.mask: unknown mask {item!r}; choose from {sorted(MASKS)}")
    model = sections.get("label_model", LabelModelConfig())
    if (tie_problem := tie_break_problem(model.tie_break, "label_model.tie_break")) is not None:
        problems.append(tie_problem)
    if model.sample_rows < 0:
        problems.append(f"label_model.sample_rows must be 0 (all rows) or positive; got {model.sample_rows}")
    if model.no_votes not in NO_VOTES:
        problems.append(f"label_model.no_votes must be one of {list(NO_VOTES)} ('abstain': rows no LF voted on get "
                        f"their label from the end model or go to review); got {model.no_votes!r}")
    end = sections.get("end_model", EndModelConfig())
    if end.folds < 2:
        problems.append(f"end_model.folds must be at least 2 (cross-fitting); got {end.folds}")
    if end.train_rows < 0:
        problems.append(f"end_model.train_rows must be 0 (all rows) or positive; got {end.train_rows}")
    if not 0 <= end.self_train <= 10:
        problems.append(f"end_model.self_train must be a whole number from 0 to 10; got {end.self_train}")
    if end.neighbours < 0:
        problems.append(f"end_model.neighbours must be 0 (off) or a positive number of neighbours; got {end.neighbours}")
    from weaksup.final.neighbours import texts_needed
    no_text = None if inp.text_column else 'the input has no text column: input.text_column = ""'
    if end.enabled and (problem := texts_needed(end.neighbours, f"end_model.neighbours = {end.neighbours}", no_text,
                                                "set end_model.neighbours = 0")):
        problems.append(problem)
    if not 0 <= model.seed <= SEED_MAX:
        problems.append(f"label_model.seed must be a whole number from 0 to {SEED_MAX} (2**32 - 1); got {model.seed}")
    gold = sections.get("gold", GoldConfig())
    if gold.split not in ("dev", "test"):
        problems.append(f"gold.split must be 'dev' or 'test'; got {gold.split!r}")
    if gold.version is not None and gold.version < 1:
        problems.append(f"gold.version must be a positive whole number (a version of the gold set at gold.path, see "
                        f"`weaksup gold show`); got {gold.version}; leave it out for the latest")
    review = sections.get("review", ReviewConfig())
    for key, value in [("review.threshold", review.threshold), ("review.conflict_threshold", review.conflict_threshold),
                       *((f"review.class_thresholds.{k}", v) for k, v in review.class_thresholds.items())]:
        if not 0.0 <= value <= 1.0:
            problems.append(f"{key} must be between 0 and 1; got {value}")
    from weaksup.review.labelstudio_media import MEDIA_KINDS, MEDIA_URLS
    if review.media not in ("", *MEDIA_KINDS):
        problems.append(f"review.media = {review.media!r}: choose {' or '.join(map(repr, MEDIA_KINDS))} (review tasks "
                        "show the file at review.media_column, or plot the series ordered by it), or leave it out to "
                        "review the text")
    if review.media_context < 0:
        problems.append(f"review.media_context must be 0 or more rows (shown before and after the item); got "
                        f"{review.media_context}")
    if review.media_url not in MEDIA_URLS:
        problems.append(f"review.media_url = {review.media_url!r}: choose 'data' (the file's bytes inline: offline, no "
                        "setup) or 'local-files' (Label Studio serves the files from its document root)")
    labels = sections["task"].labels
    for name in review.class_thresholds:
        if labels and name not in labels:
            problems.append(f"review.class_thresholds: {name!r} is not a class of the task; classes are {labels}")
    suffix = Path(sections["output"].path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        problems.append(f"output.path {sections['output'].path!r}: the extension picks the format; "
                        f"use one of {sorted(OUTPUT_FORMATS)}")


#: Output formats by extension.
OUTPUT_FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}
