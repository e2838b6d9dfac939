"""Atomic writes leave either the old file or the new one, never half; bad folders are usage errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lstm_bench.atomic import write_json_atomic, write_text_atomic
from lstm_bench.errors import UsageError


def test_replaces_whole_file_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "r.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2, "nan": math.nan, "inf": [math.inf, -math.inf]})
    assert json.loads(target.read_text()) == {"a": 2, "nan": "NaN", "inf": ["Infinity", "-Infinity"]}
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_failure_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    write_text_atomic(target, "old")

    class Boom:
        def __str__(self) -> str:
            raise KeyboardInterrupt

    with pytest.raises(TypeError):
        write_json_atomic(target, {"x": object()})
    assert target.read_text() == "old"
    assert len(list(tmp_path.iterdir())) == 1


def test_unwritable_folder_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write"):
        write_text_atomic(blocker / "out.json", "data")
