"""The repository stands alone: a copy of its tracked files, with nothing beside it, passes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.split("\0") if name]


def test_no_code_or_test_opens_a_path_above_the_repository() -> None:
    """Paths are built from this checkout's own root; none climbs out of it."""
    climbing = re.compile(r"parents\[[3-9]\]|parent\.parent\.parent")
    for name in _tracked():
        if name.endswith(".py"):
            assert not climbing.search((ROOT / name).read_text()), name


@pytest.mark.slow
def test_a_copy_alone_passes_the_data_driven_tests(tmp_path: Path) -> None:
    """What a fresh clone has: the tracked files only, in a folder with nothing beside it."""
    clone = tmp_path / "alone" / "symderiv"
    for name in _tracked():
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    env = {**os.environ, "PYTHONPATH": str(clone)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "tests/test_oracle.py", "tests/test_functions.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
