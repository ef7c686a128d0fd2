"""`symderiv derive`: the scalar and matrix forms, each delta once, JSON, and real renderers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.api import render_derivation
from symderiv.cli.main import cli
from symderiv.core import functions
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.render.derive_text import MAX_EXPANDED_GRADIENTS
from tests import realtools
from tests.regen_derive_golden import GOLDEN, golden_texts


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, ["derive", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def chain(depth: int) -> str:
    return "-".join(["1"] * (depth + 1))


@pytest.mark.parametrize("name", sorted(golden_texts()))
def test_golden_derive_output(name: str) -> None:
    """Word for word; regenerate with `python -m tests.regen_derive_golden` and review."""
    assert golden_texts()[name] == (GOLDEN / name).read_text(encoding="utf-8")


def test_chain_networks_default_to_the_scalar_form_and_wide_ones_to_both() -> None:
    assert "layer equations" not in invoke("--param", "w1")
    wide = invoke("--layers", "2-3-2", "--param", "w1_2_1")
    assert wide.startswith("layer equations (matrix form")
    assert "∂J/∂w⁽¹⁾₂₁: weight from input 1 into node 2 of layer 1" in wide
    only = invoke("--layers", "2-3-2", "--form", "matrix")
    assert "BP4  ∂J/∂W⁽¹⁾ = δ⁽¹⁾·xᵀ" in only and "deltas (δ" not in only
    scalar = invoke("--layers", "2-3-2", "--form", "scalar")
    assert "layer equations" not in scalar and "δ⁽¹⁾₃ = ∂J/∂z⁽¹⁾₃" in scalar


def test_every_gradient_shows_each_delta_once_then_the_gradient_in_delta_form() -> None:
    out = invoke("--layers", "2-3-2", "--param", "all", "--form", "scalar")
    lines = out.splitlines()
    backprop = derive(NetworkSpec(layers=(2, 3, 2)))
    for delta in backprop.deltas:
        heads = [line for line in lines if line.startswith(f"  {_text(delta.symbol)} = ∂J/∂")]
        assert len(heads) == 1, delta.symbol
    for gradient in backprop.gradients:
        line = f"  ∂J/∂{_text(gradient.parameter)} = {_text(gradient.value)}"
        assert lines.count(line) == 1, line
    assert out.count("(δ⁽²⁾₁·w⁽²⁾₁₁ + δ⁽²⁾₂·w⁽²⁾₂₁)·a⁽¹⁾₁·(1 − a⁽¹⁾₁)") == 1


def _text(expr: sp.Expr) -> str:
    from symderiv.render.printing import to_text

    return to_text(expr)


def test_every_gradient_of_a_chain_grows_linearly_with_depth() -> None:
    short = invoke("--layers", chain(40), "--param", "all")
    long = invoke("--layers", chain(80), "--param", "all")
    assert 1.9 < len(long.splitlines()) / len(short.splitlines()) < 2.1
    assert long.count("δ₁ = ∂J/∂z₁ = δ₂ · ∂z₂/∂a₁ · ∂a₁/∂z₁ = δ₂·w₂·a₁·(1 − a₁)") == 1


def test_expanded_forms_are_shown_for_small_selections_or_with_expand() -> None:
    depth = MAX_EXPANDED_GRADIENTS // 2 + 1  # two gradients per layer: just over the limit
    plain = invoke("--layers", chain(depth), "--param", "all")
    assert "(in local symbols)" not in plain
    expanded = invoke("--layers", chain(depth), "--param", "all", "--expand")
    assert "  ∂J/∂b₃₃ = δ₃₃\n        = 2·(ŷ − y)·ŷ·(1 − ŷ)    (in local symbols)" in expanded
    assert "(in local symbols)" in invoke("--layers", chain(depth - 1), "--param", "all")
    assert "(in local symbols)" in invoke("--layers", chain(depth), "--param", "w1")


def test_json_gives_every_delta_and_gradient_once_in_plain_names() -> None:
    data = json.loads(invoke("--layers", "2-2-1", "--format", "json"))
    assert data["network"]["layers"] == [2, 2, 1] and data["form"] == "both"
    backprop = derive(NetworkSpec(layers=(2, 2, 1)))
    assert [d["name"] for d in data["deltas"]] == [d.symbol.name for d in backprop.deltas]
    assert [g["name"] for g in data["gradients"]] == [g.parameter.name for g in backprop.gradients]
    names = {s.name: s for s in backprop.network.base_variables}
    names |= {n.a.name: n.a for n in backprop.network.nodes}
    names |= {d.symbol.name: d.symbol for d in backprop.deltas}
    names["sigmoid"] = functions.sigmoid
    for entry, gradient in zip(data["gradients"], backprop.gradients, strict=True):
        recursion = sp.sympify(entry["recursion"], locals=names)
        assert sp.expand(recursion - gradient.value) == 0
        local = sp.sympify(entry["local"], locals=names)
        assert sp.expand(local - backprop.in_local_symbols(gradient)) == 0
        assert entry["delta"] == gradient.delta.symbol.name
    hidden = data["deltas"][-1]
    assert hidden["recursion"] == "delta2_1*w2_1_2*a1_2*(1 - a1_2)"
    bp4 = [eq for eq in data["matrix"]["gradients"] if eq["label"] == "BP4"]
    assert bp4[0]["rhs"] == "delta2*a1.T" and bp4[0]["lhs_shape"]["numbers"] == [1, 2]
    assert bp4[-1]["rhs_shape"] == {"symbolic": ["n_1", "n_0"], "numbers": [2, 2]}


def test_json_for_a_chain_uses_the_chain_names_and_null_when_too_long() -> None:
    data = json.loads(invoke("--layers", chain(40), "--format", "json"))
    assert "matrix" not in data and data["form"] == "scalar"
    first = data["deltas"][0]
    assert first == {
        "name": "delta40",
        "layer": 40,
        "node": 1,
        "recursion": "2*(yhat - y)*yhat*(1 - yhat)",
        "local": None,
    }
    assert all(g["local"] is None and g["base"] is None for g in data["gradients"])
    small = json.loads(invoke("--format", "json", "--form", "both"))
    assert small["gradients"][0]["local"] == "2*(yhat - y)*yhat*(1 - yhat)*w2*a1*(1 - a1)*x"
    assert small["matrix"]["deltas"][0]["rhs"] == "HadamardProduct(dJ_dyhat, sigmoid'(z2))"


def test_a_large_network_in_matrix_form_needs_no_scalar_work() -> None:
    data = json.loads(invoke("--layers", "784-30-10", "--form", "matrix", "--format", "json"))
    assert "deltas" not in data and "gradients" not in data
    weights = data["matrix"]["gradients"][-1]
    assert weights["lhs"] == "dJ_dW1" and weights["rhs_shape"]["numbers"] == [30, 784]
    assert len(data["matrix"]["cost_gradient"]) == 10


def test_training_set_and_weight_decay_in_the_matrix_form() -> None:
    out = invoke("--layers", "2-3-2", "--form", "matrix", "--examples", "4", "--l2", "1/10")
    assert "BP4  ∂J/∂W⁽¹⁾ = (1/m)·Δ⁽¹⁾·Xᵀ + (λ/m)·W⁽¹⁾" in out
    assert "BP3  ∂J/∂b⁽²⁾ = (1/m)·Δ⁽²⁾·1" in out
    assert "J = (1/m)·Σ(i=1…m) Jᵢ + (λ/(2·m))·Σ(l=1…L) ‖W⁽ˡ⁾‖²_F" in out
    assert "shapes: n₁ × m = n₁ × m (3 × 4)" in out and "with λ = 1/10" in out
    single = invoke("--layers", "2-2", "--form", "matrix", "--l2", "1/2")
    assert "BP4  ∂J/∂W⁽¹⁾ = δ⁽¹⁾·xᵀ + λ·W⁽¹⁾" in single


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--form", "matrix", "--param", "w9"], "unknown parameter 'w9'"),
        (["--form", "matrix", "--param", "w_1"], "Did you mean 'w1'?"),
    ],
)
def test_the_matrix_form_still_refuses_an_unknown_parameter(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["derive", *args])
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_api_checks_form_and_format() -> None:
    from symderiv.core.errors import SymderivError

    with pytest.raises(SymderivError, match="unknown form 'matrices'"):
        render_derivation(NetworkSpec(), form="matrices")
    with pytest.raises(SymderivError, match="unknown format 'pdf'"):
        render_derivation(NetworkSpec(), fmt="pdf")


# ---------------------------------------------------------------------------------------------
# Real renderers: pdflatex and KaTeX

MATRIX_SPECS = [
    NetworkSpec(layers=(2, 3, 2)),
    NetworkSpec(layers=(1, 1, 1)),
    NetworkSpec(layers=(3, 2, 2, 1), hidden_activation="relu", cost="binary_cross_entropy"),
    NetworkSpec(layers=(2, 3, 2), examples=4, l2="1/10", cost="abstract"),
    NetworkSpec(layers=(1,) * 9, hidden_activation="tanh", examples=3, l2="1/2"),
    NetworkSpec(layers=(784, 30, 10)),
]
BOTH_SPECS = [NetworkSpec(), NetworkSpec(layers=(2, 2, 1)), NetworkSpec(layers=(2, 2), l2="1/2")]


def compile_fragment(directory: Path, body: str, expect: list[str]) -> None:
    (directory / "body.tex").write_text(body, encoding="utf-8")
    main = directory / "main.tex"
    main.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb,booktabs,xcolor,tikz}\n"
        "\\begin{document}\n\\input{body}\n\\end{document}\n",
        encoding="utf-8",
    )
    realtools.assert_latex_ok(main, expect_text=expect)


@pytest.mark.realtool
@pytest.mark.parametrize("spec", MATRIX_SPECS, ids=lambda s: f"{s.label}-m{s.examples}")
def test_the_matrix_form_compiles_and_renders(tmp_path: Path, spec: NetworkSpec) -> None:
    body = render_derivation(spec, "all", "latex", form="matrix")
    compile_fragment(tmp_path, body, ["The layer equations", "The gradients", "Shapes"])
    realtools.assert_markdown_math_ok(render_derivation(spec, "all", "markdown", form="matrix"))


@pytest.mark.realtool
@pytest.mark.parametrize("spec", BOTH_SPECS, ids=lambda s: s.label)
def test_both_forms_compile_and_render(tmp_path: Path, spec: NetworkSpec) -> None:
    body = render_derivation(spec, "all", "latex", form="both")
    compile_fragment(tmp_path, body, ["The layer equations", "The deltas", "Summary"])
    markdown = render_derivation(spec, "all", "markdown", form="both")
    assert markdown.index("## The layer equations") < markdown.index("## The deltas")
    realtools.assert_markdown_math_ok(markdown)
