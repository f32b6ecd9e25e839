"""``python -m weaksup.engines.convert``: a config's input to Parquet parts; bad arguments exit 2, naming them."""

from __future__ import annotations

import pytest

from weaksup.engines.convert import main


def test_bad_arguments_exit_2_with_the_fix_and_write_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["any.toml", str(tmp_path / "parts"), "--rows", "0"])
    assert info.value.code == 2 and "--rows must be a whole number >= 1; got 0" in capsys.readouterr().err
    assert main([str(tmp_path / "nope.toml"), str(tmp_path / "parts")]) == 2
    assert "nope.toml' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "parts").exists()


def test_parts_go_to_a_new_folder_whole_and_a_folder_with_parts_is_refused(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('[task]\nname = "t"\n[input]\nexample = "youtube_spam"\n[lfs]\nmodules = ["m"]\n'
                      '[output]\npath = "out/labels.parquet"\n')
    assert main([str(config), str(tmp_path / "parts"), "--rows", "1000"]) == 0
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "parts").iterdir()}
    assert main([str(config), str(tmp_path / "parts"), "--rows", "500"]) == 2  # would leave part-00002, -00003 beside
    assert "is not empty (part-00000.parquet, part-00001.parquet)" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "parts").iterdir()} == before
