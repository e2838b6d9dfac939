"""Machine-load sampling and its warning (other load spoils timings)."""

from __future__ import annotations

from lstm_bench.bench.load import BUSY_WARNING, MachineLoad, machine_load


def test_warning_follows_the_busy_fraction_then_the_load_average() -> None:
    busy = MachineLoad((0.1, 0.1, 0.1), BUSY_WARNING + 0.01, 2)
    assert busy.warning() is not None and "26% of 2 cores" in busy.warning()  # type: ignore[operator]
    assert "after the run" in (busy.warning("after the run") or "")
    assert MachineLoad((9.0, 9.0, 9.0), BUSY_WARNING - 0.01, 2).warning() is None  # busy fraction wins
    assert MachineLoad((1.5, 1.0, 1.0), None, 2).warning() is not None  # no /proc/stat: load average
    assert MachineLoad((0.5, 1.0, 1.0), None, 2).warning() is None
    assert MachineLoad(None, None, 2).warning() is None


def test_machine_load_samples_this_machine() -> None:
    load = machine_load(0.01)
    assert load.cpu_count >= 1
    assert load.cpu_busy is None or 0.0 <= load.cpu_busy <= 1.0
    assert set(load.to_dict()) == {"load_average", "cpu_busy", "cpu_count"}
