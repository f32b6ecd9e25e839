"""Versions capture what an LF depends on: no silently stale labels from reused votes.

Issue 14 case 11: editing a module constant read by a generic LF's helper (``LIMIT = 3`` -> ``8``) kept the LF's
version, so a rerun reused the old votes (7.9% ham against 73.2% from ``--fresh``). A generic LF's version now
covers the module-level names its code reads, recursively through its helpers, and the content of files named by
path constants; when something it reads cannot be hashed (an object, a network resource) the LF is
``cacheable=False`` and every run recomputes it. An LF reading nothing beyond builtins, imports, weaksup's names
and its label constants keeps the version it always had (the shipped example's do).

The runs go through the CLI in a subprocess; ``WEAKSUP_SRC`` (default: this checkout) picks the code under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config

SRC = os.environ.get("WEAKSUP_SRC", str(REPO))

HELPER_LFS = '''
from weaksup import ABSTAIN, LabelSpace, keyword_lf, labeling_function

LABELS = LabelSpace(["ham", "spam"])
HAM, SPAM = 0, 1
LIMIT = 3


def _short(text):
    return len(text.split()) <= LIMIT


@labeling_function(fields=["text"])
def short_is_ham(x):
    return HAM if x.text is not None and _short(x.text) else ABSTAIN


kw_subscribe = keyword_lf("kw_subscribe", ["subscribe", "my channel"], SPAM)
'''


def _write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    stamp = path.stat().st_mtime + 10  # no cached bytecode of the old text may be taken for the new one
    os.utime(path, (stamp, stamp))


def _weaksup(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "weaksup", *args, "--no-progress"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def _labels(folder: Path, *extra: str, out: str = "out") -> pd.DataFrame:
    done = _weaksup(folder, "run", "run.toml", "--set", f"output.path={out}/labels.parquet", *extra)
    assert done.returncode == 0, done.stderr
    return pd.read_parquet(folder / out / "labels.parquet")


def _versions(module: Path) -> dict[str, tuple[str, bool]]:
    """``name -> (version, cacheable)`` of the LFs of a module, loaded in a fresh interpreter."""
    code = ("import sys, json; from weaksup import Registry; r = Registry.from_modules(sys.argv[1]); "
            "print(json.dumps({lf.name: [lf.version, getattr(lf, 'cacheable', True)] for lf in r.lfs}))")
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", code, str(module)], env=env, capture_output=True, text=True,
                          timeout=120, cwd=module.parent)
    assert done.returncode == 0, done.stderr
    import json

    return {k: (v[0], v[1]) for k, v in json.loads(done.stdout).items()}


@pytest.fixture
def project(tmp_path, youtube):
    make_project(tmp_path, youtube.iloc[:600])
    _write(tmp_path / "helper_lfs.py", HELPER_LFS)
    write_config(tmp_path, lfs={"modules": ["helper_lfs.py"]})
    return tmp_path


@pytest.mark.slow
def test_rerun_after_editing_a_helpers_constant_gives_the_fresh_labels(project):
    before = _labels(project)
    _write(project / "helper_lfs.py", HELPER_LFS.replace("LIMIT = 3", "LIMIT = 8"))
    rerun = _labels(project)  # no --fresh: reuses every saved vote column whose LF version is unchanged
    fresh = _labels(project, "--fresh", out="fresh")
    assert not before["label"].equals(fresh["label"])  # the edit matters
    pd.testing.assert_frame_equal(rerun, fresh)


def test_editing_a_constant_a_helper_reads_changes_the_version(tmp_path):
    module = tmp_path / "helper_lfs.py"
    _write(module, HELPER_LFS)
    before = _versions(module)
    _write(module, HELPER_LFS.replace("LIMIT = 3", "LIMIT = 8"))
    after = _versions(module)
    assert before["short_is_ham"][0] != after["short_is_ham"][0]
    assert before["kw_subscribe"] == after["kw_subscribe"]
    _write(module, HELPER_LFS.replace("<= LIMIT", "<  LIMIT"))  # the helper's own code
    assert _versions(module)["short_is_ham"][0] not in (before["short_is_ham"][0], after["short_is_ham"][0])


def test_helpers_and_constants_defined_below_the_lf_count(tmp_path):
    module = tmp_path / "below_lfs.py"
    text = '''
        from weaksup import ABSTAIN, labeling_function

        @labeling_function()
        def starts_with(x):
            return 1 if _starts(x.text) else ABSTAIN

        def _starts(text):
            return text.startswith(PREFIX)

        PREFIX = "a"
        '''
    _write(module, text)
    before = _versions(module)["starts_with"]
    _write(module, text.replace('PREFIX = "a"', 'PREFIX = "b"'))
    assert _versions(module)["starts_with"] != before


def test_a_file_named_by_a_path_constant_is_part_of_the_version(tmp_path):
    module = tmp_path / "file_lfs.py"
    (tmp_path / "words.txt").write_text("buy\nfree\n", encoding="utf-8")
    _write(module, '''
        from pathlib import Path
        from weaksup import ABSTAIN, labeling_function

        WORDS = Path(__file__).with_name("words.txt")

        @labeling_function()
        def listed(x):
            return 1 if x.text in WORDS.read_text().split() else ABSTAIN
        ''')
    before = _versions(module)["listed"]
    assert before[1] is True
    (tmp_path / "words.txt").write_text("buy\nfree\ncash\n", encoding="utf-8")
    assert _versions(module)["listed"][0] != before[0]


def test_state_that_cannot_be_hashed_makes_the_lf_not_cacheable(tmp_path):
    module = tmp_path / "state_lfs.py"
    _write(module, '''
        import types
        from weaksup import ABSTAIN, labeling_function

        SETTINGS = types.SimpleNamespace(limit=3)
        SOURCE = "https://example.com/spam-words.txt"

        @labeling_function()
        def by_settings(x):
            return 0 if len(x.text) <= SETTINGS.limit else ABSTAIN

        @labeling_function()
        def by_url(x):
            return 1 if SOURCE in x.text else ABSTAIN

        @labeling_function()
        def plain(x):
            return 0 if len(x.text) <= 3 else ABSTAIN
        ''')
    found = _versions(module)
    assert found["by_settings"][1] is False and found["by_url"][1] is False and found["plain"][1] is True
    sys.path.insert(0, str(tmp_path))
    try:
        from weaksup import Registry

        registry = Registry.from_modules(module)
    finally:
        sys.path.remove(str(tmp_path))
    lf = registry["by_settings"]
    assert "'SETTINGS'" in lf.cache_note and "SimpleNamespace" in lf.cache_note
    assert lf.manifest()["cacheable"] is False
    assert "network resource" in registry["by_url"].cache_note
    assert "cacheable" not in registry["plain"].manifest()


def test_an_lf_reading_environment_variables_is_not_cacheable(tmp_path):
    # SPAM_WORD=pills weaksup run ... reused the votes of the run made without it
    module = tmp_path / "env_lfs.py"
    _write(module, '''
        import os
        from os import getenv
        from weaksup import ABSTAIN, labeling_function

        def _word():
            return os.environ.get("SPAM_WORD", "subscribe")

        @labeling_function()
        def env_word(x):
            return 1 if _word() in x.text else ABSTAIN

        @labeling_function()
        def env_getenv(x):
            return 1 if getenv("SPAM_WORD", "x") in x.text else ABSTAIN

        @labeling_function()
        def reads_a_path(x):
            return 1 if os.path.exists(x.text) else ABSTAIN
        ''')
    found = _versions(module)
    assert found["env_word"][1] is False and found["env_getenv"][1] is False and found["reads_a_path"][1] is True


@pytest.mark.slow
def test_a_run_recomputes_an_lf_that_is_not_cacheable(project):
    (project / "limit.txt").write_text("3", encoding="utf-8")
    _write(project / "helper_lfs.py", HELPER_LFS.replace(
        "LIMIT = 3", "import types\nSETTINGS = types.SimpleNamespace(limit=int(open('limit.txt').read()))").replace(
        "<= LIMIT", "<= SETTINGS.limit"))
    before = _labels(project)
    (project / "limit.txt").write_text("8", encoding="utf-8")
    rerun = _labels(project)
    fresh = _labels(project, "--fresh", out="fresh")
    assert not before["label"].equals(fresh["label"])
    pd.testing.assert_frame_equal(rerun, fresh)
    summary = _weaksup(project, "run", "run.toml", "--set", "output.path=out/labels.parquet").stdout
    assert "recomputed on every run (not cacheable): " in summary and "SETTINGS" in summary


def test_the_shipped_generic_lfs_keep_their_versions(youtube_registry):
    versions = {lf.name: lf.version for lf in youtube_registry.lfs}
    assert {k: versions[k] for k in ("asks_for_views", "short_about_artist", "url_or_email_token")} == {
        "asks_for_views": "796391ed", "short_about_artist": "38413814", "url_or_email_token": "03ee9de7"}
    assert all(lf.cacheable for lf in youtube_registry.lfs)


def test_a_closure_value_is_part_of_the_version():
    from weaksup import ABSTAIN, labeling_function

    def make(limit):
        @labeling_function(name="short")
        def short(x):
            return 0 if len(x.text) <= limit else ABSTAIN

        return short

    assert make(3).version != make(8).version
    assert make(3).version == make(3).version


def test_a_scorer_function_of_a_model_score_lf_covers_what_it_reads(tmp_path):
    module = tmp_path / "scorer_lfs.py"
    text = '''
        import numpy as np
        from weaksup import model_score_lf

        CUT = 10

        def _long(texts):
            return np.array([float(len(t) > CUT) for t in texts])

        long_text = model_score_lf("long_text", _long, above={1: 0.5})
        '''
    _write(module, text)
    before = _versions(module)["long_text"]
    assert before[1] is True
    _write(module, text.replace("CUT = 10", "CUT = 40"))
    assert _versions(module)["long_text"][0] != before[0]


class _Rule:
    def __init__(self, n):
        self.n = n

    def vote(self, x):
        return 1 if len(x.text) > self.n else -1


def _by_length(x, n):
    return 1 if len(x.text) > n else -1


def test_a_bound_method_or_partial_counts_its_object_or_arguments():
    import functools

    from weaksup import labeling_function

    method = labeling_function(name="rule")(_Rule(3).vote)
    assert method.cacheable is False and "_Rule" in method.cache_note  # the object's state is not hashed
    three = labeling_function(name="len")(functools.partial(_by_length, n=3))
    eight = labeling_function(name="len")(functools.partial(_by_length, n=8))
    assert three.cacheable and three.version != eight.version


def test_a_saved_spacy_pipeline_is_versioned_by_its_files(tmp_path):
    spacy = pytest.importorskip("spacy")
    from weaksup.lf import SpacyPipeline

    folder = tmp_path / "pipeline"
    spacy.blank("en").to_disk(folder)
    before = SpacyPipeline(str(folder)).key
    meta = folder / "meta.json"
    meta.write_text(meta.read_text().replace('"version":"', '"version":"9').replace('"version": "', '"version": "9'))
    assert SpacyPipeline(str(folder)).key != before


def test_network_use_and_files_named_in_the_body(tmp_path):
    module = tmp_path / "body_lfs.py"
    (tmp_path / "words.txt").write_text("buy\n", encoding="utf-8")
    _write(module, '''
        from urllib.request import urlopen
        from weaksup import ABSTAIN, labeling_function

        @labeling_function()
        def fetches(x):
            return 1 if x.text in urlopen("https://example.com/words").read().decode() else ABSTAIN

        @labeling_function()
        def reads_words(x):
            return 1 if x.text in open("words.txt").read().split() else ABSTAIN

        @labeling_function()
        def mentions_http(x):
            return 1 if "http://" in x.text else ABSTAIN
        ''')
    before = _versions(module)
    assert before["fetches"][1] is False and before["reads_words"][1] is True and before["mentions_http"][1] is True
    (tmp_path / "words.txt").write_text("buy\ncash\n", encoding="utf-8")
    after = _versions(module)
    assert after["reads_words"][0] != before["reads_words"][0]
    assert after["mentions_http"] == before["mentions_http"]
