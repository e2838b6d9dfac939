"""``lstm-bench report`` and the usage errors of ``lstm-bench run``: one line, exit 2, before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import report_docs as docs
from report_html import parse_strict

from lstm_bench.cli import main


def _write(path: Path, document: dict[str, object]) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_report_renders_saved_results_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _write(tmp_path / "before.json", docs.document(native_s=0.08))
    after = _write(tmp_path / "after.json", docs.document(native_s=0.06))
    out = tmp_path / "out.html"
    assert main(["report", str(before), str(after), "-o", str(out)]) == 0
    html = out.read_text()
    assert parse_strict(html).errors == []
    assert "side by side: before · after" in html
    assert "2 inputs" in capsys.readouterr().out


def test_report_exits_1_when_an_input_failed_nothing(tmp_path: Path) -> None:
    failing = _write(tmp_path / "results.json", docs.document(failing={"torch.nn:LSTM": ("causality",)}))
    assert (
        main(["report", str(failing), "-o", str(tmp_path / "r.html")]) == 0
    )  # rendering a failure is not an error
    assert "FAILED conformance: torch.nn:LSTM" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "lstm-bench.results", "schema_version": 99}', "schema version 99"),
        ("[1, 2]", "not an lstm-bench results file"),
    ],
)
def test_report_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["report", str(bad), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command", ["report", "compare"])
def test_an_output_that_is_an_input_or_a_folder_is_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    results = _write(tmp_path / "results.json", docs.document(native_s=0.08))
    before = results.read_text()
    inputs = [str(results)] if command == "report" else [str(results), str(results)]
    flag = "-o" if command == "report" else "--output"
    assert main([command, *inputs, flag, str(results)]) == 2
    captured = capsys.readouterr()
    assert "is one of the inputs; it would be overwritten" in captured.err and captured.out == ""
    assert results.read_text() == before
    assert (
        main([command, *inputs, flag, str(tmp_path)]) == 2
    )  # a folder: found before the comparison is printed
    captured = capsys.readouterr()
    assert ": is a directory" in captured.err and captured.out == ""
    assert main([command, *inputs, flag, ""]) == 2
    assert "--output: empty path" in capsys.readouterr().err


def test_a_foreign_schema_is_named_in_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = _write(tmp_path / "other.json", {"schema": "lstm-bench/999", "benchmarks": {}})
    assert main(["report", str(other), "-o", str(tmp_path / "r.html")]) == 2
    assert "its schema is 'lstm-bench/999', not 'lstm-bench.results'" in capsys.readouterr().err
    bare = _write(tmp_path / "bare.json", {"benchmarks": {}})
    assert main(["report", str(bare), "-o", str(tmp_path / "r.html")]) == 2
    assert "no 'schema' key" in capsys.readouterr().err


def test_report_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "no_such_module_xyz:LSTM"], "no_such_module_xyz"),
        (["--kind", "transformer"], "unknown kind"),
        (["--profile", "huge"], "invalid choice"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
    ],
)
def test_run_usage_errors_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = main(["run", "--out", str(tmp_path / "reports"), *args])
    except SystemExit as exc:  # argparse's own errors exit from the parser
        code = int(exc.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_run_unwritable_out_is_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["run", "--out", str(blocker / "reports")]) == 2
    assert "cannot write reports there" in capsys.readouterr().err


def _no_work(*args: object, **kwargs: object) -> object:
    raise AssertionError("the pipeline started although an input was bad")


def test_run_out_where_no_file_can_be_created_is_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission bits are not asked (root passes them): a probe file must be creatable there."""
    import os

    monkeypatch.setattr("lstm_bench.orchestration.pipeline.run_pipeline", _no_work)
    if os.path.isdir("/proc/self"):  # a folder in which nobody, root included, can create a file
        assert main(["run", "--profile", "quick", "--out", "/proc/self/lstm-bench-reports"]) == 2
        err = capsys.readouterr().err
        assert "cannot write reports there" in err and len(err.strip().splitlines()) == 1
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.geteuid() != 0:  # root writes into 0o555 folders: nothing to refuse then
            assert main(["run", "--out", str(locked / "reports")]) == 2
            assert "cannot write reports there" in capsys.readouterr().err
        assert not list(locked.iterdir())  # the probe never stays behind
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("content", [None, "{not json", '{"schema": "something-else"}'])
def test_run_unreadable_baseline_is_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, content: str | None
) -> None:
    monkeypatch.setattr("lstm_bench.orchestration.pipeline.run_pipeline", _no_work)
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content)
    assert main(["run", "--out", str(tmp_path / "reports"), "--baseline", str(baseline)]) == 2
    err = capsys.readouterr().err
    assert "baseline.json" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "reports").exists()


def test_run_bad_impl_or_workers_is_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lstm_bench.orchestration.pipeline.run_pipeline", _no_work)
    out = ["--out", str(tmp_path / "reports")]
    assert main(["run", *out, "--impl", "torch.nn:LSTM", "--impl", "torch.nn:NoSuchCell"]) == 2
    assert "NoSuchCell" in capsys.readouterr().err
    assert main(["run", *out, "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["run", *out, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "give one of them" in capsys.readouterr().err


def test_run_cuda_without_cuda_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here: --device cuda is valid")
    assert main(["run", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_report_reads_pytest_benchmark_json(tmp_path: Path) -> None:
    """A ``--benchmark-json`` file renders as a benchmarks section (names kept, times from the raw data)."""
    data = {
        "machine_info": {
            "node": "laptop",
            "cpu": {"brand_raw": "Test CPU", "count": 8},
            "python_version": "3.11.7",
        },
        "commit_info": {"id": "abc123"},
        "datetime": "2025-11-25T10:00:00",
        "version": "5.1.0",
        "benchmarks": [
            {
                "name": "test_<lstm>",
                "fullname": "suites/bench.py::test_<lstm>",
                "extra_info": {},
                "stats": {"data": [0.010, 0.011, 0.012], "iterations": 1, "rounds": 3, "median": 0.011},
            }
        ],
    }
    source = _write(tmp_path / "bench.json", data)
    out = tmp_path / "r.html"
    assert main(["report", str(source), "-o", str(out)]) == 0
    html = out.read_text()
    assert parse_strict(html).errors == []
    assert "suites/bench.py::test_&lt;lstm&gt;" in html and "11.0 ms" in html
    assert "Test CPU" in html
