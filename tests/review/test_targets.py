"""The queue options a multi-label or spans run refuses name the setting that routes its rows to review."""

from __future__ import annotations

import json

import pytest

from weaksup.errors import ReviewError
from weaksup.review.targets import check_export_options


@pytest.mark.parametrize(("kind", "setting", "not_named"), [("multilabel", "[task] review_margin", "review.threshold"),
                                                            ("spans", "review.threshold", "review_margin")])
def test_refused_queue_options_name_the_setting_that_routes_the_runs_rows(tmp_path, kind, setting, not_named):
    (tmp_path / "run.json").write_text(json.dumps({"task_type": kind, "config": {}}), encoding="utf-8")
    with pytest.raises(ReviewError) as info:
        check_export_options(tmp_path, [], False, {"--order": True, "--seed": False})
    said = str(info.value)
    assert said.startswith(f"--order: options of a classification review queue; a {kind} run's queue")
    assert f"change {setting} in the config and run again" in said and not_named not in said
    check_export_options(tmp_path, [], False, {"--order": False})  # --budget and --out alone: fine
