"""The environment a result was measured in: machine, versions, threads, load, commit.

Recorded in every results file so that comparisons across machines or versions can be
explained rather than silently made.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """The current git commit (with '-dirty' when the tree has changes), or None outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def load_average() -> tuple[float, float, float] | None:
    """1, 5 and 15 minute load averages (other load spoils timings), or None where unknown."""
    try:
        return os.getloadavg()
    except OSError:
        return None


def torch_framework() -> str:
    """'torch 2.13.0': how reports name torch as the framework that computed a layer."""
    import torch

    return f"torch {torch.__version__}"


def loaded_frameworks() -> str | None:
    """Other frameworks already imported to compute adapted layers (lstm_bench.adapters), e.g.
    'keras 3.15.1 (torch backend); jax 0.10.2', or None when only torch ran."""
    import sys

    found = []
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        found.append(f"keras {getattr(keras, '__version__', '?')} ({keras.backend.backend()} backend)")
    for name in ("jax", "flax", "equinox"):
        module = sys.modules.get(name)
        if module is not None:
            found.append(f"{name} {getattr(module, '__version__', '?')}")
    return "; ".join(found) or None


def capture_environment() -> dict[str, Any]:
    """A JSON-ready description of this machine and software stack."""
    import numpy as np
    import torch

    from lstm_bench import __version__

    env: dict[str, Any] = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "lstm_bench": __version__,
        "torch_threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "load_average": load_average(),
        "git_commit": git_commit(),
        "cuda": None,
        "frameworks": loaded_frameworks(),
    }
    if torch.cuda.is_available():
        env["cuda"] = {
            "version": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
            "device_name": torch.cuda.get_device_name(0),
            "device_count": torch.cuda.device_count(),
        }
    return env
