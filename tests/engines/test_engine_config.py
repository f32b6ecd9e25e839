"""``engine.master`` is checked against the master URLs Spark accepts (its ``SparkMasterRegex``), so a typo is one
config error line before the JVM starts, not Java stack traces from Spark."""

from __future__ import annotations

import pytest

from tests.engines.test_cli_engine import write_config
from weaksup.cli import main
from weaksup.engines.config import SPARK_MASTER, EngineConfig, check_engine_config
from weaksup.errors import ConfigError

ACCEPTED = ["local", "local[1]", "local[2]", "local[16]", "local[*]", "local[2,4]", "local[*,3]", "local[2, 4]",
            "local-cluster[2,1,1024]", "yarn", "spark://host:7077", "spark://10.0.0.5:7077",
            "spark://h1:7077,h2:7077", "spark://[::1]:7077", "k8s://https://10.0.0.1:6443", "k8s://host:443",
            "mesos://host:5050"]
REFUSED = ["local[two]", "local[0]", "local[]", "local[2", "local[2,]", "local[2,x]", "local[-1]", "local[2]x",
           "local[ 2 ]", "local-cluster[2]", "localhost", "Local[2]", "yarn-client", "spark://", "spark://host",
           "spark://host:port", "k8s://", "nonsense://x", "", "local[2] "]


@pytest.mark.parametrize("master", ACCEPTED)
def test_spark_master_urls_spark_accepts_pass(master):
    assert SPARK_MASTER.fullmatch(master)
    check_engine_config(EngineConfig(name="spark", master=master), "run.toml")


@pytest.mark.parametrize("master", REFUSED)
def test_spark_master_urls_spark_refuses_are_a_config_error(master):
    with pytest.raises(ConfigError, match="is not a Spark master URL; give local\\[N\\]") as error:
        check_engine_config(EngineConfig(name="spark", master=master), "run.toml")
    assert f"engine.master = {master!r}" in str(error.value)


def test_local_two_exits_2_with_one_line_before_spark_starts(tmp_path, capsys, monkeypatch):
    write_config(tmp_path, '[engine]\nname = "spark"\nmaster = "local[two]"')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["run", "run.toml", "--no-progress"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "engine.master = 'local[two]'" in err, err
    assert "Exception" not in err and "java" not in err.lower()
    assert not (tmp_path / "out").exists()
