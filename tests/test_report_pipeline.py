"""``lstm-bench run``'s pipeline: report folders are published atomically, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import report_docs as docs

from lstm_bench.cli import main
from lstm_bench.formatting import fmt_clock
from lstm_bench.orchestration import publish
from lstm_bench.orchestration.context import Phase, PhaseOutput, PhaseUnavailable, RunContext, RunOptions
from lstm_bench.orchestration.pipeline import run_pipeline
from lstm_bench.progress import PhaseProgress

ENV = docs.ENVIRONMENT


@pytest.fixture(autouse=True)
def _fixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No torch import or git call for the environment: these tests are about files."""
    monkeypatch.setattr("lstm_bench.environment.capture_environment", lambda: dict(ENV))


def _conformance(failing: tuple[str, ...] = ()) -> Phase:
    def run(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
        progress.update(0, total=2)
        progress.advance(2)
        report = docs.conformance_report("torch.nn:LSTM", failing)
        return PhaseOutput({"conformance": [report]}, "checked", failed=bool(failing))

    return Phase("conformance", run)


def _interrupt(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    progress.update(1, total=3)
    raise KeyboardInterrupt


def _unavailable(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    raise PhaseUnavailable("not installed")


def _crash(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    raise RuntimeError("boom")


def _entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def _run(root: Path, phases: list[Phase], stamp: str) -> Any:
    return run_pipeline(
        RunOptions(out=root, profile="quick"), phases=phases, stream=io.StringIO(), stamp=stamp
    )


def test_run_publishes_results_and_report_and_points_latest(tmp_path: Path) -> None:
    outcome = _run(tmp_path, [_conformance()], "2025-01-01T00-00-00Z")
    assert outcome.exit_code == 0
    assert _entries(tmp_path) == ["2025-01-01T00-00-00Z", "latest"]
    assert (tmp_path / "latest").is_symlink() and publish.resolve_latest(tmp_path) == outcome.folder.resolve()
    results = json.loads((outcome.folder / "results.json").read_text())
    assert results["command"] == "run" and results["conformance"][0]["spec"] == "torch.nn:LSTM"
    assert [p["name"] for p in results["run"]["phases"]] == ["conformance"]
    assert "<!DOCTYPE html>" in (outcome.folder / "index.html").read_text()


def test_ctrl_c_mid_run_keeps_previous_report_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    first = _run(tmp_path, [_conformance()], "2025-01-01T00-00-00Z")
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, [_conformance(), Phase("stability", _interrupt)], "2025-01-02T00-00-00Z")
    assert _entries(tmp_path) == ["2025-01-01T00-00-00Z", "latest"]
    assert publish.resolve_latest(tmp_path) == first.folder.resolve()
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before


def test_ctrl_c_while_writing_removes_the_partial_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(tmp_path, [_conformance()], "2025-01-01T00-00-00Z")
    written: list[str] = []
    real = publish._write_synced

    def write_then_interrupt(path: Path, text: str) -> None:
        real(path, text)
        written.append(path.name)
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "_write_synced", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, [_conformance()], "2025-01-02T00-00-00Z")
    assert written == ["results.json"]  # interrupted with one file of two written
    assert _entries(tmp_path) == ["2025-01-01T00-00-00Z", "latest"]
    assert publish.resolve_latest(tmp_path) == first.folder.resolve()


def test_cli_reports_interrupt_with_exit_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("lstm_bench.orchestration.phases.PHASES", (Phase("conformance", _interrupt),))
    assert main(["run", "--profile", "quick", "--device", "cpu", "--out", str(tmp_path)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _entries(tmp_path) == []


def test_failed_check_exits_1_and_unavailable_or_crashed_phases_are_recorded(tmp_path: Path) -> None:
    phases = [_conformance(("equivalence",)), Phase("stability", _unavailable), Phase("benchmarks", _crash)]
    outcome = _run(tmp_path, phases, "2025-01-01T00-00-00Z")
    assert outcome.exit_code == 1
    status = {p["name"]: (p["status"], p["summary"]) for p in outcome.document["run"]["phases"]}
    assert status == {
        "conformance": ("failed", "checked"),
        "stability": ("skipped", "not installed"),
        "benchmarks": ("error", "RuntimeError: boom"),
    }


def test_two_runs_in_the_same_second_get_distinct_folders(tmp_path: Path) -> None:
    a = _run(tmp_path, [_conformance()], "2025-01-01T00-00-00Z")
    b = _run(tmp_path, [_conformance()], "2025-01-01T00-00-00Z")
    assert a.folder != b.folder and b.folder.name == "2025-01-01T00-00-00Z-2"
    assert publish.resolve_latest(tmp_path) == b.folder.resolve()


def test_latest_txt_where_symlinks_are_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError("symlinks not supported")

    monkeypatch.setattr(publish.os, "symlink", no_symlinks)
    folder = publish.publish_report(tmp_path, {"index.html": "<!DOCTYPE html>"}, "2025-01-01T00-00-00Z")
    assert (tmp_path / "latest.txt").read_text() == "2025-01-01T00-00-00Z\n"
    assert publish.resolve_latest(tmp_path) == folder


def test_a_real_folder_named_latest_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "latest").mkdir()
    with pytest.raises(publish.UsageError, match="not a symlink"):
        publish.publish_report(tmp_path, {"a.txt": "x"}, "s")


def test_progress_line_shows_bar_count_and_eta() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = PhaseProgress("bench", 4, stream=stream, clock=lambda: now[0], interactive=True)
    now[0] += 10.0
    progress.update(1, note="lstm")
    assert progress.eta() == pytest.approx(30.0)
    line = progress.line()
    assert "bench" in line and "1/4" in line and "0:10" in line and "ETA 0:30" in line and "lstm" in line
    progress.finish("done")
    assert stream.getvalue().endswith("✓ bench          10.0 s  done\n")
    assert fmt_clock(3725) == "1:02:05"


def test_progress_is_quiet_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = PhaseProgress("gates", 2, stream=stream, interactive=False)
    progress.advance(1)
    progress.finish("ok")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("▶ gates") and lines[1].startswith("✓ gates")


def test_parallel_phases_use_the_scaleout_executor() -> None:
    """Conformance and the sweep run on scale-out's executors (one job runner for every command)."""
    from lstm_bench.orchestration.context import RUN_SIZES
    from lstm_bench.orchestration.phases import _executor
    from lstm_bench.scaleout.executors import LocalPool

    def ctx(**options: Any) -> RunContext:
        return RunContext(RunOptions(**options), RUN_SIZES["quick"], {})

    pool = _executor(ctx(workers=2), jobs=5)
    assert isinstance(pool, LocalPool) and pool.workers == 2 and pool.threads == 1
    pool.shutdown()
    assert _executor(ctx(workers=1), jobs=5) is None  # one worker: every job runs here
    assert _executor(ctx(workers=2), jobs=1) is None
    assert _executor(ctx(workers=2, device="cuda"), jobs=5) is None  # one device, one process


@pytest.mark.parametrize("profile", ["quick", "default", "full"])
def test_run_sweeps_are_budgeted_in_steps_with_the_wall_clock_only_a_cap(
    monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    """The run's sweep is ``stability.budgets.RUN_SWEEPS[profile]``: a binding step budget on one thread."""
    from lstm_bench.orchestration.context import RUN_SIZES
    from lstm_bench.orchestration.phases import stability_phase
    from lstm_bench.stability.budgets import RUN_SWEEPS

    seen: list[Any] = []

    class Stop(Exception):
        pass

    def capture(plan: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(plan)
        raise Stop

    monkeypatch.setattr("lstm_bench.stability.sweep.run_sweep", capture)
    ctx = RunContext(RunOptions(profile=profile, workers=1), RUN_SIZES[profile], {})
    with pytest.raises(Stop):
        stability_phase(ctx, PhaseProgress("stability", 0, stream=io.StringIO()))
    (plan,) = seen
    sweep = RUN_SWEEPS[RUN_SIZES[profile].sweep]
    assert plan.profile == sweep and plan.config.max_steps == sweep.max_steps < 10_000
    assert plan.config.threads == 1
    # the cap is a safety net: at least 10 ms a step at the longest horizon (several times a calm step)
    assert plan.config.max_seconds >= sweep.max_steps * 0.01


def test_every_impl_is_loaded_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The phases share the run's loaded --impl implementations; none loads one again."""
    import lstm_bench.loader
    from lstm_bench.kinds import Kind
    from lstm_bench.orchestration.context import RUN_SIZES
    from lstm_bench.orchestration.phases import _kinds, implementations

    real = lstm_bench.loader.load_impl
    loads: list[str] = []

    def counting(spec: str, *args: Any, **kwargs: Any) -> Any:
        loads.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(lstm_bench.loader, "load_impl", counting)
    ctx = RunContext(RunOptions(impls=("torch.nn:GRU",), profile="quick"), RUN_SIZES["quick"], {})
    assert implementations(ctx)[-1] == ("torch.nn:GRU", "gru")
    assert _kinds(ctx) == [Kind.LSTM, Kind.GRU] and _kinds(ctx) == [Kind.LSTM, Kind.GRU]
    assert loads == ["torch.nn:GRU"]
    preloaded = RunContext(
        RunOptions(impls=("torch.nn:GRU",), loaded=ctx.impls), RUN_SIZES["quick"], {}, ctx.impls
    )
    assert implementations(preloaded)[-1] == ("torch.nn:GRU", "gru") and loads == ["torch.nn:GRU"]


@pytest.mark.parametrize("fails", [False, True])
def test_a_benchmark_workload_that_raised_fails_the_run_phase(
    monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    """bench exits 1 on a workload that raised; so does run's benchmark phase, naming the first one."""
    from types import SimpleNamespace

    from lstm_bench.bench.records import BenchmarkRecord
    from lstm_bench.bench.workloads import Case, Workload
    from lstm_bench.kinds import Kind
    from lstm_bench.orchestration.context import RUN_SIZES
    from lstm_bench.orchestration.phases import bench_phase

    case = Case(Kind.LSTM, Workload.FORWARD, 8, 8, 2, 3, "float32")
    records = [
        BenchmarkRecord.for_case("torch-native", case, "cpu", samples_s=(1e-3, 1e-3), calls_per_round=1)
    ]
    if fails:
        reason = "workload raised RuntimeError: kernel exploded"
        records.append(BenchmarkRecord.for_case("torch-ref", case, "cpu", status="error", reason=reason))
    fake = SimpleNamespace(records=records, peaks=[], sections=lambda: {"benchmarks": []})
    monkeypatch.setattr("lstm_bench.bench.run_benchmarks", lambda *a, **k: fake)
    ctx = RunContext(RunOptions(profile="quick"), RUN_SIZES["quick"], {})
    output = bench_phase(ctx, PhaseProgress("benchmarks", 0, stream=io.StringIO()))
    assert output.failed is fails
    assert (
        "1 FAILED, e.g. torch-ref torch-ref/lstm/forward/float32/I8-H8-B2-T3/cpu" in output.summary
    ) is fails
    assert ("kernel exploded" in output.summary) is fails
