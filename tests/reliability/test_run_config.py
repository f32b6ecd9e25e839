"""Every config value is validated before work starts: exit 2, a message naming the key and the fix, nothing written.

The values here ended in a traceback (or ran on silently) before issue 14: NaN and infinity for a number, a negative
or too large seed, an unknown encoding, label-model parameters of the wrong kind, a symlink loop as ``input.path``.
"""

from __future__ import annotations

import os

import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:100])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _loop(project, absolute: bool):
    os.symlink(project / "loop_b.csv", project / "loop_a.csv")
    os.symlink(project / "loop_a.csv", project / "loop_b.csv")
    return write_config(project, input={"path": str(project / "loop_a.csv") if absolute else "loop_a.csv"})


NAN, INF = float("nan"), float("inf")
CASES = {
    "lf_timeout nan": ({"lfs": {"lf_timeout": NAN}}, ["lfs.lf_timeout must be a finite number; got nan"]),
    "lf_timeout inf": ({"lfs": {"lf_timeout": INF}}, ["lfs.lf_timeout must be a finite number; got inf"]),
    "import_timeout negative": ({"lfs": {"import_timeout": -1}}, ["lfs.import_timeout must be 0 (no budget)"]),
    "a class threshold nan": ({"review": {"class_thresholds": {"spam": NAN}}},
                              ["review.class_thresholds.spam must be a finite number"]),
    "a model parameter nan": ({"label_model": {"name": "DawidSkene", "params": {"tol": NAN}}},
                              ["label_model.params.tol must be a finite number"]),
    "seed -1 with sample_rows": ({"label_model": {"seed": -1, "sample_rows": 10}},
                                 ["label_model.seed must be a whole number from 0 to 4294967295", "got -1"]),
    "seed -1 with random ties": ({"label_model": {"seed": -1, "tie_break": "seeded_random"}},
                                 ["label_model.seed must be a whole number from 0"]),
    "seed too large": ({"label_model": {"seed": 2**40}}, ["label_model.seed must be a whole number from 0"]),
    "unknown encoding": ({"input": {"encoding": "klingon"}},
                         ["input.encoding = 'klingon' is not a text encoding", "'utf-8'"]),
    "not a text encoding": ({"input": {"encoding": "rot13"}}, ["input.encoding = 'rot13' is not a text encoding"]),
    "DawidSkene n_iter negative": ({"label_model": {"name": "DawidSkene", "params": {"n_iter": -5}}},
                                   ["label_model.params.n_iter = -5", "DawidSkene: n_iter must be a whole number >= 1",
                                    "its default is 100"]),
    "DawidSkene n_iter a word": ({"label_model": {"name": "DawidSkene", "params": {"n_iter": "many"}}},
                                 ["label_model.params.n_iter = 'many'", "a whole number >= 1"]),
    "DawidSkene n_iter a fraction": ({"label_model": {"name": "DawidSkene", "params": {"n_iter": 2.5}}},
                                     ["label_model.params.n_iter = 2.5", "a whole number >= 1"]),
    "DawidSkene smoothing negative": ({"label_model": {"name": "DawidSkene", "params": {"smoothing": -0.5}}},
                                      ["label_model.params.smoothing = -0.5", "a number >= 0"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_config_value_is_exit_2_before_any_work(project, capsys, case):
    sections, expected = CASES[case]
    config = write_config(project, **sections)
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    for part in expected:
        assert part in err, f"{part!r} not in {err!r}"
    assert not (project / "out").exists(), "work started before the config was checked"


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_a_symlink_loop_as_input_path_is_exit_2(project, capsys, absolute):
    config = _loop(project, absolute)
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "input.path" in err and "loop_a.csv" in err and "is a loop of symbolic links" in err, err
    assert not (project / "out").exists()


def test_good_values_still_run(project, capsys):
    config = write_config(project, input={"encoding": "utf-8-sig"}, lfs={"lf_timeout": 30.0, "import_timeout": 5},
                          label_model={"name": "DawidSkene", "seed": 2**32 - 1, "tie_break": "seeded_random",
                                       "params": {"n_iter": 20, "tol": 0.001}})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    assert info.value.code == 0, capsys.readouterr().err
    assert (project / "out" / "labels.parquet").exists()
