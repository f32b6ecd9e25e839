"""``weaksup report --label-model temporal`` is refused: the temporal model needs sequence and order columns, which
only a run config names (without them the report smoothed every row with its neighbours in file order)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["temporal", "TemporalLabelModel"])
def test_report_with_the_temporal_label_model_exits_2_pointing_to_weaksup_run(tmp_path, capsys, name):
    from weaksup.cli import main

    out = tmp_path / "rep" / "r.html"
    with pytest.raises(SystemExit) as info:
        main(["report", "--label-model", name, "--no-tracking", "--out", str(out)])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert f"--label-model {name}: the temporal label model needs the input columns" in err
    assert "use `weaksup run CONFIG`" in err
    assert 'sequence_column = "video", order_column = "frame"' in err
    assert not out.parent.exists()
