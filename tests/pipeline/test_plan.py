"""The run plan: built once from the config, with the task type choosing models, vote storage and outputs."""

from __future__ import annotations

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
    with pytest.raises(ConfigError, match=r"choose one of \['classification'\]"):
        task_type("multilabel")
