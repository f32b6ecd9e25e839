"""The run plan: built once from the config, with the task type choosing models, vote storage and outputs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.config import load_config
from weaksup.errors import ConfigError, LabelModelError
from weaksup.pipeline import RunPlan
from weaksup.tasks import TASK_TYPES, task_type


@pytest.fixture
def project(tmp_path, youtube):
    return make_project(tmp_path, youtube.iloc[:50])


def test_the_plan_holds_what_the_config_names(project):
    plan = RunPlan.from_config(load_config(write_config(project), ["review.threshold=0.8"], project=project))
    assert plan.task is TASK_TYPES["classification"] and list(plan.label_space) == ["ham", "spam"]
    assert plan.model_cls.__name__ == "MajorityVote" and plan.gold is None and not plan.has_dev_gold
    assert plan.policy.threshold == 0.8 and len(plan.registry) == 5
    assert plan.columns == ["row_id", "text"]
    assert plan.task.vote_dtype(plan.label_space) == np.int8
    assert plan.task.label_columns(plan.label_space)[:5] == ["row_id", "label", "confidence", "prob_ham", "prob_spam"]


def test_the_task_type_chooses_the_label_models(project):
    task = task_type("classification")
    assert task.resolve_model("default", has_dev_gold=False).__name__ == "MajorityVote"
    with pytest.raises(LabelModelError, match="unknown label model 'Snorkle'"):
        RunPlan.from_config(load_config(write_config(project, label_model={"name": "Snorkle"}), project=project))
    with pytest.raises(ConfigError, match=r"choose one of \['classification', 'multilabel', 'spans'\]"):
        task_type("regression")


def test_the_plan_refuses_outputs_that_overlap_inputs_before_importing_anything(project):
    marker = project / "imported"
    (project / "marking_lfs.py").write_text(f"open({str(marker)!r}, 'w').close()\n"
                                            "from weaksup import keyword_lf\nkw = keyword_lf('kw', 'x', 1)\n")
    config = load_config(write_config(project, lfs={"modules": ["marking_lfs.py"]}, output={"path": "comments.csv"}),
                         project=project)
    with pytest.raises(ConfigError, match=r"output.path .*comments.csv is the same file as input.path"):
        RunPlan.from_config(config)
    assert not marker.exists(), "an LF module was imported before the paths were checked"


@pytest.mark.parametrize(("model", "params", "expected"), [
    ("DawidSkene", {"n_iter": 0},
     "label_model.params.n_iter = 0: DawidSkene: n_iter must be a whole number >= 1; got 0 (its default is 100)"),
    ("DawidSkene", {"tol": "small"}, "label_model.params.tol = 'small': DawidSkene: tol must be a number >= 0"),
    ("DevNaiveBayes", {"restrict_to_voted": "yes"},
     "restrict_to_voted must be one of [True, False, 'trusted']; got 'yes' (its default is True)"),
    ("DevNaiveBayes", {"unlabeled": 3}, "unlabeled must be one of ['auto', 'ignore']; got 3"),
    ("DevSelector", {"candidates": "DawidSkene"}, "candidates must be a list of label model names"),
])
def test_label_model_params_are_held_to_the_models_constraints(project, model, params, expected):
    config = load_config(write_config(project, label_model={"name": model, "params": params}), project=project)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        RunPlan.from_config(config)
    assert not (project / "out").exists()


def test_good_label_model_params_pass(project):
    config = load_config(write_config(project, label_model={"name": "DawidSkene",
                                                            "params": {"n_iter": 5, "tol": 0, "smoothing": 1}}),
                         project=project)
    assert RunPlan.from_config(config).model_cls.__name__ == "DawidSkene"


def test_a_class_threshold_for_a_class_the_lfs_do_not_know_is_refused_before_any_work(project):
    # no task.labels: the label space comes from the LF module, so only the plan can check the class names
    config = load_config(write_config(project, task={"name": "yt", "labels": []},
                                      review={"class_thresholds": {"egg": 0.9}}), project=project)
    with pytest.raises(ConfigError, match=r"review\.class_thresholds names 'egg', which is not in the label space"):
        RunPlan.from_config(config)
    assert not (project / "out").exists()
