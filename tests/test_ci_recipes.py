"""The CI recipes of docs/ci.md, run as written: the script block is extracted from the doc and run
on a temporary user project (git repository with a main branch and a pull request, no network).

The "remote" is a local bare repository, so ``origin/main`` exists exactly as after a CI
checkout with full history; the user package is importable through PYTHONPATH, as a
non-editable ``pip install .`` would make it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ci.md"
EXAMPLE = ROOT / "examples" / "mylstm" / "src" / "mylstm" / "cells.py"
SECTION = "## CI recipes to copy"

USER_TEST = """
from lstm_bench.testing import parametrize_with_checks

from mypkg.cells import LoopLSTM


@parametrize_with_checks([LoopLSTM], checks=["equivalence.zero_state"])
def test_conformance(impl, check):
    check(impl)
"""


def recipe_blocks() -> dict[str, str]:
    """The fenced code blocks of the recipes section, keyed by their first line (a '# path' comment)."""
    section = DOC.read_text(encoding="utf-8").split(SECTION, 1)[1]
    blocks = re.findall(r"```(?:bash|yaml)\n(.*?)```", section, flags=re.S)
    return {block.splitlines()[0].lstrip("# ").split(":")[0]: block for block in blocks}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.invalid",
           "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.invalid"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def make_project(tmp_path: Path, script: str) -> Path:
    """A user project on main (correct LoopLSTM) with a pull request checked out that breaks the forget gate."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--bare", "-q", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(work))
    package = work / "src" / "mypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .cells import LoopLSTM\n")
    shutil.copy(EXAMPLE, package / "cells.py")
    (work / "tests").mkdir()
    (work / "tests" / "test_cells.py").write_text(USER_TEST)
    (work / "ci").mkdir()
    (work / "ci" / "lstm-bench.sh").write_text(script)
    git(work, "checkout", "-q", "-b", "main")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "LoopLSTM")
    git(work, "push", "-q", "origin", "main")
    git(work, "checkout", "-q", "-b", "pr")
    cells = package / "cells.py"
    correct = "torch.sigmoid(f) * c + "
    assert correct in cells.read_text()
    cells.write_text(cells.read_text().replace(correct, "(1 - torch.sigmoid(f)) * c + "))
    git(work, "commit", "-q", "-am", "a planted regression: the forget gate used as 1 - f")
    return work


def test_the_recipes_call_the_script_upload_the_report_and_post_the_comment() -> None:
    yaml = pytest.importorskip("yaml")
    blocks = recipe_blocks()
    assert {"ci/lstm-bench.sh", ".github/workflows/lstm-bench-pr.yml", ".gitlab-ci.yml"} <= set(blocks)
    github = yaml.safe_load(blocks[".github/workflows/lstm-bench-pr.yml"])
    steps = github["jobs"]["lstm-bench"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "bash ci/lstm-bench.sh" in runs and "--body-file comment.md" in runs
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and "report/" in uploads[0]["with"]["path"]
    assert steps[0]["with"]["fetch-depth"] == 0
    gitlab = yaml.safe_load(blocks[".gitlab-ci.yml"])["lstm-bench"]
    script = "\n".join(gitlab["script"])
    assert "bash ci/lstm-bench.sh" in script and "body@comment.md" in script and "exit $status" in script
    assert "report/" in gitlab["artifacts"]["paths"] and gitlab["artifacts"]["when"] == "always"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")
def test_the_documented_script_gates_a_planted_regression_on_a_user_project(tmp_path: Path) -> None:
    script = recipe_blocks()["ci/lstm-bench.sh"]
    work = make_project(tmp_path, script)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CI", "PYTHONPATH")},
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),  # this venv's python and lstm-bench
        "PYTHONPATH": str(work / "src"),  # what `pip install .` would do
        "IMPL": "mypkg.cells:LoopLSTM",
        "PROFILE": "quick",
        "MIN_TIME": "0.02",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    done = subprocess.run(
        ["bash", "ci/lstm-bench.sh"], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-4000:]  # the planted bug: failing checks, a regression
    assert "Traceback" not in output
    assert "1 failed" in done.stdout  # the user's own test caught it too
    comment = (work / "comment.md").read_text()
    assert comment.startswith("### lstm-bench: `mypkg.cells:LoopLSTM` against `origin/main`")
    assert "equivalence.zero_state" in comment and "|" in comment  # conformance regression, markdown tables
    assert "mypkg_base.cells:LoopLSTM" in comment  # the interleaved A/B against the base branch's copy
    html = (work / "report" / "index.html").read_text()
    assert "<html" in html.lower() and "mypkg.cells:LoopLSTM" in html
    for name in ("check.json", "base-check.json", "ab.json"):
        assert (work / "results" / name).stat().st_size > 0
    assert not (work / ".lstm-bench" / "checkout").exists()  # the worktree is cleaned up
