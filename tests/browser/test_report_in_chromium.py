"""Open a rendered report in real headless Chromium: it loads with no console message, and a screenshot is kept.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it); without it these tests skip
with a reason. Every run gets a fresh profile folder, no network at all (``--host-resolver-rules``
maps every host to nothing) and no background traffic. The screenshot is written to
``reports/browser/report.png`` (a CI artifact) next to the HTML it shows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import report_docs as docs

from lstm_bench.report.render import render_html
from lstm_bench.stability.activations import gate_section

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "reports" / "browser"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?[:\]].*", re.M)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def report_file() -> Path:
    document = docs.document(
        impls=("lstm_bench.reference.torch_ref:LSTM", "torch.nn:LSTM", "<b>mine</b>:LSTM"),
        failing={"<b>mine</b>:LSTM": ("equivalence",)},
    )
    document["gates"] = gate_section(steps=20, batch=8, input_size=8, hidden_size=16)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "index.html"
    path.write_text(render_html([document]), encoding="utf-8")
    return path


def test_report_loads_without_console_messages(report_file: Path, tmp_path: Path) -> None:
    result = _chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert CONSOLE.findall(result.stderr) == []
    dom = result.stdout
    assert "1 of 3 implementations FAILED conformance" in dom  # the page rendered, text intact
    assert dom.count("<svg") >= 4  # gates, gradient norms, recall, benchmarks
    assert "<b>mine</b>" not in dom and "&lt;b&gt;mine&lt;/b&gt;" in dom


def test_sort_script_runs_without_errors(report_file: Path, tmp_path: Path) -> None:
    """Click every sortable header once (by script) and check the page logs nothing."""
    html = report_file.read_text(encoding="utf-8")
    click = "<script>document.querySelectorAll('th.sortable').forEach(function (th) { th.click(); th.click(); });</script>"
    clicked = tmp_path / "clicked.html"
    clicked.write_text(html.replace("</body>", click + "</body>"), encoding="utf-8")
    result = _chromium(tmp_path, "--dump-dom", clicked.as_uri())
    assert result.returncode == 0
    assert CONSOLE.findall(result.stderr) == []
    assert 'aria-sort="descending"' in result.stdout


def test_screenshot_is_saved_as_artifact(report_file: Path, tmp_path: Path) -> None:
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    result = _chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a real picture, not a blank page


def test_console_check_catches_a_script_error(tmp_path: Path) -> None:
    """The check above can fail: a page with a script error is caught."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><title>t</title><script>notDefined();</script>", encoding="utf-8")
    result = _chromium(tmp_path, "--dump-dom", broken.as_uri())
    assert any("notDefined" in line for line in CONSOLE.findall(result.stderr))
