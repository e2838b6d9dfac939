"""The one progress display: what it writes on and off a terminal."""

from __future__ import annotations

import io

from lstm_bench.progress import PhaseProgress


def test_off_a_terminal_only_the_start_and_end_lines_are_written() -> None:
    out = io.StringIO()
    line = PhaseProgress(
        "bench", 5, stream=out, interactive=False, note="timing 5 benchmarks", clock=lambda: 0.0
    )
    line.update(3, note="case 3")
    line.finish("done")
    assert out.getvalue().splitlines() == ["▶ bench …  timing 5 benchmarks", "✓ bench             0 s  done"]


def test_a_silent_progress_writes_nothing_off_a_terminal() -> None:
    out = io.StringIO()
    line = PhaseProgress("check", 4, stream=out, interactive=False, announce=False)
    line.update(2, note="finite: case 2/4")
    line.clear()
    line.finish()
    assert out.getvalue() == ""


def test_on_a_terminal_clear_erases_the_redrawn_line() -> None:
    out = io.StringIO()
    line = PhaseProgress("check", 4, stream=out, interactive=True, announce=False, clock=lambda: 0.0)
    line.update(2, note="finite")
    drawn = out.getvalue()
    assert drawn.startswith("\r") and "2/4" in drawn and "finite" in drawn
    line.clear()
    assert out.getvalue().endswith("\r" + " " * (len(drawn) - 1) + "\r")
