"""``weaksup init``: a project folder from a shipped example that runs at once, from the project and from its
notebook's own folder; a folder holding files is refused unless --force, which never overwrites."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.datasets import get_example
from weaksup.errors import ParameterError
from weaksup.gold import load_gold
from weaksup.registry import Registry
from weaksup.scaffold import init_project

LAYOUT = [".gitignore", "README.md", "configs/youtube_spam.toml", "data/SOURCE.md", "data/youtube_spam.csv",
          "gold_sets/youtube_spam/labels.csv", "gold_sets/youtube_spam/manifest.json",
          "labeling_functions/__init__.py", "labeling_functions/resources/youtube_lexicon.csv",
          "labeling_functions/resources/youtube_spam_accounts.csv", "labeling_functions/sms_spam/SOURCE.md",
          "labeling_functions/sms_spam/sms_spam_model.joblib", "labeling_functions/youtube_spam.py",
          "notebooks/01_label_youtube_spam.ipynb"]


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory):
    return init_project(tmp_path_factory.mktemp("init") / "spam")


def test_init_writes_the_project_layout(scaffold):
    files = sorted(p.relative_to(scaffold.root).as_posix() for p in scaffold.root.rglob("*") if p.is_file())
    assert files == LAYOUT
    assert sorted(p.relative_to(scaffold.root).as_posix() for p in scaffold.written) == LAYOUT
    assert scaffold.skipped == []


def test_the_config_is_the_repositorys_with_the_projects_own_input_and_lfs(scaffold):
    """The scaffold's config differs from configs/youtube_spam.toml only where the project keeps its own
    files: a change to the repository's defaults that the scaffold misses fails here."""
    ours = tomllib.loads(scaffold.config.read_text())
    repo = tomllib.loads((REPO / "configs" / "youtube_spam.toml").read_text())
    assert ours["input"].pop("path") == "data/youtube_spam.csv" and repo["input"].pop("example") == "youtube_spam"
    assert ours["lfs"].pop("modules") == repo["lfs"].pop("modules") == ["labeling_functions.youtube_spam"]
    assert ours == repo
    cfg = load_config(scaffold.config, project=scaffold.root)
    assert cfg.resolve(cfg.input.path, "input.path").is_file() and cfg.resolve(cfg.gold.path, "gold.path").is_dir()


def test_the_project_holds_the_examples_rows_gold_set_and_lfs_with_their_versions(scaffold):
    example = get_example("youtube_spam")
    rows = pd.read_csv(scaffold.root / "data" / "youtube_spam.csv", dtype={"row_id": str})
    assert rows["row_id"].tolist() == example.load()["row_id"].tolist() and "label" not in rows.columns
    gold = load_gold(scaffold.root / "gold_sets" / "youtube_spam")
    assert gold.hash == load_gold(example.gold_dir).hash == "aca3ebd2c796fee4"
    copy = Registry.from_modules(str(scaffold.root / "labeling_functions" / "youtube_spam.py"))
    shipped = Registry.from_modules(example.lfs_module)
    assert [(lf.name, lf.version) for lf in copy.lfs] == [(lf.name, lf.version) for lf in shipped.lfs]
    assert copy.rule_version == shipped.rule_version
    source = (scaffold.root / "labeling_functions" / "youtube_spam.py").read_text()
    assert source.startswith('"""The youtube_spam labeling functions: a copy') and "re-exports" not in source
    notebook = json.loads((scaffold.root / "notebooks" / "01_label_youtube_spam.ipynb").read_text())
    assert notebook["nbformat"] == 4 and all(not c.get("outputs") for c in notebook["cells"])


def test_init_refuses_a_folder_holding_files_and_force_never_overwrites(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match=r"is not empty \(notes.txt\).*--force"):
        init_project(tmp_path)
    code, out, err = _cli(capsys, "init", str(tmp_path))
    assert code == 2 and "is not empty (notes.txt)" in err and "--force" in err
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "youtube_spam.toml").write_text("# my own config\n")
    code, out, err = _cli(capsys, "init", str(tmp_path), "--force")
    assert code == 0 and "wrote 13 files" in out and "configs/youtube_spam.toml (kept as it was)" in out
    assert (tmp_path / "configs" / "youtube_spam.toml").read_text() == "# my own config\n"
    assert (tmp_path / "notes.txt").read_text() == "mine"
    code, out, err = _cli(capsys, "init", str(tmp_path / "notes.txt"))
    assert code == 2 and "is a file" in err
    code, out, err = _cli(capsys, "init", str(tmp_path / "notes.txt" / "sub"))
    assert code == 2 and "notes.txt is a file, not a folder" in err and "Traceback" not in err
    code, out, err = _cli(capsys, "init", str(tmp_path / "new"), "--example", "imdb")
    assert code == 2 and "'imdb' is not a shipped example" in err and not (tmp_path / "new").exists()


def _init_under_a_file_size_limit(*argv: str, cwd) -> subprocess.CompletedProcess[str]:
    """``weaksup init`` in a child process that may write files of 100 KB at most (as ``ulimit -f 100``)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return subprocess.run([sys.executable, "-m", "weaksup", "init", *argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=limit, timeout=300)


def test_a_failed_write_leaves_no_project_and_no_partial_file(tmp_path):
    # the 230 KB saved model is over the limit: it was left truncated (a traceback, exit 1), and kept by --force
    done = _init_under_a_file_size_limit("newproj", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "cannot write" in done.stderr and "sms_spam_model.joblib (File too large)" in done.stderr
    assert "free some space" in done.stderr and not (tmp_path / "newproj").exists()
    mine = tmp_path / "mine"
    (mine / "configs").mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    done = _init_under_a_file_size_limit(str(mine), "--force", cwd=tmp_path)
    assert done.returncode == 2 and "the folder's own files left as they were" in done.stderr, done.stderr
    assert sorted(p.relative_to(mine).as_posix() for p in mine.rglob("*")) == ["configs", "notes.txt"]
    made = init_project(mine, force=True)  # with room: the whole project, the model byte for byte
    model = "labeling_functions/sms_spam/sms_spam_model.joblib"
    assert (mine / model).read_bytes() == (get_example("youtube_spam").root / "sms_spam/sms_spam_model.joblib"
                                           ).read_bytes() and mine / model in made.written


@pytest.mark.slow
def test_the_project_runs_and_its_notebook_runs_from_its_own_folder(tmp_path, monkeypatch, capsys):
    """``cd DIR && weaksup run configs/youtube_spam.toml`` labels the example as the repository's config does;
    the notebook, executed in notebooks/ (as Jupyter does), runs the same config."""
    import nbformat
    from nbclient import NotebookClient

    code, out, _ = _cli(capsys, "init", str(tmp_path / "spam"))
    assert code == 0 and "weaksup run configs/youtube_spam.toml" in out
    root = tmp_path / "spam"
    monkeypatch.chdir(root)
    code, out, err = _cli(capsys, "run", "configs/youtube_spam.toml", "--no-tracking", "--no-progress")
    assert code == 0, err
    assert "1,956 rows, 28 LFs (rule_version a35148b6)" in out and "final " in out
    labels = pd.read_parquet(root / "runs" / "youtube_spam" / "labels.parquet")
    assert len(labels) == 1956 and (root / "runs" / "youtube_spam" / "report.html").is_file()
    path = root / "notebooks" / "01_label_youtube_spam.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "1,956 rows, 28 LFs (rule_version a35148b6)" in text
    assert any("kw_subscribe" in o.get("data", {}).get("text/html", "") for o in outputs)  # the LF summary
