"""Start a project: ``weaksup init DIR`` writes a project folder from a shipped example (package data).

The project runs at once (``cd DIR && weaksup run configs/<example>.toml``) and is the user's to edit::

    DIR/
      README.md                       what is where, the commands
      .gitignore                      run outputs, MLflow store
      configs/<example>.toml          the run config (the repository's configs/<example>.toml, paths local)
      labeling_functions/<example>.py the example's LFs, a copy to edit (same LF versions as the shipped ones)
      labeling_functions/...          the files those LFs read (lexicons, a saved model)
      gold_sets/<example>/            the gold set (manifest.json + labels)
      data/<example>.csv              the example's rows (row id, text, the columns the LFs read) + SOURCE.md
      notebooks/01_label_<example>.ipynb  runs the config from its own folder (as Jupyter does)

A folder that already holds files is refused unless ``force``: then the files that exist are kept (never
overwritten) and reported as skipped. Each file is written whole or not at all, and a failed write (a full
disk, a file-size limit) takes away what the call wrote: the project appears whole or not at all.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from weaksup._io import NO_ROOM, atomic_path, file_in_the_way, user_path
from weaksup.datasets import Example, get_example
from weaksup.errors import ParameterError

log = logging.getLogger(__name__)

#: Per example: the files its LF module reads, relative to the example's package folder (copied beside the
#: project's LF module, which finds them the same way, next to itself).
LF_FILES: dict[str, tuple[str, ...]] = {
    "youtube_spam": ("resources/youtube_lexicon.csv", "resources/youtube_spam_accounts.csv",
                     "sms_spam/sms_spam_model.joblib", "sms_spam/SOURCE.md"),
}

_LF_HEADER = '''"""The {name} labeling functions: a copy of weaksup's shipped example ({module}), yours to edit.

Written and tuned on the *dev* gold split only (``gold_sets/{name}``); the test split is for measuring. The
files the LFs read (lexicons, a saved model) are beside this module. Add LFs here (or in a new module listed
in ``configs/{name}.toml`` under ``[lfs] modules``); an edited LF gets a new version, so the next run
recomputes its votes only.
"""'''

_CONFIG = """\
# configs/{name}.toml -- the run config of this project ({description}).
# Run it from the project folder:  weaksup run configs/{name}.toml
# Override any value on the command line, e.g. --set label_model.name=MajorityVote
# For a task of your own: copy this file to configs/<your_task>.toml, then change [task], [input], [lfs], [gold].

[task]
name = "{name}"
type = "classification"
labels = {labels}

[input]
path = "data/{name}.csv"          # a .csv, .tsv, .jsonl or .parquet file, a folder of them or a glob
id_column = "{id_column}"
text_column = "{text_column}"
chunk_rows = 250000

[clean]
normalize = true                  # NFKC, zero-width characters, whitespace runs
mask = []                         # "url", "email", "number": masks what LFs see
duplicates = "near"               # count exact and near duplicates ("exact" is cheaper, "off")

[lfs]
modules = ["labeling_functions.{name}"]
workers = 0                       # threads voting chunks at once, 0 = one per CPU (1 when an LF runs user code)

[label_model]
name = "default"                  # DevNaiveBayes with the dev gold split
seed = 0
no_votes = "abstain"              # rows no LF voted on: not guessed from the prior ("predict": the old guess)

[end_model]                       # the final labels: label model + a text classifier on the weak labels and dev gold
enabled = true                    # false: rows without votes are abstained and sent to review
folds = 5                         # cross-fitted: no row is labeled by a model that saw it
train_rows = 30000                # a seeded sample of rows to train on, plus every dev gold row (0: all rows)
calibrate = true                  # temperature-scaled on the dev gold before routing
# exclude_columns = ["is_fraud"]  # text_column = "" (trees over the rows' columns): columns never read, such as the
                                  # label or a column derived from it (the run names a column that predicts the gold)

[gold]
path = "gold_sets/{name}"
split = "test"                    # metrics on the held-out test split
# version = 1                     # pin a gold set version (default: the latest; `weaksup gold show` lists them):
                                  # re-score an old run on the gold it was measured on (the summary says "pinned")

[review]
threshold = 0.7                   # rows under this confidence go to review
sensitive_fields = {sensitive}

[output]
path = "runs/{name}/labels.parquet"

[mlflow]
enabled = true                    # local sqlite store ./mlflow.db unless MLFLOW_TRACKING_URI is set
experiment = "weaksup"
"""

_README = """\
# {name}

A weaksup project, started with `weaksup init --example {name}` from the shipped example ({description}).

| Path | What |
| --- | --- |
| `configs/{name}.toml` | the run config: input, LFs, label model, gold set, review threshold, outputs |
| `labeling_functions/{name}.py` | the labeling functions (a copy of the example's; edit and add) |
| `gold_sets/{name}/` | the gold set: `manifest.json` and the labels, with their dev and test splits |
| `data/{name}.csv` | the rows to label (see `data/SOURCE.md` for where they come from) |
| `notebooks/` | a notebook that runs the config and shows the outputs |

Run from this folder:

```bash
weaksup lfs configs/{name}.toml          # the LFs, their kinds and versions
weaksup run configs/{name}.toml          # label every row: runs/{name}/labels.parquet, report.html, run.json
weaksup run configs/{name}.toml --no-tracking   # the same without the MLflow run (./mlflow.db)
mlflow ui --backend-store-uri sqlite:///mlflow.db   # browse the runs (pip install 'weaksup[mlflow]')
```

Runs with the same data and LF versions reuse the saved votes; `--fresh` recomputes them.
"""

_GITIGNORE = "runs/\nreports/\nmlflow.db\nmlruns/\n.ipynb_checkpoints/\n__pycache__/\n"

#: The first code cell of a project notebook: Jupyter (and nbclient) run a notebook in its own folder, the
#: project is the first folder up that holds ``configs/``.
ROOT_CELL = """\
import os, sys
from pathlib import Path
# Jupyter runs a notebook in its own folder; the project folder is the first one up that holds configs/
root = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / 'configs').is_dir())
os.chdir(root); sys.path.insert(0, str(root))"""


@dataclass
class Scaffold:
    """What :func:`init_project` did: the project folder, the files written and the files kept as they were.

    Examples
    --------
    >>> import tempfile
    >>> done = init_project(Path(tempfile.mkdtemp()) / "spam")
    >>> done.config.relative_to(done.root).as_posix(), len(done.skipped)
    ('configs/youtube_spam.toml', 0)
    """

    root: Path
    config: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def init_project(dest: str | Path, example: str = "youtube_spam", *, force: bool = False) -> Scaffold:
    """Write a project folder from the shipped ``example``: config, LF module, gold set, data, notebook, README.

    Parameters
    ----------
    dest : str or Path
        The project folder; created if absent. A folder holding files is refused unless ``force``.
    example : str
        A shipped example (:data:`weaksup.datasets.EXAMPLES`).
    force : bool
        Write into a folder that already holds files; files that exist are kept, not overwritten (listed in
        :attr:`Scaffold.skipped`).

    Returns
    -------
    Scaffold
        The folder, its run config and the files written and skipped.

    Raises
    ------
    ParameterError
        ``dest`` is a file, or a folder holding files without ``force``.
    DatasetError
        ``example`` is not a shipped example.

    Examples
    --------
    >>> import tempfile
    >>> done = init_project(Path(tempfile.mkdtemp()) / "spam")
    >>> sorted(p.name for p in done.root.iterdir())
    ['.gitignore', 'README.md', 'configs', 'data', 'gold_sets', 'labeling_functions', 'notebooks']
    >>> init_project(done.root)
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: ...spam is not empty (.gitignore, README.md, configs, ...); give an empty or new folder, or --force to add the project's files beside them (existing files are kept)
    """
    spec = get_example(example)
    root = Path(dest).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise ParameterError(f"weaksup init: {root} is a file; give a folder (new or empty) for the project")
    present = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    if present and not force:
        shown = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
        raise ParameterError(f"weaksup init: {root} is not empty ({shown}); give an empty or new folder, or "
                             "--force to add the project's files beside them (existing files are kept)")
    blocker = file_in_the_way(root)
    if blocker is not None:
        raise ParameterError(f"weaksup init: {root} cannot be made: {blocker} is a file, not a folder; give a "
                             "folder path")
    made = [p for p in (root, *root.parents) if not p.exists()]  # the folders this call makes (removed on failure)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"weaksup init: cannot make the folder {root} ({exc.strerror or exc}); give a folder "
                             "you can write to") from None
    done = Scaffold(root=root, config=root / "configs" / f"{spec.name}.toml")
    path = root
    try:
        for relative, content in _files(spec):
            path = root / relative
            if path.exists():
                done.skipped.append(path)
                log.info("weaksup init: kept the existing %s", path)
                continue
            _write(path, content, made)
            done.written.append(path)
    except BaseException as exc:  # the project is whole or absent: what this call wrote is taken away again
        _undo(done.written, made)
        if isinstance(exc, OSError):
            raise ParameterError(_write_failure(exc, path, bool(present))) from None
        raise
    return done


def _write(path: Path, content: str | bytes | Path, made: list[Path]) -> None:
    """Write one project file whole or not at all (:func:`weaksup._io.atomic_path`); the folders made for it are
    added to ``made``."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    made.extend(missing)
    with atomic_path(path) as tmp:
        if isinstance(content, Path):
            shutil.copyfile(content, tmp)
        elif isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")


def _undo(written: list[Path], made: list[Path]) -> None:
    """Remove the files written and the folders made (the deepest first, only when left empty)."""
    for path in written:
        path.unlink(missing_ok=True)
    for folder in sorted(set(made), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:  # not empty (a file of the user's), or gone: left as it is
            continue


def _write_failure(exc: OSError, path: Path, others: bool) -> str:
    """The message of a project file that could not be written: which file, why, what was undone, the fix."""
    why = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno in NO_ROOM:
        fix = "free some space (or raise the file-size limit, ulimit -f), or give a folder on another disk"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "give a folder you can write to"
    else:
        fix = "fix the cause and run weaksup init again"
    undone = ("the files it wrote were removed, the folder's own files left as they were" if others
              else "nothing of the project was left")
    return f"weaksup init: cannot write {user_path(path)} ({why}); {undone}; {fix}"


def _files(spec: Example) -> list[tuple[str, str | bytes | Path]]:
    """The project's files: (path relative to the project, text, bytes or a package file to copy)."""
    name = spec.name
    values = {"name": name, "description": spec.description, "labels": json.dumps(list(spec.label_space)),
              "id_column": spec.id_column, "text_column": spec.text_column, "module": spec.lfs_module}
    rows = spec.load()
    sensitive = ["author"] if "author" in rows.columns else []  # who wrote a row is not shown to reviewers
    files: list[tuple[str, str | bytes | Path]] = [
        ("README.md", _README.format(**values)),
        (".gitignore", _GITIGNORE),
        (f"configs/{name}.toml", _CONFIG.format(**values, sensitive=json.dumps(sensitive))),
        ("labeling_functions/__init__.py", '"""The labeling-function modules of this project."""\n'),
        (f"labeling_functions/{name}.py", _lf_module(spec, values)),
        *((f"labeling_functions/{f}", spec.root / f) for f in LF_FILES.get(name, ())),
        *((f"gold_sets/{name}/{p.name}", p) for p in sorted(spec.gold_dir.iterdir()) if p.is_file()),
        (f"data/{name}.csv", rows.to_csv(index=False, lineterminator="\n")),
        *(("data/SOURCE.md", p) for p in [spec.data_dir / "SOURCE.md"] if p.is_file()),
        (f"notebooks/01_label_{name}.ipynb", _notebook(name)),
    ]
    return files


def _lf_module(spec: Example, values: dict[str, str]) -> str:
    """The example's LF module source with its docstring replaced (the LFs' source, hence versions, unchanged)."""
    module = spec.lfs_module.rsplit(".", 1)[-1]
    source = (spec.root / f"{module}.py").read_text(encoding="utf-8")
    return re.sub(r'\A""".*?"""', lambda _: _LF_HEADER.format(**values), source, count=1, flags=re.DOTALL)


def _notebook(name: str) -> str:
    """A notebook running the project's config from the notebook's own folder, showing the outputs."""
    def code(source: str) -> dict[str, object]:
        return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                "source": source.splitlines(keepends=True)}

    def markdown(source: str) -> dict[str, object]:
        return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}

    cells = [
        markdown(f"# Label {name}\n\nRuns `configs/{name}.toml` (like `weaksup run`), then shows the LF summary, "
                 "the labels and the rows that need review."),
        code(ROOT_CELL),
        code("from weaksup.config import load_config\nfrom weaksup.pipeline import load_run, run\n\n"
             "# MLflow off here; drop the override to log the run to ./mlflow.db\n"
             f"config = load_config('configs/{name}.toml', ['mlflow.enabled=false'])\n"
             "result = run(config, progress=False)\nprint(result.summary())"),
        code("from weaksup.analysis import lf_summary\n\nsaved = load_run(config.output_dir)\n"
             "lf_summary(saved.votes())"),
        code("labels = saved.labels\nlabels['review_status'].value_counts()"),
        code("labels[labels['review_status'] == 'needs_review'].head()"),
    ]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                            "name": "python3"},
                                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    return json.dumps(notebook, indent=1) + "\n"
