"""The LabelingFunction object and the generic @labeling_function kind."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from typing import assert_type

import numpy as np
import pytest

from weaksup import ABSTAIN, LabelingFunction, keyword_lf, labeling_function, lookup_lf, regex_lf, threshold_lf
from weaksup.errors import LFDefinitionError, ParameterTypeError
from weaksup.lf import FunctionLF, KeywordLF, Row
from weaksup.lf.identity import check_label, check_name


@labeling_function
def bare(x):
    return 1 if "spam" in x.text else ABSTAIN


@labeling_function(name="configured", tags=["a", "b"], fields=["text"], resources={"word": "ham"})
def _configured(x, word):
    """Votes ham on the magic word."""
    return 0 if word in x["text"] else ABSTAIN


def test_both_decorator_forms():
    assert isinstance(bare, LabelingFunction) and bare.name == "bare" and bare.kind == "generic"
    assert bare({"text": "spam!"}) == 1 and bare(Row(text="x")) == ABSTAIN
    assert _configured.name == "configured" and _configured.tags == ("a", "b")
    assert _configured.description == "Votes ham on the magic word."
    assert _configured({"text": "ham"}) == 0 and _configured.params["resources"] == {"word": "ham"}
    with pytest.raises(LFDefinitionError, match="as a keyword"):
        labeling_function("oops")
    with pytest.raises(LFDefinitionError, match="lambda LF needs an explicit name"):
        labeling_function(lambda x: 1)
    assert labeling_function(name="lam")(lambda x: 1)({}) == 1


def test_immutable_and_picklable():
    with pytest.raises(AttributeError, match="immutable"):
        bare.name = "other"
    with pytest.raises(AttributeError, match="immutable"):
        del bare.version
    clone = pickle.loads(pickle.dumps(_configured))
    assert clone.lf_id == _configured.lf_id and clone({"text": "ham"}) == 0



def test_an_lfs_tables_parameters_and_resources_cannot_change_under_its_version():
    from weaksup import lookup_lf

    table = lookup_lf("authors", {"bot": 1}, field="author")
    with_resources = FunctionLF(lambda x, limit: 1 if len(x.text) > limit else -1, name="res", resources={"limit": 3})
    for mapping, key in ((table.table, "ann"), (table.params, "field"), (with_resources.resources, "limit")):
        with pytest.raises(LFDefinitionError, match="cannot change after it is built"):
            mapping[key] = 0
        with pytest.raises(LFDefinitionError, match="cannot change after it is built"):
            mapping.update({key: 0})
    assert table({"author": "ann"}) == -1 and dict(table.table) == {"bot": 1}
    back = pickle.loads(pickle.dumps(table))
    assert back.lf_id == table.lf_id and dict(back.table) == {"bot": 1}
    assert with_resources({"text": "long text"}) == 1


def _load(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_version_changes_when_the_code_does_but_not_its_formatting(tmp_path):
    head = "from weaksup import labeling_function\n@labeling_function\n"
    v1 = _load(tmp_path, "m1", head + "def lf(x):\n    return 1 if len(x.text) < 5 else -1\n").lf
    reformatted = _load(tmp_path, "m2", head + "def lf(x):\n    # a comment\n    return (1 if len(x.text) < 5\n            else -1)\n").lf
    edited = _load(tmp_path, "m3", head + "def lf(x):\n    return 1 if len(x.text) < 6 else -1\n").lf
    assert v1.version == reformatted.version
    assert edited.version != v1.version
    assert len(v1.version) == 8 and v1.lf_id == f"lf@{v1.version}"
    assert v1.source.endswith("m1.py:2")  # where the decorated definition starts


@pytest.mark.snorkel
def test_to_snorkel_gives_the_same_votes():
    import pandas as pd
    from snorkel.labeling import PandasLFApplier

    df = pd.DataFrame({"text": ["spam here", "ham", "nothing"]})
    L = PandasLFApplier([bare.to_snorkel(), _configured.to_snorkel()]).apply(df, progress_bar=False)
    assert L.tolist() == [[1, -1], [-1, 0], [-1, -1]]


def test_manifest_is_json_safe():
    import json

    manifest = _configured.manifest()
    assert json.loads(json.dumps(manifest))["tags"] == ["a", "b"]
    assert manifest["kind"] == "generic" and manifest["version"] == _configured.version


def test_bad_names_are_refused():
    for bad in ("", "a@b", "two\nlines"):
        with pytest.raises(LFDefinitionError, match="LF name"):
            labeling_function(name=bad)(lambda x: 1)


def test_the_decorator_keeps_its_type_and_shares_the_options_of_functionlf():
    assert_type(bare, FunctionLF)  # checked by mypy (make lint); at run time, the objects are what they say
    assert_type(_configured, FunctionLF)
    assert_type(keyword_lf("k", "x", 1), KeywordLF)
    assert isinstance(bare, FunctionLF) and isinstance(_configured, FunctionLF)
    direct = FunctionLF(_configured.func, name="configured", tags=["a", "b"], fields=["text"],
                        resources={"word": "ham"})
    assert direct.version == _configured.version and direct.params == _configured.params
    with pytest.raises(ParameterTypeError, match=r"unexpected keyword\(s\) \['nmae'\]"):
        labeling_function(nmae="x")
    with pytest.raises(ParameterTypeError, match="unexpected keyword"):
        FunctionLF(lambda x: 1, name="lam", tag=["a"])


def test_kind_is_a_class_attribute_and_construction_is_the_only_writer():
    lfs = [bare, keyword_lf("k", "x", 1), regex_lf("r", "x", 1), lookup_lf("l", {"a": 1}), threshold_lf("t", "n > 1", 1)]
    for lf in lfs:
        assert "kind" not in vars(lf) and lf.kind == type(lf).kind
        with pytest.raises(AttributeError, match="immutable"):
            lf.field = "other"
    assert keyword_lf("k", "sub", 1).patterns[0].search("a sub b") and bare.patterns == ()


def test_name_and_label_checks_are_public():
    assert check_name("ok") == "ok" and check_label(np.int64(2), "lf") == 2
    for bad in (True, -1, 1.0):
        with pytest.raises(LFDefinitionError, match="label must be a class id"):
            check_label(bad, "lf")
    with pytest.raises(LFDefinitionError, match="'1' is a class name, but no label space is known here"):
        check_label("1", "lf")  # a name, and this module defines no LABELS
    from weaksup import LabelSpace

    with pytest.raises(LFDefinitionError, match=r"class id 5 is not a class of the label_space given \['ham', 'spam'\]"):
        check_label(5, "lf", LabelSpace(["ham", "spam"]))  # refused when written, not at the first vote
