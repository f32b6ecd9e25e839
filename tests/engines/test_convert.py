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
