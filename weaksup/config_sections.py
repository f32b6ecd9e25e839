"""The tables of a run config (``[task]``, ``[input]``, ``[clean]``, ...): one frozen dataclass each.

:mod:`weaksup.config` reads a TOML file into them (see its docstring for every key); each value is checked against its
field's type hint by :func:`weaksup.config_tables.build_table`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weaksup.data.chunks import CHUNK_ROWS
from weaksup.review.routing import RoutingPolicy
from weaksup.tasks import DEFAULT_TASK_TYPE

__all__ = ["IMPORT_TIMEOUT", "NO_VOTES", "SEED_MAX", "CleanConfig", "EndModelConfig", "GoldConfig", "InputConfig",
           "LFsConfig", "LabelModelConfig", "MlflowConfig", "OutputConfig", "ReviewConfig", "TaskConfig"]

_ROUTING = RoutingPolicy()

#: The default budget (seconds) for importing each LF module (``lfs.import_timeout``; 0 for none).
IMPORT_TIMEOUT = 120.0
#: Seeds are whole numbers in ``[0, SEED_MAX]``: every random generator weaksup and its models use accepts them.
SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class TaskConfig:
    name: str
    labels: list[str] = field(default_factory=list)
    type: str = DEFAULT_TASK_TYPE
    exclusive: list[list[str]] = field(default_factory=list)  # multilabel: groups of labels a row carries one of
    none_label: str = ""  # multilabel: the label meaning "none of the others"
    review_margin: float = 0.1  # multilabel: a label this near its threshold (on its scale) sends its row to review
    tokenizer: str = "whitespace"  # spans: how text is cut into tokens ("whitespace", "regex", "spacy")
    scheme: str = "BIO"  # spans: the tag scheme of the token-level votes ("BIO" or "IO")
    unit: str = "row"  # what one labeled item is: an input "row", or a "window" (weaksup.media.series.windows)
    window_length: int = 0  # unit = "window": samples per window
    window_step: int = 0  # unit = "window": samples between window starts (0: the length)


@dataclass(frozen=True)
class InputConfig:
    path: str = ""
    example: str = ""
    id_column: str = "row_id"
    text_column: str = "text"
    fields: list[str] = field(default_factory=list)
    chunk_rows: int = CHUNK_ROWS
    encoding: str = "utf-8"


@dataclass(frozen=True)
class CleanConfig:
    normalize: bool = True
    lowercase_into: str = ""
    mask: list[str] = field(default_factory=list)
    duplicates: str = "near"


@dataclass(frozen=True)
class LFsConfig:
    modules: list[str]
    tags: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    fault_tolerant: bool = False
    lf_timeout: float = 0.0
    workers: int = 0
    import_timeout: float = IMPORT_TIMEOUT


@dataclass(frozen=True)
class LabelModelConfig:
    name: str = "default"
    seed: int = 0
    sample_rows: int = 0
    tie_break: str = "abstain"
    params: dict[str, Any] = field(default_factory=dict)
    no_votes: str = "abstain"


#: ``label_model.no_votes``: what the label model does on rows no LF voted on.
NO_VOTES = ("abstain", "predict")


@dataclass(frozen=True)
class EndModelConfig:
    enabled: bool = True
    folds: int = 5
    train_rows: int = 30_000
    calibrate: bool = True
    self_train: int = 1             # self-training rounds on the rows no LF votes on
    neighbours: int = 0             # label propagation over sentence-embedding neighbours (weaksup[embed]); 0: off
    exclude_columns: list[str] = field(default_factory=list)  # no text column: columns the end model never reads


@dataclass(frozen=True)
class GoldConfig:
    path: str = ""
    split: str = "test"
    version: int | None = None  # pin a version of the gold set at path (default: its latest)


@dataclass(frozen=True)
class ReviewConfig:
    threshold: float = _ROUTING.threshold
    class_thresholds: dict[str, float] = field(default_factory=dict)
    conflict_threshold: float = _ROUTING.conflict_threshold
    sensitive_fields: list[str] = field(default_factory=list)
    media: str = ""                 # "image" or "audio": tasks show / play the file at media_column (else the text);
    #                                 "series": tasks plot the row's neighbourhood (weaksup.review.labelstudio_series)
    media_column: str = "path"      # the input column holding the media files' paths (series: the order column)
    media_group: str = ""           # series: the sequence column (e.g. "video"); empty: the input is one sequence
    media_channels: list[str] = field(default_factory=list)  # series: columns to plot (default: all numeric ones)
    media_context: int = 50         # series: rows shown before and after the item
    media_url: str = "data"         # "data" (bytes inline: offline, no setup) or "local-files" (the server serves)
    media_root: str = ""            # folder relative paths are read from (default: the input file's, then the project)
    media_document_root: str = ""   # local-files: the server's LOCAL_FILES_DOCUMENT_ROOT

    @property
    def policy(self) -> RoutingPolicy:
        """The routing thresholds as a :class:`~weaksup.review.routing.RoutingPolicy`."""
        return RoutingPolicy(self.threshold, self.class_thresholds, self.conflict_threshold)


@dataclass(frozen=True)
class OutputConfig:
    path: str
    report: bool = True
    report_path: str = ""
    report_rows: int = 2_000_000
    write_clean: bool = False
    reuse_votes: bool = True
    escape_formulas: bool = True


@dataclass(frozen=True)
class MlflowConfig:
    enabled: bool = True
    tracking_uri: str = ""
    experiment: str = "weaksup"
    require: bool = False
