"""LF -> source: each kind's to_source(), and write_module/export_module putting LFs into one module."""

from __future__ import annotations

import linecache
import re

import numpy as np
import pandas as pd
import pytest

from weaksup import (
    ABSTAIN,
    LabelSpace,
    Registry,
    apply_lfs,
    keyword_lf,
    labeling_function,
    lookup_lf,
    model_score_lf,
    regex_lf,
    threshold_lf,
)
from weaksup.errors import LFDefinitionError
from weaksup.lf.export import export_module, write_module

HAM, SPAM = 0, 1
LABELS = LabelSpace(["ham", "spam"])
TEXTS = ["Subscribe to my channel!", "nice song", "check out my <b>channel</b> & win", "great song, love it",
         "sub 4 sub", "free money at www.spam.com", "I LOVE THIS SONG!!!", "hello"]


def frame():
    return pd.DataFrame({"row_id": [f"r{i}" for i in range(len(TEXTS))], "text": TEXTS,
                         "author": ["bot", "ann", "bot", "bo", "x", "y", "z", "w"],
                         "n_words": [len(t.split()) for t in TEXTS]})


def caps_ratio(texts):
    return np.array([sum(c.isupper() for c in t) / max(len(t), 1) for t in texts])


KINDS = {
    "keyword": keyword_lf("kw", ["subscribe", "sub"], SPAM, mode="any", tags=["cta"]),
    "keyword_all": keyword_lf("kw_all", ["my", "channel"], SPAM, mode="all", case_sensitive=True,
                              word_boundary=False, description="mine"),
    "regex": regex_lf("re_link", r"www\.|https?://", SPAM, flags=re.IGNORECASE | re.DOTALL, version="v7"),
    "lookup_value": lookup_lf("authors", {"bot": SPAM, "ann": HAM}, field="author"),
    "lookup_tokens": lookup_lf("lexicon", {"love": HAM, "free": SPAM}, by="tokens"),
    "threshold": threshold_lf("short", "n_words < 3", HAM),
    "model_function": model_score_lf("shouting", caps_ratio, above={SPAM: 0.5}),
}


@pytest.mark.parametrize("label_space", [None, LABELS], ids=["ids", "names"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_writes_source_that_rebuilds_it(kind, label_space):
    lf = KINDS[kind]
    source = lf.to_source(label_space)
    scope: dict = {"LABELS": LABELS, "caps_ratio": caps_ratio}
    exec("\n".join(source.imports), scope)  # noqa: S102 - our own generated code
    exec(source.code, scope)  # noqa: S102
    rebuilt = scope[source.var]
    assert (type(rebuilt), rebuilt.version, rebuilt.description, rebuilt.tags) == \
        (type(lf), lf.version, lf.description, lf.tags)
    assert np.array_equal(apply_lfs([rebuilt], frame()).values, apply_lfs([lf], frame()).values)


def test_factory_defaults_come_from_the_constructor():
    assert KINDS["keyword"].to_source().code == "kw = keyword_lf('kw', ['subscribe', 'sub'], 1, tags=['cta'])\n"
    code = KINDS["keyword_all"].to_source(LABELS).code
    assert "mode='all'" in code and "word_boundary=False" in code and "field=" not in code
    assert "description='mine'" in code and "LABELS['spam']" in code
    assert "version='v7'" in KINDS["regex"].to_source().code  # an explicit version is kept
    assert "flags=re.IGNORECASE | re.DOTALL" in KINDS["regex"].to_source().code


def test_write_module_is_loadable_and_keeps_versions_and_votes(tmp_path):
    lfs = list(KINDS.values())
    path = export_module(lfs, tmp_path / "all_kinds.py", label_space=LABELS)
    registry = Registry.from_modules(path)
    assert [lf.version for lf in registry.lfs] == [lf.version for lf in lfs]
    assert registry.label_space == LABELS
    assert np.array_equal(apply_lfs(registry, frame(), id_column="row_id").values,
                          apply_lfs(lfs, frame(), id_column="row_id").values)
    assert write_module(lfs, LABELS) == path.read_text()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export_module(lfs, path)
    with pytest.raises(LFDefinitionError, match=r"give a \.py path"):
        export_module(lfs, tmp_path / "x.txt")


def test_lookup_from_a_file_writes_the_file_name(tmp_path, monkeypatch):
    (tmp_path / "authors.csv").write_text("key,label\nbot,spam\nann,ham\n")
    monkeypatch.chdir(tmp_path)
    lf = lookup_lf("authors", "authors.csv", field="author", label_space=LABELS)
    code = lf.to_source(LABELS).code
    assert code == "authors = lookup_lf('authors', 'authors.csv', label_space=LABELS, field='author')\n"


def test_lookup_from_a_file_out_of_reach_is_written_inline_with_its_version(tmp_path, monkeypatch):
    (tmp_path / "authors.csv").write_text("key,label\nbot,spam\nann,ham\n")
    lf = lookup_lf("authors", tmp_path / "authors.csv", field="author", label_space=LABELS)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the file's name alone no longer finds it
    scope: dict = {"lookup_lf": lookup_lf, "LABELS": LABELS}
    exec(lf.to_source(LABELS).code, scope)  # noqa: S102 - the exported source
    back = scope["authors"]
    assert dict(back.table) == dict(lf.table) and back.version == lf.version


def _notebook_cell(source: str, filename: str) -> dict:
    """Run code the way Jupyter does: in __main__, with the cell's source only in linecache."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), scope)  # noqa: S102 - test input
    return scope


def test_export_from_notebook_cells_copies_helpers_and_constants(tmp_path):
    cell = (
        "import re\n"
        "from weaksup import ABSTAIN, LabelSpace, labeling_function\n"
        "LABELS = LabelSpace(['ham', 'spam'])  # vouches for SPAM: without it, SPAM's value is part of the version\n"
        "SPAM = 1\n"
        "BANGS = re.compile(r'!{3,}')\n"
        "WORDS = {'love', 'best'}\n\n"
        "def shouting(text):\n"
        "    return sum(c.isupper() for c in text) > 0.5 * len(text)\n\n"
        "@labeling_function(fields=['text'], labels=[SPAM])\n"
        "def excited(x):\n"
        "    '''Shouting or many exclamation marks.'''\n"
        "    return SPAM if BANGS.search(x.text) or shouting(x.text) or WORDS & set(x.text.split()) else ABSTAIN\n"
    )
    scope = _notebook_cell(cell, str(tmp_path / "ipykernel_1" / "cell1.py"))
    source = export_module([scope["excited"]], tmp_path / "nb.py", label_space=LABELS).read_text()
    assert "def shouting(text):" in source and "BANGS = re.compile" in source and "SPAM = 1" in source
    registry = Registry.from_modules(tmp_path / "nb.py")
    assert registry["excited"].version == scope["excited"].version
    assert np.array_equal(apply_lfs(registry, frame(), id_column="row_id").values,
                          apply_lfs([scope["excited"]], frame(), id_column="row_id").values)


def test_an_undecorated_function_is_wrapped_in_a_call(tmp_path):
    scope = _notebook_cell("from weaksup import ABSTAIN\n\ndef has_sub(x):\n    return 1 if 'sub' in x.text else ABSTAIN\n",
                           str(tmp_path / "cell3.py"))
    lf = labeling_function(name="has_sub", fields=["text"], labels=[SPAM])(scope["has_sub"])
    source = lf.to_source()
    assert source.var == "has_sub_lf" and "labeling_function(name='has_sub', fields=['text'], labels=[1])" in source.code
    assert "from weaksup import ABSTAIN" in source.imports
    assert "labels=[LABELS['spam']])(has_sub)" in lf.to_source(LABELS).code  # class names where the task has them


def test_export_refuses_what_it_cannot_write_and_writes_nothing(tmp_path):
    from sklearn.dummy import DummyClassifier

    clf = DummyClassifier(strategy="prior").fit([[0], [1]], [0, 1])
    scope = _notebook_cell("class Thing:\n    pass\n\nTHING = Thing()\n\n"
                           "from weaksup import labeling_function\n"
                           "@labeling_function\ndef odd(x):\n    return 1 if THING else -1\n",
                           str(tmp_path / "cell2.py"))
    lfs = [model_score_lf("clf", clf, field=["n_words"], thresholds={1: 0.9}),
           labeling_function(name="lam")(lambda x: ABSTAIN), scope["odd"]]
    with pytest.raises(LFDefinitionError) as info:
        export_module(lfs, tmp_path / "out.py", label_space=LABELS)
    message = str(info.value)
    assert "'clf'" not in message  # a fitted model is written as a file beside the module, but not here:
    assert "'lam'" in message and "lambda" in message
    assert "'odd'" in message and "global 'THING' (Thing)" in message
    assert not (tmp_path / "out.py").exists() and not (tmp_path / "out_models").exists()  # nothing at all


def test_two_lfs_reading_one_global_name_defined_differently_are_refused(tmp_path):
    one = _notebook_cell("from weaksup import labeling_function\nK = 1\n@labeling_function\n"
                         "def a(x):\n    return K\n", str(tmp_path / "c4.py"))
    two = _notebook_cell("from weaksup import labeling_function\nK = 2\n@labeling_function\n"
                         "def b(x):\n    return K\n", str(tmp_path / "c5.py"))
    with pytest.raises(LFDefinitionError, match=r"LF 'b' reads \['K'\], which another LF's module defined"):
        write_module([one["a"], two["b"]])


def test_export_writes_a_fitted_model_beside_the_module_which_loads_it_from_there(tmp_path):
    import shutil

    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from weaksup.lf.artefacts import file_sha256

    model = make_pipeline(TfidfVectorizer(), LogisticRegression(C=10)).fit(TEXTS, [1, 0, 1, 0, 1, 1, 0, 0])
    joblib.dump(model, tmp_path / "pinned.joblib")
    lfs = [model_score_lf("clf", model, thresholds={SPAM: 0.6, HAM: 0.6}),
           model_score_lf("pinned", tmp_path / "pinned.joblib", thresholds={SPAM: 0.7},
                          model_sha256=file_sha256(tmp_path / "pinned.joblib")),
           keyword_lf("kw", ["sub"], SPAM)]
    path = export_module(lfs, tmp_path / "out" / "mine.py", label_space=LABELS)
    source = path.read_text()
    assert "MODELS = Path(__file__).resolve().parent / 'mine_models'" in source
    assert "model_score_lf('clf', MODELS / 'clf.skops', thresholds={LABELS['spam']: 0.6, LABELS['ham']: 0.6}" \
        in source and "model_score_lf('pinned', MODELS / 'pinned.joblib'" in source
    assert sorted(p.name for p in (path.parent / "mine_models").iterdir()) == ["clf.skops", "pinned.joblib"]
    moved = tmp_path / "elsewhere"  # the module finds its models relative to its own file, wherever it is
    shutil.copytree(path.parent, moved)
    shutil.rmtree(path.parent)
    registry = Registry.from_modules(moved / "mine.py")
    assert np.array_equal(apply_lfs(registry, frame()).values, apply_lfs(lfs, frame()).values)
    assert registry["pinned"].version == lfs[1].version  # a model file is copied: the same bytes, the same version
    assert registry["kw"].version == lfs[2].version
    assert registry["clf"].model_file == moved / "mine_models" / "clf.skops"
    (moved / "mine.py").unlink()
    with pytest.raises(FileExistsError, match="clf.skops"):  # a model file is not overwritten silently either
        export_module(lfs, moved / "mine.py", label_space=LABELS)
    assert not (moved / "mine.py").exists()
    export_module(lfs, moved / "mine.py", label_space=LABELS, overwrite=True)


def test_class_names_as_labels_in_a_module_with_labels_export_as_labels_lookups(tmp_path):
    module = tmp_path / "tickets.py"
    module.write_text("from weaksup import LabelSpace, keyword_lf, threshold_lf, model_score_lf, labeling_function\n"
                      "LABELS = LabelSpace(['Billing', 'Hardware', 'Login'])\n"
                      "kw_refund = keyword_lf('kw_refund', ['refund'], 'Billing')\n"
                      "kw_broken = keyword_lf('kw_broken', ['broken'], label='Hardware')\n"
                      "short = threshold_lf('short', 'n_words < 3', 'Login')\n"
                      "@labeling_function(labels=['Login'])\n"
                      "def asks_password(x):\n"
                      "    return LABELS['Login'] if 'password' in x.text else -1\n")
    registry = Registry.from_modules(module)
    ids = {"kw_refund": 0, "kw_broken": 1, "short": 2, "asks_password": 2}
    assert {lf.name: lf.labels for lf in registry.lfs} == {k: (v,) for k, v in ids.items()}
    assert registry["kw_broken"].version == keyword_lf("kw_broken", ["broken"], 1).version  # a name is its id
    source = write_module(registry.lfs, registry.label_space)
    assert "keyword_lf('kw_broken', ['broken'], LABELS['Hardware'])" in source and "'Hardware')" not in source


def test_class_names_in_a_notebook_with_a_workbench_and_unknown_names_refused(tmp_path):
    from weaksup import Workbench

    data = pd.DataFrame({"row_id": ["a", "b"], "text": ["my screen is broken", "refund please"]})
    cell = ("from weaksup import keyword_lf\n"
            "wb = Workbench(data, label_space=['Billing', 'Hardware'])\n"
            "lf = keyword_lf('kw_broken', ['broken'], 'Hardware')\n")
    scope = {"Workbench": Workbench, "data": data}
    exec(compile(cell, str(tmp_path / "cell.py"), "exec"), scope)
    assert scope["lf"].labels == (1,) and scope["wb"].add(scope["lf"]).votes.values[:, 0].tolist() == [1, -1]
    assert "LABELS['Hardware']" in write_module([scope["lf"]], scope["wb"].label_space)
    with pytest.raises(LFDefinitionError, match=r"unknown class 'Hardwear' \(did you mean 'Hardware'\?\); the "
                                                r"classes are \['Billing', 'Hardware'\] \(from the label space of "
                                                r"Workbench 'wb'"):
        exec(compile("keyword_lf('kw', ['x'], 'Hardwear')", str(tmp_path / "cell2.py"), "exec"), scope)
    with pytest.raises(LFDefinitionError, match=r"'Billing' is a class name, but no label space is known here to map "
                                                r"it to a class id: define LABELS = LabelSpace"):
        exec(compile("keyword_lf('kw', ['x'], 'Billing')", str(tmp_path / "cell3.py"), "exec"),
             {"keyword_lf": keyword_lf})
    assert keyword_lf("kw", ["x"], "spam").labels == (1,)  # this test module's own LABELS


def test_export_of_a_fitted_model_of_a_custom_type_trusts_that_type_by_name(tmp_path):
    from tests.lf.test_artefacts import Shouting

    lf = model_score_lf("loud", Shouting().fit(TEXTS, None), thresholds={SPAM: 0.5})
    path = export_module([lf], tmp_path / "loud.py")
    assert "trusted=['tests.lf.test_artefacts.Shouting']" in path.read_text()  # visible in the module, reviewable
    assert np.array_equal(apply_lfs(Registry.from_modules(path), frame()).values, apply_lfs([lf], frame()).values)
