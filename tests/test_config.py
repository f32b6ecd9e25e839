"""Run configs: every problem named with the file and the key; overrides; paths kept in the project."""

from __future__ import annotations

import re

import pytest

from tests.pipeline_project import write_config
from weaksup.config import ConfigError, RunConfig, load_config


def test_a_valid_config_with_overrides(tmp_path):
    path = write_config(tmp_path)
    cfg = load_config(path, ["label_model.seed=7", "review.threshold=0.9", "lfs.tags=['a', 'b']",
                             "output.path=elsewhere/out.csv", "clean.normalize=false"], project=tmp_path)
    assert cfg.label_model.seed == 7 and cfg.review.threshold == 0.9 and cfg.lfs.tags == ["a", "b"]
    assert cfg.output_path == tmp_path / "elsewhere" / "out.csv" and cfg.clean.normalize is False
    assert RunConfig.from_dict(cfg.to_dict(), project=tmp_path) == RunConfig.from_dict(cfg.to_dict(), project=tmp_path)


def test_one_override_may_be_one_string_and_other_types_are_refused(tmp_path):
    path = write_config(tmp_path)
    # a str is one override, not one per character (which failed on "r" as a key)
    assert load_config(path, "review.threshold=0.5", project=tmp_path).review.threshold == 0.5
    with pytest.raises(ConfigError, match=r"overrides must be 'section.key=value' strings; got 7 \(int\)"):
        load_config(path, [7], project=tmp_path)


def test_every_problem_is_reported_at_once_with_the_file_and_key(tmp_path):
    path = write_config(tmp_path, label_model={"nmae": "DawidSkene", "seed": "zero"}, outptu={"x": 1})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "unknown key label_model.nmae (did you mean 'name'?)" in message
    assert "label_model.seed must be an integer; got str 'zero'" in message
    assert "unknown table [outptu] (did you mean 'output'?)" in message
    assert message.count("\n  - ") == 3


@pytest.mark.parametrize("sections, expected", [
    ({"task": None}, "missing table [task]"),
    ({"lfs": {"modules": []}}, "lfs.modules is empty"),
    ({"input": {"example": "youtube_spam"}}, "exactly one of path"),
    ({"input": {"chunk_rows": 0}}, "input.chunk_rows must be at least 1"),
    ({"lfs": {"workers": -1}}, "lfs.workers must be 0 (one per CPU) or a number of threads; got -1"),
    ({"output": {"path": "out/labels.xlsx"}}, "the extension picks the format"),
    ({"clean": {"mask": ["phone"]}}, "unknown mask 'phone'"),
    ({"clean": {"duplicates": True}}, "clean.duplicates must be a string"),
    ({"label_model": {"tie_break": "coin"}}, "unknown label_model.tie_break 'coin'; choose one of"),
    ({"gold": {"split": "train"}}, "gold.split must be 'dev' or 'test'"),
    ({"review": {"threshold": 1.5}}, "review.threshold must be between 0 and 1; got 1.5"),
    ({"review": {"class_thresholds": {"eggs": 0.5}}}, "'eggs' is not a class of the task"),
    ({"review": {"media": "video"}}, "review.media = 'video': choose 'image' or 'audio'"),
    ({"review": {"media": "image", "media_url": "http"}}, "review.media_url = 'http': choose 'data'"),
    ({"mlflow": {"enabled": "yes"}}, "mlflow.enabled must be true or false"),
    ({"task": {"type": "ner"}}, "task.type = 'ner' is not a task type; choose one of ['classification', 'multilabel', "
                                "'spans']"),
    ({"lfs": {"lf_timeout": float("nan")}}, "lfs.lf_timeout must be a finite number; got nan"),
    ({"review": {"threshold": float("-inf")}}, "review.threshold must be a finite number; got -inf"),
    ({"label_model": {"params": {"weights": [1.0, float("inf")]}}},
     "label_model.params.weights[1] must be a finite number; got inf"),
    ({"label_model": {"seed": -1}}, "label_model.seed must be a whole number from 0 to 4294967295"),
    ({"input": {"encoding": "klingon"}}, "input.encoding = 'klingon' is not a text encoding"),
    ({"input": {"encoding": "base64"}}, "input.encoding = 'base64' is not a text encoding"),
    ({"lfs": {"import_timeout": -5}}, "lfs.import_timeout must be 0 (no budget) or a number of seconds"),
    ({"label_model": {"no_votes": "prior"}}, "label_model.no_votes must be one of ['abstain', 'predict']"),
    ({"end_model": {"folds": 1}}, "end_model.folds must be at least 2 (cross-fitting); got 1"),
    ({"end_model": {"train_rows": -1}}, "end_model.train_rows must be 0 (all rows) or positive; got -1"),
    ({"end_model": {"self_train": -1}}, "end_model.self_train must be a whole number from 0 to 10; got -1"),
    ({"end_model": {"neighbours": -3}}, "end_model.neighbours must be 0 (off) or a positive number"),
    ({"end_model": {"calibrate": "yes"}}, "end_model.calibrate must be true or false"),
    ({"end_model": {"enabeld": False}}, "unknown key end_model.enabeld (did you mean 'enabled'?)"),
])
def test_bad_values(tmp_path, sections, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_config(write_config(tmp_path, **sections))


def test_toml_syntax_errors_and_missing_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[task]\nname = \n")
    with pytest.raises(ConfigError, match=r"bad.toml: not valid TOML: .*line 2"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="expected section.key=value"):
        load_config(write_config(tmp_path), ["seed=7"])


def test_paths_may_not_leave_the_project_unless_absolute(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    cfg = load_config(write_config(project, input={"path": "../secrets.csv"}), project=project)
    with pytest.raises(ConfigError, match=r"input.path = '../secrets.csv' points outside the project folder"):
        cfg.resolve(cfg.input.path, "input.path")
    absolute = load_config(write_config(project, input={"path": str(tmp_path / "data.csv")}), project=project)
    assert absolute.resolve(absolute.input.path, "input.path") == tmp_path / "data.csv"
    linked = project / "link"
    linked.symlink_to(tmp_path)
    cfg = load_config(write_config(project, output={"path": "link/out.parquet"}), project=project)
    with pytest.raises(ConfigError, match="points outside the project folder"):
        cfg.output_path  # noqa: B018 - a symlink out of the project is caught too


def test_defaults_come_from_their_one_home(tmp_path):
    from weaksup.data import CHUNK_ROWS
    from weaksup.review.routing import RoutingPolicy

    cfg = load_config(write_config(tmp_path), project=tmp_path)
    bare = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.csv"}, "lfs": {"modules": ["m"]},
                                "output": {"path": "out/labels.csv"}}, project=tmp_path)
    assert bare.input.chunk_rows == CHUNK_ROWS and bare.task.type == "classification"
    assert bare.review.policy == RoutingPolicy()
    assert bare.report_path == tmp_path / "out" / "report.html"
    assert cfg.review.policy.threshold == RoutingPolicy().threshold


def test_a_symlink_loop_is_named_not_a_traceback(tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    cfg = load_config(write_config(tmp_path, input={"path": "a.csv"}), project=tmp_path)
    with pytest.raises(ConfigError, match=r"input.path = 'a.csv' is a loop of symbolic links"):
        cfg.resolve(cfg.input.path, "input.path")


def test_the_import_budget_has_a_default_and_zero_turns_it_off(tmp_path):
    from weaksup.config_sections import IMPORT_TIMEOUT

    assert load_config(write_config(tmp_path), project=tmp_path).lfs.import_timeout == IMPORT_TIMEOUT > 0
    assert load_config(write_config(tmp_path, lfs={"import_timeout": 0}), project=tmp_path).lfs.import_timeout == 0


def test_no_vote_rows_are_not_guessed_and_the_end_model_is_on_by_default():
    cfg = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.csv"}, "lfs": {"modules": ["m"]},
                               "output": {"path": "out/labels.csv"}}, project=".")
    assert cfg.label_model.no_votes == "abstain"
    assert (cfg.end_model.enabled, cfg.end_model.folds, cfg.end_model.train_rows, cfg.end_model.calibrate) == \
        (True, 5, 30_000, True)
    assert cfg.to_dict()["end_model"]["folds"] == 5


def test_a_list_of_numbers_where_strings_are_needed_says_to_quote_them(tmp_path):
    path = write_config(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path, ["task.labels=[0,1,2]"], project=tmp_path)
    message = str(info.value)
    assert 'task.labels must be a list of strings; got [0, 1, 2]: quote them, e.g. task.labels = ["0", "1", "2"]' \
        in message, message
    assert "a list of a string" not in message
    with pytest.raises(ConfigError, match=re.escape("lfs.modules must be a list of strings; got str 'm.py'")):
        load_config(path, ["lfs.modules='m.py'"], project=tmp_path)  # not a list: no quoting fix offered


def test_neighbours_without_a_text_column_is_refused_when_the_config_is_read(tmp_path):
    """One rule (weaksup.final.neighbours.texts_needed) for the run, the engines and FinalLabeler; the run checked it
    only when the end model started, after the LFs had run."""
    expected = ("end_model.neighbours = 5 finds each row's neighbours among sentence embeddings of the rows' texts, "
                "and the end model reads the rows' columns instead (the input has no text column: input.text_column "
                "= \"\"): set end_model.neighbours = 0")
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_config(write_config(tmp_path, input={"path": "x.csv", "text_column": ""},
                                 end_model={"enabled": True, "neighbours": 5}))
    off = load_config(write_config(tmp_path, input={"path": "x.csv", "text_column": ""},
                                   end_model={"enabled": False, "neighbours": 5}))
    assert off.end_model.neighbours == 5  # the end model is off: nothing to refuse
    assert load_config(write_config(tmp_path, end_model={"enabled": True, "neighbours": 5})).end_model.neighbours == 5
