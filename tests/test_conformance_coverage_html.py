"""The HTML report shows the coverage table and the unsupported status from a saved check run."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from lstm_bench.cli import main


@pytest.mark.usefixtures("impls_on_path")
def test_report_shows_coverage_and_unsupported(tmp_path: Path) -> None:
    results, page = tmp_path / "check.json", tmp_path / "report.html"
    spec = "broken.capability_bugs:DeclaresNoUnbatched"
    checks = ["--check", "equivalence.unbatched", "--check", "equivalence.zero_state"]
    assert main(["check", "--impl", spec, "--profile", "quick", *checks, "--json", str(results)]) == 0
    assert main(["report", str(results), "-o", str(page)]) == 0
    text = html.unescape(page.read_text())
    assert f'Coverage of <span class="mono">{spec}</span>' in text
    assert "unsupported (declared)" in text
    assert "equivalence.unbatched: unsupported" in text
    assert "1/1 checks passed, 1 unsupported" in text
    assert "layouts: module default batch_first=False" in text
