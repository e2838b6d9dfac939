"""Small results documents for the report tests, in the sections' real ``to_dict`` formats.

Built by functions (not stored JSON) so that a test can change one field; every number is
derived from the arguments, so no test relies on a hard-coded rendering.
"""

from __future__ import annotations

import math
from typing import Any

ENVIRONMENT = {
    "hostname": "ci-box",
    "platform": "Linux-6.1-x86_64",
    "python": "3.11.2",
    "cpu_model": "AMD EPYC 9R14 (Zen 4)",
    "cpu_count": 2,
    "torch": "2.13.0+cpu",
    "numpy": "2.1.0",
    "lstm_bench": "0.1.0",
    "torch_threads": 2,
    "mkldnn": True,
    "load_average": [0.5, 0.4, 0.3],
    "git_commit": "d4a8eb0",
    "cuda": None,
}


def check(
    name: str, passed: bool = True, error: float = 1e-13, atol: float = 1e-10, reason: str = ""
) -> dict[str, Any]:
    """One ``CheckResult.to_dict()``; a failing one carries a counterexample with a repro snippet."""
    counterexample = None
    if not passed:
        counterexample = {
            "case": {"steps": 3, "batch": 1, "input_size": 2, "hidden_size": 2, "seed": 7},
            "outcome": {
                "passed": False,
                "error": error,
                "detail": f"{name}: output[2, 0, 1] differs",
                "tensors": [
                    {
                        "tensor": "output",
                        "max_abs": error,
                        "max_rel": error * 2,
                        "where": "output[2, 0, 1]",
                        "got": 0.25,
                        "expected": 0.25 + error,
                        "passed": False,
                    }
                ],
            },
            "repro": f"from lstm_bench.conformance import replay\nreplay({name!r}, steps=3, batch=1, seed=7)",
        }
    return {
        "name": name,
        "status": "pass" if passed else "fail",
        "seconds": 0.25,
        "examples": 25,
        "worst_error": error,
        "tolerance": {"atol": atol, "rtol": atol, "why": "test"},
        "reason": reason,
        "tensors": [],
        "counterexample": counterexample,
    }


def conformance_report(spec: str, failing: tuple[str, ...] = (), kind: str = "lstm") -> dict[str, Any]:
    """One ``ConformanceReport.to_dict()`` with four checks; those named in ``failing`` fail."""
    names = ("gate-ranges", "equivalence", "gradients-fd", "causality")
    checks = [
        check(
            n,
            passed=n not in failing,
            error=0.5 if n in failing else 1e-13,
            reason="wrong value" if n in failing else "",
        )
        for n in names
    ]
    fails = sum(c["status"] == "fail" for c in checks)
    return {
        "spec": spec,
        "kind": kind,
        "profile": "quick",
        "dtype": "float64",
        "device": "cpu",
        "seed": 0,
        "seconds": 1.0,
        "passed": not fails,
        "counts": {"pass": len(checks) - fails, "fail": fails, "skip": 0},
        "checks": checks,
    }


def diagnostic(label: str, kind: str, init: str, steps: int, decay: float) -> dict[str, Any]:
    """A ``DiagnosticResult.to_dict()`` whose gradient norms shrink by ``decay`` per step going back in time."""
    norms = [decay ** (steps - t) for t in range(1, steps + 1)]
    ratio = math.log10(norms[0] / norms[-1])
    return {
        "model": {"kind": kind, "init": init, "hidden": 64, "impl": None, "label": label},
        "task": "recall",
        "horizon": steps,
        "seed": 0,
        "status": "ok",
        "profile": {
            "kind": kind,
            "steps": steps,
            "hidden_norms": norms,
            "cell_norms": None,
            "log10_ratio": ratio,
        },
        "regime": "vanishing" if ratio < -4 else "stable",
        "jacobian": {
            "t": 1,
            "steps": steps,
            "norms": [decay ** (steps - 1)],
            "iterations": 10,
            "max": decay ** (steps - 1),
        },
        "spectrum": None,
        "error": None,
    }


def summary(label: str, accuracies: dict[int, list[float]]) -> dict[str, Any]:
    """A ``GroupSummary.to_dict()`` on the recall task: per horizon the seeds' final accuracies (>= 0.99 solves)."""
    horizons = []
    longest, unbroken = None, True
    for horizon, accs in sorted(accuracies.items()):
        solved = sum(a >= 0.99 for a in accs)
        horizons.append(
            {"horizon": horizon, "seeds": len(accs), "ran": len(accs), "solved": solved, "accuracy": accs}
        )
        unbroken = unbroken and solved > len(accs) // 2
        longest = horizon if unbroken else longest
    return {"model": label, "task": "recall", "longest_horizon": longest, "horizons": horizons}


def stability_report(
    summaries: list[dict[str, Any]],
    diagnostics: list[dict[str, Any]],
    models: list[dict[str, Any]],
    profile: str = "quick",
    horizons: tuple[int, ...] = (10, 20, 40),
) -> dict[str, Any]:
    """A ``StabilityReport.to_dict()`` holding the given summaries, diagnostics and models (no jobs)."""
    from lstm_bench.stability.jobs import DiagnosticResult
    from lstm_bench.stability.models import ModelSpec
    from lstm_bench.stability.recipes import DEFAULT_LSTM_RECIPE
    from lstm_bench.stability.result import GroupSummary, StabilityReport
    from lstm_bench.stability.trainer import TrainConfig

    report = StabilityReport(
        profile=profile,
        settings={"seeds": 2, "horizons": list(horizons)},
        train_config=TrainConfig(),
        recipe=DEFAULT_LSTM_RECIPE.to_dict(),
        tasks=({"task": "recall", "chance_accuracy": 0.125, "baseline_loss": math.log(8)},),
        models=tuple(ModelSpec.from_dict(m) for m in models),
        jobs=(),
        diagnostics=tuple(DiagnosticResult.from_dict(d) for d in diagnostics),
        wall_seconds=10.0,
        summary=tuple(GroupSummary.from_dict(s) for s in summaries),
    )
    return report.to_dict()


def model(kind: str, init: str, impl: str | None = None, hidden: int = 64) -> dict[str, Any]:
    """One ``ModelSpec.to_dict()``."""
    from lstm_bench.kinds import Kind
    from lstm_bench.stability.models import ModelSpec

    return ModelSpec(Kind(kind), init, hidden, impl).to_dict()


def stability_section(extra: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """A ``StabilityReport.to_dict()``: tanh RNN vanishing and failing beyond T = 10, chrono LSTM fine to T = 40."""
    return stability_report(
        [
            summary("tanh RNN", {10: [1.0, 1.0], 20: [0.4, 0.5], 40: [0.13, 0.12]}),
            summary("LSTM (chrono)", {10: [1.0, 1.0], 20: [1.0, 1.0], 40: [0.995, 0.999]}),
            *extra,
        ],
        [
            diagnostic("tanh RNN", "rnn", "default", 100, 0.5),
            diagnostic("LSTM (chrono)", "lstm", "chrono", 100, 0.99),
        ],
        [model("rnn", "default"), model("lstm", "chrono")],
    )


def bench_record(
    backend: str, median: float, gflop: float = 1.0, iqr_fraction: float = 0.02, kind: str = "lstm"
) -> dict[str, Any]:
    """One ``BenchmarkRecord.to_dict()`` of an LSTM forward+backward case (I=H=256, B=32, T=100, float32, cpu)."""
    iqr = median * iqr_fraction
    return {
        "name": f"{backend}/{kind}/forward-backward/float32/I256-H256-B32-T100/cpu",
        "backend": backend,
        "impl": backend[5:] if backend.startswith("impl:") else None,
        "device": "cpu",
        "kind": kind,
        "workload": "forward-backward",
        "dtype": "float32",
        "input_size": 256,
        "hidden_size": 256,
        "batch": 32,
        "steps": 100,
        "status": "ok",
        "reason": None,
        "samples_s": [median - iqr, median, median + iqr],
        "stats": {
            "n": 3,
            "median_s": median,
            "iqr_s": iqr,
            "relative_iqr": iqr_fraction,
            "noisy": iqr_fraction > 0.1,
        },
        "gflops": gflop / median,
        "percent_of_peak": 100 * gflop / median / 190.0,
        "peak_gflops": 190.0,
        "compile_s": None,
    }


def gates_section() -> dict[str, Any]:
    """A tiny gates section: two bins per gate."""
    return {
        "setting": "test trace",
        "bins": 2,
        "models": [
            {
                "label": "LSTM",
                "kind": "lstm",
                "init": "default",
                "histograms": {
                    g: {"edges": [0.0, 0.5, 1.0], "counts": [3.0, 5.0]} for g in ("input", "forget", "output")
                },
            }
        ],
    }


def document(
    impls: tuple[str, ...] = ("lstm_bench.reference.torch_ref:LSTM", "torch.nn:LSTM"),
    failing: dict[str, tuple[str, ...]] | None = None,
    created: str = "2025-11-25T18:00:00Z",
    native_s: float = 0.07,
) -> dict[str, Any]:
    """A complete ``run`` results document: conformance, stability, gates and benchmarks."""
    failing = failing or {}
    return {
        "schema": "lstm-bench.results",
        "schema_version": 1,
        "created": created,
        "command": "run",
        "environment": dict(ENVIRONMENT),
        "run": {"profile": "quick", "device": "cpu", "impls": list(impls[2:])},
        "peak": [
            {
                "device": "cpu",
                "dtype": "float32",
                "size": 1024,
                "gflops": 190.0,
                "median_s": 0.0113,
                "samples_s": [],
            }
        ],
        "conformance": [conformance_report(spec, failing.get(spec, ())) for spec in impls],
        "stability": stability_section(),
        "gates": gates_section(),
        "benchmarks": [
            bench_record("torch-native", native_s),
            bench_record("torch-ref", native_s * 1.4, iqr_fraction=0.2),
        ],
    }
