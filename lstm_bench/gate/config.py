"""The gate's thresholds: built-in defaults, ``[tool.lstm-bench]`` in ``pyproject.toml``, then flags.

Read from the ``pyproject.toml`` of the current directory (Python >= 3.11's ``tomllib``; on 3.10
the file is skipped with a warning)::

    [tool.lstm-bench]
    max-slowdown = "3%"          # default tolerated slowdown (percent, or a fraction like 0.03)
    alpha = 0.01                 # significance level of the timing tests
    grad-norm-factor = 10        # flag a gradient-norm log ratio that moved by more than this factor

    [tool.lstm-bench.thresholds] # per benchmark: fnmatch glob on the name -> max-slowdown
    "*deepbench*" = "10%"
    "lstm-fwd-*" = "5%"

Precedence for one benchmark: the first matching glob (file order), else ``--max-slowdown``,
else the file's ``max-slowdown``, else the built-in default. Other keys of ``[tool.lstm-bench]``
belong to other commands and are ignored here.
"""

from __future__ import annotations

import fnmatch
import math
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lstm_bench.errors import UsageError
from lstm_bench.gate.stats import parse_fraction

# Chosen from the power study (benchmarks/gate_power.py, docs/ci.md): with interleaved A/B samples
# these gave <= 1% false alarms and detected a 5% slowdown in >= 95% of comparisons; the
# sequential A/B gate keeps alpha as its overall error over all looks (lstm_bench.gate.sequential).
DEFAULT_MAX_SLOWDOWN = 0.03
DEFAULT_ALPHA = 0.01
DEFAULT_GRAD_NORM_FACTOR = 10.0
DEFAULT_SEED = 0


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of one gate run; ``thresholds`` are (glob, max_slowdown) pairs, first match wins."""

    max_slowdown: float = DEFAULT_MAX_SLOWDOWN
    alpha: float = DEFAULT_ALPHA
    grad_norm_factor: float = DEFAULT_GRAD_NORM_FACTOR
    thresholds: tuple[tuple[str, float], ...] = ()
    seed: int = DEFAULT_SEED
    source: str | None = None  # the pyproject.toml the values came from, if any
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def confidence(self) -> float:
        """Level of the reported intervals: 1 - alpha, so an interval excluding 1 matches p < alpha."""
        return 1.0 - self.alpha

    def max_slowdown_for(self, name: str) -> float:
        """The tolerated slowdown of benchmark ``name``: first matching glob, else the default."""
        for pattern, value in self.thresholds:
            if fnmatch.fnmatchcase(name, pattern):
                return value
        return self.max_slowdown

    def with_overrides(self, *, max_slowdown: str | None = None, alpha: float | None = None) -> GateConfig:
        """This config with command-line values applied (None leaves a value alone); UsageError when invalid."""
        changes: dict[str, Any] = {}
        if max_slowdown is not None:
            changes["max_slowdown"] = _fraction(max_slowdown, "--max-slowdown")
        if alpha is not None:
            changes["alpha"] = _alpha(alpha, "--alpha")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "max_slowdown": self.max_slowdown,
            "alpha": self.alpha,
            "grad_norm_factor": self.grad_norm_factor,
            "thresholds": [[pattern, value] for pattern, value in self.thresholds],
            "seed": self.seed,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateConfig:
        """Inverse of ``to_dict``."""
        return cls(
            max_slowdown=float(data["max_slowdown"]),
            alpha=float(data["alpha"]),
            grad_norm_factor=float(data["grad_norm_factor"]),
            thresholds=tuple((str(p), float(v)) for p, v in data.get("thresholds", [])),
            seed=int(data.get("seed", DEFAULT_SEED)),
            source=data.get("source"),
        )


def _fraction(value: Any, where: str) -> float:
    try:
        return parse_fraction(value)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None


def _alpha(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < float(value) < 0.5:
        raise UsageError(f"{where}: alpha must be a number in (0, 0.5), got {value!r}")
    return float(value)


def _factor(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value) > 1.0:
        raise UsageError(f"{where}: must be a factor > 1, got {value!r}")
    if not math.isfinite(float(value)):
        raise UsageError(f"{where}: must be finite, got {value!r}")
    return float(value)


def config_from_table(table: dict[str, Any], source: str) -> GateConfig:
    """A GateConfig from the parsed ``[tool.lstm-bench]`` table; UsageError naming the bad key."""
    config = GateConfig(source=source)
    changes: dict[str, Any] = {}
    if "max-slowdown" in table:
        changes["max_slowdown"] = _fraction(table["max-slowdown"], f"{source}: max-slowdown")
    if "alpha" in table:
        changes["alpha"] = _alpha(table["alpha"], f"{source}: alpha")
    if "grad-norm-factor" in table:
        changes["grad_norm_factor"] = _factor(table["grad-norm-factor"], f"{source}: grad-norm-factor")
    thresholds = table.get("thresholds", {})
    if not isinstance(thresholds, dict):
        raise UsageError(f"{source}: [tool.lstm-bench.thresholds] must be a table of glob = max-slowdown")
    changes["thresholds"] = tuple(
        (str(pattern), _fraction(value, f"{source}: thresholds.{pattern!r}"))
        for pattern, value in thresholds.items()
    )
    return replace(config, **changes)


def load_config(directory: str | os.PathLike[str] | None = None) -> GateConfig:
    """The gate config from ``directory``'s (default: the current directory's) ``pyproject.toml``.

    No file, or no ``[tool.lstm-bench]`` table: the built-in defaults. On Python 3.10 (no
    ``tomllib``) the file is skipped and the returned config carries a warning. A file that is
    not valid TOML, or a bad value, is a UsageError (exit 2).
    """
    path = Path(directory if directory is not None else Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return GateConfig()
    if sys.version_info < (3, 11):  # pragma: no cover - exercised on 3.10 only
        return GateConfig(
            warnings=(f"{path}: not read (tomllib needs Python >= 3.11); using default thresholds",)
        )
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read thresholds: {exc}") from None
    table = data.get("tool", {}).get("lstm-bench")
    if table is None:
        return GateConfig()
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.lstm-bench] must be a table")
    return config_from_table(table, str(path))
