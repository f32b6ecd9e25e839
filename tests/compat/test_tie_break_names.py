"""No tie-break name with two meanings: weaksup's old "random" and Snorkel's names are errors naming the new choices."""

from __future__ import annotations

import numpy as np
import pytest

from tests.pipeline_project import write_config
from weaksup.config import ConfigError, load_config
from weaksup.errors import LabelModelError
from weaksup.models import MajorityVote
from weaksup.models.base import TIE_BREAKS, break_ties

L = np.array([[0, 1, -1], [0, 0, 1], [1, -1, -1]])


def test_no_weaksup_policy_shares_a_name_with_a_snorkel_policy():
    # Snorkel's tie_break_policy names: "abstain" means the same in both; "random" and "true-random" must not exist here.
    assert set(TIE_BREAKS) == {"abstain", "seeded_random", "hash"}
    assert not {"random", "true-random"} & set(TIE_BREAKS)


@pytest.mark.parametrize("old, hint", [("random", "now 'seeded_random'.*'hash'"),
                                       ("true-random", "Snorkel's 'true-random' is weaksup's 'seeded_random'")])
def test_an_old_or_snorkel_name_in_a_call_says_what_to_use(old, hint):
    model = MajorityVote(cardinality=2).fit(L)
    with pytest.raises(LabelModelError, match=f"tie_break '{old}' is not a weaksup policy: .*{hint}.*"
                                              r"choose one of \['abstain', 'seeded_random', 'hash'\]"):
        model.predict(L, tie_break=old)
    with pytest.raises(LabelModelError, match=hint):
        break_ties(np.full((2, 2), 0.5), old)


def test_random_in_a_config_is_a_config_error_naming_the_new_choices(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, label_model={"tie_break": "random"}))
    message = str(info.value)
    assert "label_model.tie_break 'random' is not a weaksup policy" in message
    assert "'seeded_random'" in message and "'hash'" in message


def test_seeded_random_is_seeded_and_hash_is_deterministic():
    proba = np.full((200, 3), 1 / 3)
    a, b, c = (break_ties(proba, "seeded_random", seed) for seed in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c) and set(a.tolist()) == {0, 1, 2}
    assert np.array_equal(break_ties(proba, "hash", 1), break_ties(proba, "hash", 2))
