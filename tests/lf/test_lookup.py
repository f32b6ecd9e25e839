"""Lookup LFs (distant supervision) from mappings and table files."""

from __future__ import annotations

import runpy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weaksup import ABSTAIN, LabelSpace, lookup_lf
from weaksup.errors import LFDefinitionError
from weaksup.lf.batch import Batch
from tests.lf.test_text import shared_literals  # noqa: E402

SPACE = LabelSpace(["ham", "spam"])


def test_tokens_vote_when_all_found_tokens_agree():
    lf = lookup_lf("lex", {"subscribe": "spam", "channel": "spam", "love": "ham"}, by="tokens", label_space=SPACE)
    assert lf({"text": "Subscribe to my CHANNEL"}) == 1
    assert lf({"text": "love this, subscribe"}) == ABSTAIN  # tokens disagree
    assert lf({"text": "subscribers"}) == ABSTAIN  # whole tokens only
    assert lf({"text": None}) == ABSTAIN


def test_value_lookup_case_and_types():
    lf = lookup_lf("authors", {"Spam Bot": 1, "Fan": 0}, field="author")
    assert lf({"author": "spam bot"}) == 1 and lf({"author": "FAN"}) == 0 and lf({"author": "x"}) == ABSTAIN
    exact = lookup_lf("authors_cs", {"Spam Bot": 1}, field="author", case_sensitive=True)
    assert exact({"author": "spam bot"}) == ABSTAIN
    ids = lookup_lf("ids", {7: 1, 9: 0}, field="user_id")
    batch = Batch(pd.DataFrame({"user_id": [7, 8, 9]}))
    assert ids.vote_batch(batch).tolist() == [1, -1, 0]


words = st.sampled_from(["Subscribe", "channel", "LOVE", "İlove", "ſubscribe", "café", "ok", "Spam Bot", "spam bot"])
values = st.lists(st.one_of(st.none(), st.lists(words, max_size=4).map(" ".join), st.text(max_size=4)), min_size=1, max_size=25)


LOOKUPS = [
    lookup_lf("tok", {"subscribe": 1, "channel": 1, "love": 0, "café": 0}, by="tokens"),
    lookup_lf("tok_cs", {"Subscribe": 1, "love": 0}, by="tokens", case_sensitive=True),
    lookup_lf("val", {"spam bot": 1, "ok": 0, "İlove": 0}),
    lookup_lf("val_cs", {"Spam Bot": 1}, case_sensitive=True),
]


@settings(max_examples=100, deadline=None)
@given(values, st.booleans())
def test_vectorised_equals_rowwise(column, shared):
    frame = pd.DataFrame({"text": pd.Series(column, dtype="str")})
    batch = Batch(frame, shared_literals(LOOKUPS) if shared else None)
    for lf in LOOKUPS:
        want = [lf({"text": v}) for v in batch.values("text")]
        assert lf.vote_batch(batch).tolist() == want, lf.name


def test_table_files(tmp_path):
    good = tmp_path / "t.csv"
    good.write_text("key,label\nsubscribe,spam\nlove,ham\n")
    lf = lookup_lf("lex", good, by="tokens", label_space=SPACE)
    assert lf({"text": "love it"}) == 0 and lf.params["source"] == "t.csv"
    (tmp_path / "t.json").write_text('{"subscribe": 1}')
    assert lookup_lf("lex_json", tmp_path / "t.json", by="tokens")({"text": "subscribe"}) == 1
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("word,class\nx,spam\n")
    with pytest.raises(LFDefinitionError, match=r"bad.csv:1: .*header 'key,label'"):
        lookup_lf("lex", bad_header, label_space=SPACE)
    conflict = tmp_path / "conflict.csv"
    conflict.write_text("key,label\nx,spam\nx,ham\n")
    with pytest.raises(LFDefinitionError, match=r"conflict.csv:3: key 'x'"):
        lookup_lf("lex", conflict, label_space=SPACE)
    with pytest.raises(LFDefinitionError, match="does not exist"):
        lookup_lf("lex", tmp_path / "missing.csv")
    with pytest.raises(LFDefinitionError, match="pass label_space"):
        lookup_lf("lex", good)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("key,label\nx,eggs\n")
    with pytest.raises(LFDefinitionError, match=r"LF 'lex': unknown class 'eggs'; the classes are \['ham', 'spam'\]"):
        lookup_lf("lex", unknown, label_space=SPACE)


def test_token_keys_must_be_words():
    with pytest.raises(LFDefinitionError, match="single words"):
        lookup_lf("lex", {"check out": 1}, by="tokens")
    with pytest.raises(LFDefinitionError, match="differ only in case"):
        lookup_lf("lex", {"Sub": 1, "sub": 0})


def test_large_table_params_stay_small_and_versioned():
    table = {f"w{i}": i % 2 for i in range(500)}
    lf = lookup_lf("big", table, by="tokens")
    assert lf.params["table"]["size"] == 500
    assert lookup_lf("big", {**table, "w0": 1}, by="tokens").version != lf.version
    assert np.array_equal(lf.vote_batch(Batch(pd.DataFrame({"text": ["w1 w3", "w2", "x"]}))), [1, 0, -1])


def test_a_table_file_gives_the_same_version_wherever_the_project_sits(tmp_path):
    from weaksup.lf import lookup_lf

    versions = []
    for folder in ("a", "b/c"):
        path = tmp_path / folder / "table.csv"
        path.parent.mkdir(parents=True)
        path.write_text("key,label\nfree,1\n")
        versions.append(lookup_lf("lex", path, by="tokens").version)
    assert versions[0] == versions[1]
    path.write_text("key,label\nfree,0\n")
    assert lookup_lf("lex", path, by="tokens").version != versions[0]


def test_class_names_in_a_table_resolve_through_the_modules_labels(tmp_path):
    module = tmp_path / "names.py"
    module.write_text("from weaksup import LabelSpace, lookup_lf\n"
                      "LABELS = LabelSpace(['ham', 'spam'])\n"
                      "authors = lookup_lf('authors', {'bot': 'spam', 'ann': 'ham'}, field='author')\n")
    from weaksup import Registry

    lf = Registry.from_modules(module)["authors"]
    assert lf({"author": "bot"}) == 1 and lf({"author": "ann"}) == 0
    assert lf.version == lookup_lf("authors", {"bot": 1, "ann": 0}, field="author").version
    with pytest.raises(LFDefinitionError, match=r"unknown class 'spma'.*\['ham', 'spam'\]"):
        lookup_lf("authors", {"bot": "spma"}, field="author", label_space=LabelSpace(["ham", "spam"]))


def test_a_csv_tables_number_keys_match_a_numeric_column_in_both_paths(tmp_path):
    # a CSV's keys are text: '42' never matched the int 42 of an author_id column (coverage 0)
    (tmp_path / "authors.csv").write_text("key,label\n42,1\n7,0\n")
    lf = lookup_lf("lk_author", tmp_path / "authors.csv", field="author_id")
    frame = pd.DataFrame({"author_id": [42, 7, 3]})
    assert lf.vote_batch(Batch(frame)).tolist() == [1, 0, -1]
    assert [lf(row) for row in frame.to_dict("records")] == [1, 0, -1]
    assert lf.vote_batch(Batch(pd.DataFrame({"author_id": [42.0, np.nan, 7.5]}))).tolist() == [1, -1, -1]
    nullable = pd.DataFrame({"author_id": pd.array([7, None], dtype="Int64")})
    assert lf.vote_batch(Batch(nullable)).tolist() == [0, -1]
    assert lf({"author_id": "42"}) == 1  # text cells still match text keys
    with pytest.raises(LFDefinitionError, match="'42' and 42 are the same number"):
        lookup_lf("lk", {"42": 1, 42: 0}, field="author_id")


def test_a_long_s_token_key_votes_alike_vectorised_and_row_by_row():
    # RE2 folds 'ſ' with 's': the vectorised path voted on 'stop' and 'STOP', str.lower does not
    lf = lookup_lf("l", {"ſtop": 1, "go": 0}, by="tokens")
    frame = pd.DataFrame({"text": ["stop", "ſtop now", "STOP", "go", "go ſtop"]})
    want = [lf(row) for row in frame.to_dict("records")]
    assert want == [-1, 1, -1, 0, -1]
    assert lf.vote_batch(Batch(frame)).tolist() == want


def test_an_unknown_class_name_with_no_label_space_names_label_space_and_where_classes_came_from(tmp_path):
    # the message said "(from the label_space given)" though none was given: LABELS of the module was used
    module = tmp_path / "lfs_module.py"
    module.write_text("from weaksup import LabelSpace, lookup_lf\nLABELS = LabelSpace(['ham', 'spam'])\n"
                      "lf = lookup_lf('l', {'a': 'Spam'})\n")
    with pytest.raises(LFDefinitionError) as info:
        runpy.run_path(str(module))
    message = str(info.value)
    assert "(did you mean 'spam'?)" in message and "label_space given" not in message
    assert "LABELS in" in message and "no label_space= was given" in message and "pass label_space=" in message


def test_a_table_files_unknown_class_names_the_file_and_line_and_the_labels_file_and_line(tmp_path):
    # 'frad' in a lookup CSV named no file or line, and the LF module loaded by path was named by its generated
    # module name (LABELS in weaksup_user_lfs.lfs_module_1a2b3c4d), not its file
    from weaksup import Registry

    (tmp_path / "bl.csv").write_text("key,label\nP03570,fraud\nP30958,frad\n", encoding="utf-8")
    module = tmp_path / "lfs_module.py"
    module.write_text("from weaksup import LabelSpace, lookup_lf\nLABELS = LabelSpace(['legit', 'fraud'])\n"
                      f"bl = lookup_lf('bl', {str(tmp_path / 'bl.csv')!r}, field='claimant_id')\n", encoding="utf-8")
    with pytest.raises(LFDefinitionError) as info:
        Registry.from_modules(str(module))
    message = str(info.value)
    assert f"{tmp_path / 'bl.csv'}:3: LF 'bl': the lookup table gives unknown class 'frad'" in message, message
    assert f"(from LABELS in {module}, for the LF at line 3, as no label_space= was given)" in message
    assert "weaksup_user_lfs" not in message
    with pytest.raises(LFDefinitionError, match=r"bl\.csv:3: LF 'bl': unknown class 'frad'.*label_space given"):
        lookup_lf("bl", tmp_path / "bl.csv", field="claimant_id", label_space=LabelSpace(["legit", "fraud"]))
