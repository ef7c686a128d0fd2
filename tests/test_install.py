"""The built wheel installs and runs on its own, away from the source tree.

The editable install used for development hides packaging mistakes: templates read from the
repository, a console script that points at a missing module. This builds the wheel the way
`pip install .` does, installs it into a fresh virtual environment and runs it from elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # must not put the source tree back on the path
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _check(proc: subprocess.CompletedProcess[str], what: str) -> str:
    assert proc.returncode == 0, (
        f"{what} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n"
        f"stderr:\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, venv): the project's wheel, installed without deps into a fresh venv.

    The build is isolated, as for a user's `pip install .`, so hatchling comes from PyPI; the
    venv borrows sympy, jinja2 and click from the running interpreter's site-packages.
    """
    root = tmp_path_factory.mktemp("install")
    dist = root / "dist"
    _check(
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "-q",
                "-w",
                str(dist),
                str(REPO_ROOT),
            ],
            cwd=root,
        ),
        "pip wheel",
    )
    wheels = sorted(dist.glob("symderiv-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, found {wheels}"
    venv = root / "venv"
    _check(
        _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], cwd=root),
        "python -m venv",
    )
    python = venv / "bin" / "python"
    _check(
        _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--ignore-installed",
                "-q",
                str(wheels[0]),
            ],
            cwd=root,
        ),
        "pip install wheel",
    )
    return wheels[0], venv


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_holds_only_the_package_and_its_metadata(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    tops = {name.split("/", 1)[0] for name in _wheel_names(wheel)}
    assert "templates" not in tops, "templates/ must be installed inside the package"
    extra = {t for t in tops if t != "symderiv" and not t.endswith(".dist-info")}
    assert not extra, f"unexpected top-level entries in the wheel: {sorted(extra)}"


def test_wheel_ships_the_templates(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    repo_templates = sorted(
        p.relative_to(REPO_ROOT / "templates").as_posix()
        for p in (REPO_ROOT / "templates").rglob("*")
        if p.is_file()
    )
    if not repo_templates:
        pytest.xfail("templates/ in the repository has no files yet: nothing to ship")
    shipped = {
        name.removeprefix("symderiv/templates/")
        for name in _wheel_names(wheel)
        if name.startswith("symderiv/templates/") and not name.endswith("/")
    }
    missing = [t for t in repo_templates if t not in shipped]
    assert not missing, f"templates missing from the wheel: {missing}"


def test_venv_imports_the_installed_copy(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    code = (
        "import importlib.resources, symderiv\n"
        "print(symderiv.__file__)\n"
        "print(importlib.resources.files('symderiv').joinpath('templates').is_dir())\n"
    )
    out = _check(_run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path), "import")
    module_file, templates_dir = out.strip().splitlines()
    module_path = Path(module_file).resolve()
    assert module_path.is_relative_to(venv.resolve()), (
        f"symderiv was imported from {module_path}, not from the venv: the editable install "
        "shadows the wheel"
    )
    assert not module_path.is_relative_to(REPO_ROOT)
    assert templates_dir == "True", "symderiv/templates is not a directory in the installed package"


def test_console_script_runs(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    script = venv / "bin" / "symderiv"
    assert script.is_file(), "the wheel installed no `symderiv` command"
    out = _check(_run([str(script), "--help"], cwd=tmp_path), "symderiv --help")
    assert "Usage" in out


def test_module_entry_point_runs(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    out = _check(
        _run([str(venv / "bin" / "python"), "-m", "symderiv", "--help"], cwd=tmp_path),
        "python -m symderiv --help",
    )
    assert "Usage" in out
