"""The Registry: discovery from modules, duplicates, unknown names, selection."""

from __future__ import annotations

import sys
import textwrap

import pytest

from weaksup import LabelSpace, Registry, keyword_lf, regex_lf
from weaksup.errors import DuplicateLFError, LFDefinitionError, UnknownLFError


def test_discovers_every_kind_in_the_example(youtube_registry):
    kinds = {lf.kind for lf in youtube_registry.lfs}
    assert kinds == {"keyword", "regex", "lookup", "model_score", "threshold", "spacy", "generic"}
    assert youtube_registry.label_space == LabelSpace(["ham", "spam"])
    assert list(youtube_registry)[0] == "kw_subscribe"  # definition order


def test_from_a_file_path_and_a_package(tmp_path):
    pkg = tmp_path / "mylfs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from weaksup import keyword_lf\nA = keyword_lf('a', 'x', 1)\n")
    (pkg / "b.py").write_text("from weaksup import regex_lf\nLFS = [regex_lf('b1', 'y', 0), regex_lf('b2', 'z', 0)]\n")
    reg = Registry.from_modules(pkg / "a.py")
    assert list(reg) == ["a"]
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        assert sorted(Registry.from_modules("mylfs")) == ["a", "b1", "b2"]
    finally:
        sys.path.remove(str(tmp_path))


def test_duplicate_names_name_both_definitions(tmp_path):
    path = tmp_path / "dup.py"
    path.write_text("from weaksup import keyword_lf\nA = keyword_lf('same', 'x', 1)\nB = keyword_lf('same', 'y', 1)\n")
    with pytest.raises(DuplicateLFError) as info:
        Registry.from_modules(path)
    cause = info.value
    assert "dup.py:2" in str(cause) and "dup.py:3" in str(cause) and "rename one" in str(cause)


def test_unknown_name_lists_names_and_suggests():
    reg = Registry([keyword_lf("kw_subscribe", "sub", 1), regex_lf("re_link", "http", 1)])
    with pytest.raises(UnknownLFError, match=r"did you mean 'kw_subscribe'\?.*holds: \['kw_subscribe', 're_link'\]"):
        reg["kw_subscrib"]
    with pytest.raises(KeyError):  # still a KeyError for dict-like callers
        reg["nope"]


def test_select_by_tag_kind_and_name(youtube_registry):
    assert set(youtube_registry.select(kind="regex")) == {"re_check_out", "re_link", "re_view_count"}
    assert "kw_subscribe" in youtube_registry.select(tags="call_to_action")
    assert list(youtube_registry.select(names=["re_link", "kw_song"])) == ["kw_song", "re_link"]
    with pytest.raises(LFDefinitionError, match="unknown LF kind"):
        youtube_registry.select(kind="regexp")


def test_label_space_checked_on_register():
    with pytest.raises(LFDefinitionError, match=r"votes \[2\], outside the label space"):
        Registry([keyword_lf("kw", "x", 2)], label_space=LabelSpace(["a", "b"]))


def test_import_errors_name_the_module(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import nonexistent_package_xyz\n")
    with pytest.raises(LFDefinitionError, match="broken.py.*ModuleNotFoundError"):
        Registry.from_modules(path)
    with pytest.raises(LFDefinitionError, match="not found"):
        Registry.from_modules("no_such_lf_module")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(LFDefinitionError, match="no labeling functions found"):
        Registry.from_modules(empty)
    (tmp_path / "data.csv").write_text("row_id,text\n")
    with pytest.raises(LFDefinitionError, match=r"'.*data.csv' is not a Python module \(.py\)"):
        Registry.from_modules(tmp_path / "data.csv")
    with pytest.raises(LFDefinitionError, match=r"LF module '.*empty.py' holds no labeling functions.*remove it"):
        Registry.from_modules("labeling_functions.youtube_spam", empty)  # not hidden by the other module's LFs


def test_rule_version_changes_with_the_lf_set():
    a = Registry([keyword_lf("kw", "x", 1)])
    assert Registry([keyword_lf("kw", "x", 1)]).rule_version == a.rule_version
    assert Registry([keyword_lf("kw", "y", 1)]).rule_version != a.rule_version


def test_a_dotted_name_is_located_without_running_its_packages(tmp_path, monkeypatch):
    from weaksup.registry import find_module_spec

    (tmp_path / "pkg_unrun").mkdir()
    (tmp_path / "pkg_unrun" / "__init__.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').close()\n")
    (tmp_path / "pkg_unrun" / "lfs.py").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [str(tmp_path), *__import__("sys").path])
    spec = find_module_spec("pkg_unrun.lfs")
    assert spec is not None and spec.origin == str(tmp_path / "pkg_unrun" / "lfs.py")
    assert find_module_spec("pkg_unrun.nothing_here") is None and find_module_spec("no_such_pkg_xyz.lfs") is None
    assert not (tmp_path / "ran").exists(), "locating a module ran its package's __init__.py"


@pytest.mark.parametrize(("code", "expected"), [
    ("import sys\nsys.exit(0)\n", r"exits.py' called sys.exit\(0\) while it was imported"),
    ("raise SystemExit('bye')\n", r"called sys.exit\('bye'\)"),
    ("raise KeyboardInterrupt\n", r"importing LF module .*exits.py' was interrupted"),
])
def test_an_exit_at_import_is_an_lf_definition_error(tmp_path, code, expected):
    path = tmp_path / "exits.py"
    path.write_text("from weaksup import keyword_lf\nkw = keyword_lf('kw', 'x', 1)\n" + code)
    with pytest.raises(LFDefinitionError, match=expected):
        Registry.from_modules(path)


def test_an_import_that_runs_past_its_budget_is_stopped(tmp_path):
    import signal
    import time

    path = tmp_path / "slow.py"
    path.write_text("import time\nfrom weaksup import keyword_lf\nkw = keyword_lf('kw', 'x', 1)\n"
                    "while True:\n    time.sleep(0.01)\n")
    handler = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    with pytest.raises(LFDefinitionError, match=r"(?s)slow.py' took longer than its budget of 0.5 s.*line 5"):
        Registry.from_modules(path, import_timeout=0.5)
    assert time.perf_counter() - started < 10
    assert signal.getsignal(signal.SIGALRM) == handler and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    fast = tmp_path / "fast.py"
    fast.write_text("from weaksup import keyword_lf\nkw = keyword_lf('kw', 'x', 1)\n")
    assert list(Registry.from_modules(fast, import_timeout=5)) == ["kw"]
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


@pytest.mark.snorkel
def test_a_module_of_snorkel_lfs_is_discovered_with_names_and_versions():
    from snorkel.labeling import LabelingFunction as SnorkelLF

    import labeling_functions.snorkel_spam as spam

    by_name = Registry.from_modules("labeling_functions.snorkel_spam")
    by_path = Registry.from_modules(spam.__file__)
    names = [v.name for v in vars(spam).values() if isinstance(v, SnorkelLF)]
    assert list(by_name) == list(by_path) == names
    assert {lf.kind for lf in by_name.lfs} == {"snorkel"}
    assert [lf.version for lf in by_name.lfs] == [lf.version for lf in by_path.lfs]  # content, not module name
    assert by_name["nlp_mentions_the_music"].to_snorkel() is spam.nlp_mentions_the_music
    assert list(by_name.select(kind="snorkel")) == names
    mixed = Registry([spam.keyword_please, by_name["regex_link"]])
    assert list(mixed) == ["keyword_please", "regex_link"]
    with pytest.raises(LFDefinitionError, match="snorkel.labeling.LabelingFunction"):
        Registry([object()])


def test_a_module_loaded_by_path_can_pickle_its_own_classes(tmp_path):
    # labeling_functions/goemotions.py given by path failed to import: hashing its model (joblib.hash pickles it)
    # could not find the module's class by name
    import pickle

    path = tmp_path / "pickling_lfs.py"
    path.write_text(textwrap.dedent('''
        import pickle
        from weaksup import keyword_lf

        class Scorer:
            def __init__(self, weight):
                self.weight = weight

        SAVED = pickle.dumps(Scorer(2))  # at import, as a model LF's fingerprint does
        kw = keyword_lf("kw", ["x"], 1)
        '''), encoding="utf-8")
    registry = Registry.from_modules(str(path))
    assert [lf.name for lf in registry.lfs] == ["kw"]
    loaded = [m for name, m in sys.modules.items() if name.startswith("weaksup_user_lfs.pickling_lfs_")]
    assert len(loaded) == 1 and pickle.loads(loaded[0].SAVED).weight == 2


SLICING_MODULE = '''
from snorkel.labeling import labeling_function
from snorkel.slicing import slicing_function
from snorkel.slicing import SlicingFunction

@labeling_function()
def has_link(x):
    return 1 if "http" in x.text else -1

@slicing_function()
def short_slice(x):
    return len(x.text.split()) < 5

SLICES = [short_slice, SlicingFunction("long_slice", f=lambda x: len(x.text) > 200)]
'''


@pytest.mark.snorkel
def test_slicing_functions_of_an_lf_module_are_skipped_and_logged(tmp_path, caplog):
    # snorkel.slicing.SlicingFunction subclasses snorkel.labeling.LabelingFunction: they were collected as LFs
    path = tmp_path / "with_slices.py"
    path.write_text(SLICING_MODULE, encoding="utf-8")
    with caplog.at_level("INFO", logger="weaksup.registry"):
        registry = Registry.from_modules(str(path))
    assert list(registry) == ["has_link"]
    skipped = [r.getMessage() for r in caplog.records if "slicing function" in r.getMessage()]
    assert len(skipped) == 1 and "short_slice" in skipped[0] and "long_slice" in skipped[0]
    only_slices = tmp_path / "only_slices.py"
    only_slices.write_text(SLICING_MODULE.replace("@labeling_function()\ndef has_link", "def has_link"),
                           encoding="utf-8")
    with pytest.raises(LFDefinitionError, match="no labeling functions found"):
        Registry.from_modules(str(only_slices))


@pytest.mark.snorkel
def test_a_slicing_function_given_as_an_lf_is_refused_by_name():
    from snorkel.slicing import slicing_function

    @slicing_function()
    def short_slice(x):
        return len(x.text) < 5

    with pytest.raises(LFDefinitionError, match=r"'short_slice' is a Snorkel slicing function"):
        Registry([short_slice])
    with pytest.raises(LFDefinitionError, match=r"'short_slice' is a Snorkel slicing function"):
        Registry().register(short_slice)


HELPER_LFS = '''
from snorkel.labeling import labeling_function
from spam_words_helper import KEYWORDS

@labeling_function()
def kw(x):
    return 1 if any(k in x.text.lower() for k in KEYWORDS) else -1

@labeling_function()
def short(x):
    return 0 if len(x.text) < 20 else -1
'''


@pytest.mark.snorkel
def test_an_lf_module_given_by_path_imports_a_helper_from_its_own_folder(tmp_path, youtube, monkeypatch, capsys):
    # `python lfs_dir/spam_lfs.py` finds lfs_dir/helpers.py; weaksup run failed with ModuleNotFoundError
    from tests.pipeline_project import make_project, write_config
    from weaksup.cli import main

    make_project(tmp_path, youtube.iloc[:200])
    lfs_dir = tmp_path / "lfs_dir"
    lfs_dir.mkdir()
    (lfs_dir / "spam_words_helper.py").write_text("KEYWORDS = ['subscribe', 'check out']\n", encoding="utf-8")
    (lfs_dir / "spam_lfs.py").write_text(HELPER_LFS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, lfs={"modules": ["lfs_dir/spam_lfs.py"]})
    monkeypatch.setattr(sys, "path", list(sys.path))
    first = sys.path[0]
    try:
        for argv, shown in ((["lfs", str(config)], "kw"),
                            (["run", str(config), "--no-progress", "--no-tracking"], "2 LFs")):
            with pytest.raises(SystemExit) as info:
                main(argv)
            out = capsys.readouterr()
            assert info.value.code in (0, None), out.err
            assert shown in out.out and "ModuleNotFoundError" not in out.err
        # first on sys.path while the module is imported, then last: it shadows no package imported afterwards
        assert sys.path[0] == first and sys.path[-1] == str(lfs_dir) and sys.path.count(str(lfs_dir)) == 1
    finally:
        sys.modules.pop("spam_words_helper", None)


def test_a_dotted_lf_module_shadowed_by_another_package_of_that_name_names_the_one_imported(tmp_path, monkeypatch):
    # "LF module not found" only, when another `labeling_functions` package came first on sys.path
    for folder in ("site", "project"):
        (tmp_path / folder / "labeling_functions").mkdir(parents=True)
        (tmp_path / folder / "labeling_functions" / "__init__.py").write_text("")
    (tmp_path / "project" / "labeling_functions" / "claims.py").write_text("from weaksup import keyword_lf\n"
                                                                           "a = keyword_lf('a', 'x', 1)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [str(tmp_path / "site"), *sys.path])
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] == "labeling_functions"}
    try:
        with pytest.raises(LFDefinitionError) as info:
            Registry.from_modules("labeling_functions.claims")
    finally:  # the repository's own labeling_functions back, for the other tests
        for name in [name for name in sys.modules if name.split(".")[0] == "labeling_functions"]:
            del sys.modules[name]
        sys.modules.update(saved)
    message = str(info.value)
    assert "LF module 'labeling_functions.claims' not found" in message
    assert f"the package 'labeling_functions' imported is [{str(tmp_path / 'site' / 'labeling_functions')!r}]" in message
    assert "give the .py path, or rename your package" in message
    assert list(Registry.from_modules(str(tmp_path / "project" / "labeling_functions" / "claims.py"))) == ["a"]
