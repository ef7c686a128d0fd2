"""Adding an activation is adding one record: with swish written into the function table, and no
other edit, every command works with it, and its gradients are right."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SWISH = '''
    Function(
        name="swish",
        title="swish",
        text="swish",
        latex=r"\\operatorname{swish}",
        definition=lambda f, z: z * f.sigmoid(z),
        derivative=lambda f, z: f.sigmoid(z) + z * f.sigmoid(z) * (1 - f.sigmoid(z)),
        mpmath=lambda mp, x: x / (1 + mp.exp(-x)),
        float64=lambda np, z: z * np.exp(-np.logaddexp(0.0, -z)),
        code='"""swish(z) = z·σ(z)."""\\nreturn z * np.exp(-np.logaddexp(0.0, -z))',
        derived_by=DerivedBy.DEFINITION,
        recognise=((lambda f, z: 1 / (1 + f.exp(-z)), lambda f, z: f.sigmoid(z)),),
        recognise_reason="recognise sigmoid",
        activation=True,
        formula=r"\\operatorname{swish}(z) = z\\,\\sigma(z)",
    ),
'''


@pytest.fixture(scope="module")
def with_swish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package whose function table has one record more."""
    root = tmp_path_factory.mktemp("swish")
    shutil.copytree(ROOT / "symderiv", root / "symderiv", ignore=shutil.ignore_patterns("__py*"))
    shutil.copytree(ROOT / "templates", root / "templates")
    table = root / "symderiv" / "core" / "functions.py"
    source = table.read_text()
    anchor = "FUNCTIONS: tuple[Function, ...] = (\n"
    assert source.count(anchor) == 1
    table.write_text(source.replace(anchor, anchor + SWISH))
    return root


def run(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "SOURCE_DATE_EPOCH": "0"}
    return subprocess.run(
        [sys.executable, "-m", "symderiv", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or root,
        timeout=120,
    )


NETWORK = ("--layers", "1-2-1", "--activation", "swish", "--cost", "half_squared_error")


def test_the_help_offers_it(with_swish: Path) -> None:
    out = run(with_swish, "derive", "--help").stdout
    assert "swish" in out


def test_derive_and_steps(with_swish: Path) -> None:
    derived = run(with_swish, "derive", *NETWORK, "--param", "w1_1_1")
    assert derived.returncode == 0, derived.stderr
    assert "swish" in derived.stdout
    steps = run(with_swish, "steps", "swish(z)", "--format", "json")
    assert steps.returncode == 0, steps.stderr
    tree = json.loads(steps.stdout)
    assert tree["rule"] == "swish" and "sigmoid(z)" in tree["result"]


def test_gradients_agree_with_finite_differences_and_generated_code_runs(
    with_swish: Path, tmp_path: Path
) -> None:
    checked = run(with_swish, "gradcheck", *NETWORK)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASS" in checked.stdout
    module = tmp_path / "net.py"
    generated = run(with_swish, "codegen", *NETWORK, "--out", str(module))
    assert generated.returncode == 0, generated.stderr
    assert "def swish(z):" in module.read_text()
    example = run(with_swish, "example", *NETWORK, "--json")
    assert example.returncode == 0, example.stderr
    numbers = json.loads(example.stdout)
    # The generated module, fed the example's parameters, gives the example's gradients.
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import net; "
        "from symderiv.core.spec import NetworkSpec; from symderiv.api import derive; "
        "from symderiv.numbers.values import resolve_values, value_lists; "
        "b = derive(layers=(1, 2, 1), hidden_activation='swish', cost='half_squared_error'); "
        "v = resolve_values(b.network); "
        "g = {k: json.loads(json.dumps(l, default=float)) "
        "for k, l in value_lists(b.network, v.point).items()}; "
        "J, dW, db = net.gradients(g['x'], g['y'], g['W'], g['b']); "
        "print(json.dumps([float(J), [[list(map(float, r)) for r in l] for l in dW]]))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(with_swish)},
        cwd=with_swish,
    )
    assert ran.returncode == 0, ran.stderr
    cost, d_w = json.loads(ran.stdout)
    assert cost == pytest.approx(float(numbers["J"]), rel=1e-9)
    flat = [v for layer in d_w for row in layer for v in row]
    want = [float(v) for layer in numbers["dJ_dW"] for row in layer for v in row]
    assert flat == pytest.approx(want, rel=1e-9)


def test_check_reads_its_prime_and_handout_compiles(with_swish: Path, tmp_path: Path) -> None:
    spec = ("--layers", "1-1-1", "--output-activation", "swish")
    verdict = run(with_swish, "check", "2*(yhat - y)*swish'(z2)*a1", "--param", "w2", *spec)
    assert verdict.returncode == 0 and verdict.stdout.startswith("correct"), verdict.stdout
    wrong = run(with_swish, "check", "2*(yhat - y)*sigmoid'(z2)*a1", "--param", "w2", *spec)
    assert wrong.returncode == 1 and wrong.stdout.startswith("incorrect"), wrong.stdout
    out = tmp_path / "notes"
    formats = "md,tex,pdf" if shutil.which("pdflatex") else "md,tex"
    written = run(with_swish, "handout", *spec, "--out", str(out), "--format", formats)
    assert written.returncode == 0, written.stderr
    assert r"\operatorname{swish}" in (out / "handout.tex").read_text()
