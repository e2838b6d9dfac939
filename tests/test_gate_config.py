"""Gate thresholds from pyproject.toml's [tool.lstm-bench], command-line overrides and their errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lstm_bench.errors import UsageError
from lstm_bench.gate.config import DEFAULT_ALPHA, DEFAULT_MAX_SLOWDOWN, GateConfig, load_config

PYPROJECT = """
[project]
name = "somebody-elses-lstm"

[tool.lstm-bench]
max-slowdown = "4%"
alpha = 0.005
grad-norm-factor = 100
profile = "ci"   # another command's key: ignored here

[tool.lstm-bench.thresholds]
"*deepbench*" = "10%"
"torch-native/lstm/*" = 0.02
"*" = "7%"
"""


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.max_slowdown, config.alpha, config.source) == (DEFAULT_MAX_SLOWDOWN, DEFAULT_ALPHA, None)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path) == GateConfig()


def test_values_and_first_matching_glob(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    config = load_config(tmp_path)
    assert (config.max_slowdown, config.alpha, config.grad_norm_factor) == (0.04, 0.005, 100.0)
    assert config.source == str(tmp_path / "pyproject.toml")
    assert config.max_slowdown_for("torch-native/lstm/deepbench-x") == 0.10  # first match wins
    assert config.max_slowdown_for("torch-native/lstm/forward/float32/I64") == 0.02
    assert config.max_slowdown_for("anything-else") == 0.07  # the catch-all glob
    assert config.confidence == pytest.approx(0.995)


def test_command_line_overrides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lstm-bench]\nmax-slowdown = '4%'\n")
    config = load_config(tmp_path).with_overrides(max_slowdown="6%", alpha=0.05)
    assert (config.max_slowdown, config.alpha) == (0.06, 0.05)
    assert load_config(tmp_path).with_overrides().max_slowdown == 0.04
    assert GateConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.lstm-bench]\nmax-slowdown = 'fast'\n", "max-slowdown: 'fast' is not a percentage"),
        ("[tool.lstm-bench]\nmax-slowdown = 5\n", "ambiguous"),
        ("[tool.lstm-bench]\nalpha = 2\n", "alpha must be a number in (0, 0.5)"),
        ("[tool.lstm-bench]\ngrad-norm-factor = 0.5\n", "must be a factor > 1"),
        ("[tool.lstm-bench]\nthresholds = 3\n", "must be a table"),
        ("[tool.lstm-bench.thresholds]\n'x*' = '-2%'\n", "thresholds.'x*'"),
        ("[tool.lstm-bench\n", "cannot read thresholds"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(toml)
    with pytest.raises(UsageError, match=re.escape(message)):
        load_config(tmp_path)


@pytest.mark.parametrize(("flag", "value"), [("max_slowdown", "lots"), ("alpha", 0.7)])
def test_bad_override_is_a_usage_error(flag: str, value: object) -> None:
    with pytest.raises(UsageError, match=r"--max-slowdown|--alpha"):
        GateConfig().with_overrides(**{flag: value})  # type: ignore[arg-type]
