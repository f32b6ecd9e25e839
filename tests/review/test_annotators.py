"""One name per Label Studio user: linked by user id or by the same answer, never across two e-mails."""

import pandas as pd

from weaksup.review.annotators import one_name_per_user


def test_a_user_id_named_by_two_emails_is_left_apart(caplog):
    # user 4 of one server is ann, of another bo: their answers must not become one annotator's
    one = pd.DataFrame({"row_id": ["r1", "r2"], "annotator": ["ann@lab.org", "user-4"], "annotator_id": ["4", "4"]})
    other = pd.DataFrame({"row_id": ["r3"], "annotator": ["bo@lab.org"], "annotator_id": ["4"]})
    assert one_name_per_user([one]) == {"user-4": "ann@lab.org"}
    assert one_name_per_user([one, other]) == {}
    assert "carry 2 e-mails; their names are kept apart" in caplog.text


def test_the_same_answer_without_ids_links_only_a_user_id_to_a_name():
    new = pd.DataFrame({"row_id": ["r1", "r1"], "annotator": ["user-4", "kim"], "label": ["ham", "ham"],
                        "timestamp": ["2024-05-01T10:00:00Z"] * 2})
    gold = pd.DataFrame({"row_id": ["r1"], "annotator": ["ann@lab.org"], "label": ["ham"],
                         "timestamp": ["2024-05-01T10:00:00.000Z"]})
    assert one_name_per_user([new, gold]) == {}  # not asked
    # the id-named answer is ann's; kim's answer at the same time (a sheet's import time) stays kim's
    assert one_name_per_user([new, gold], same_answer_without_id=True) == {"user-4": "ann@lab.org"}
    assert one_name_per_user([new, gold.assign(label="spam")], same_answer_without_id=True) == {}
