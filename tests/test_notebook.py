"""Notebook display: derivations show themselves as rendered math, and the example notebook runs.

The example is executed in a real Jupyter kernel (nbclient and ipykernel, from the `test` extra);
its rich outputs must carry the math, and every formula in them must render with KaTeX.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import symderiv
from symderiv.api import render_derivation, render_steps
from symderiv.core.spec import NetworkSpec
from tests import realtools

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "backprop.ipynb"
KERNEL_TIMEOUT_S = 180


def test_a_derivation_shows_itself_as_markdown_math() -> None:
    backprop = symderiv.derive()
    shown = backprop._repr_markdown_()
    assert shown == render_derivation(NetworkSpec(), "all", "markdown")
    assert r"\boxed{\delta_{2} = \frac{\partial J}{\partial z_{2}}" in shown
    wide = symderiv.derive(layers=(2, 3, 2))._repr_markdown_()
    assert "The layer equations" in wide and r"\delta^{(1)}_{3}" in wide


def test_a_gradient_shows_its_own_derivation() -> None:
    spec = NetworkSpec(cost="binary_cross_entropy")
    gradient = symderiv.derive(spec).gradient("w1")
    shown = gradient._repr_markdown_()
    assert shown == render_derivation(spec, "w1", "markdown")
    assert "Gradient with respect to $w_{1}$" in shown
    assert r"\frac{\partial J}{\partial w_{1}}" in shown


def test_a_step_tree_shows_each_rule() -> None:
    step = symderiv.steps("ln(2 + cos(x))")
    shown = step._repr_markdown_()
    assert shown == render_steps(step, "markdown")
    assert r"\frac{d}{d x} \ln{\left(2 + \cos{\left(x \right)} \right)}" in shown
    assert "**chain rule:**" in shown and "**logarithm rule:**" in shown
    # A substep shows itself too: the tree is the same data at every level.
    assert "**sum rule:**" in step.substeps[1]._repr_markdown_()


def test_plain_text_stays_short_in_a_notebook() -> None:
    pretty = pytest.importorskip("IPython.lib.pretty").pretty
    backprop = symderiv.derive(layers=(2, 3, 2))
    assert pretty(backprop) == "<back-propagation of the 2-3-2 network: 5 deltas, 17 gradients>"
    assert pretty(backprop.gradient("w2_1_3")) == "∂J/∂w2_1_3 = a1_3*delta2_1"


def test_the_steps_command_and_the_api_say_the_same() -> None:
    from click.testing import CliRunner

    from symderiv.cli.main import cli

    step = symderiv.steps("sigmoid(w2*a1 + b2)", "w2")
    for fmt in ("latex", "markdown"):
        args = ["steps", "sigmoid(w2*a1 + b2)", "--wrt", "w2", "--format", fmt]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and result.stdout == render_steps(step, fmt)


def test_the_engine_loads_no_renderer() -> None:
    """Displaying imports the renderer when asked; deriving alone never loads it."""
    code = (
        "import sys, symderiv\n"
        "symderiv.derive().gradient('w1'); symderiv.steps('ln(2 + cos(x))')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('symderiv.render', 'jinja2')))\n"
        "print(loaded)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


@pytest.mark.realtool
def test_the_reprs_render_with_katex() -> None:
    backprop = symderiv.derive(layers=(2, 2, 1), hidden_activation="relu")
    realtools.assert_markdown_math_ok(backprop._repr_markdown_())
    realtools.assert_markdown_math_ok(backprop.gradient("w1_2_1")._repr_markdown_())
    realtools.assert_markdown_math_ok(symderiv.steps("x^2 sin(x)")._repr_markdown_())


def _notebook_tools() -> tuple[Any, Any]:
    """nbformat and nbclient; missing, a skip here and a failure under CI (the `test` extra
    installs them there)."""
    try:
        import nbclient
        import nbformat
    except ImportError as error:
        message = f"{error.name} is not installed; install: pip install -e '.[test]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return nbformat, nbclient


@pytest.mark.realtool
def test_the_example_notebook_runs_and_shows_math(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat, nbclient = _notebook_tools()
    # The kernel is this interpreter (jupyter_client runs a `python` kernel spec with
    # sys.executable) and imports this checkout of symderiv.
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    notebook = nbformat.read(EXAMPLE, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=KERNEL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    shown = [
        output["data"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "execute_result"
    ]
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors, errors
    assert len(shown) == 5
    seed, wide, gradient, value, steps = shown
    assert r"\boxed{\delta_{1} = \frac{\partial J}{\partial z_{1}}" in seed["text/markdown"]
    assert seed["text/plain"] == "<back-propagation of the 1-1-1 network: 2 deltas, 4 gradients>"
    assert "The layer equations" in wide["text/markdown"]
    assert r"\tanh" in wide["text/markdown"] and r"\delta^{(1)}_{3}" in wide["text/markdown"]
    assert r"\frac{\partial J}{\partial w_{1}}" in gradient["text/markdown"]
    assert value["text/latex"] == r"$\displaystyle \delta_{1} x$"  # SymPy's own display
    assert r"\frac{d}{d x} \ln{\left(2 + \cos{\left(x \right)} \right)}" in steps["text/markdown"]
    for data in (seed, wide, gradient, steps):
        realtools.assert_markdown_math_ok(data["text/markdown"])
