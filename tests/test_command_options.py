"""The checks every command makes of its --device and output paths before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_bench.cli import main
from lstm_bench.commands._options import check_device, check_writable
from lstm_bench.errors import UsageError


def test_a_json_path_that_is_a_folder_or_under_a_file_is_refused(tmp_path: Path) -> None:
    check_writable("--json", tmp_path / "new" / "out.json")  # a folder that does not exist yet is fine
    with pytest.raises(UsageError, match=r"--json .*: is a directory"):
        check_writable("--json", tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match=r"cannot write a file there .*is not a folder"):
        check_writable("--json", tmp_path / "file" / "out.json")
    with pytest.raises(UsageError, match=r"--out .*: cannot write reports there"):
        check_writable("--out", tmp_path / "file" / "reports", folder=True)


def test_unknown_devices_are_refused_and_auto_passes() -> None:
    check_device("cpu")
    check_device("auto")
    with pytest.raises(UsageError, match="--device tpu: unknown device"):
        check_device("tpu")


def test_bench_refuses_an_unwritable_json_before_timing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--json", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "is a directory" in captured.err and len(captured.err.strip().splitlines()) == 1
