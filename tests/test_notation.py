"""Notation presets: golden files per preset, real compilation and rendering, the names each
preset writes, the `--notation` flag and the `[notation]` table."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.api import render_slides
from symderiv.cli.main import cli
from symderiv.core import naming, notation
from symderiv.core.errors import SpecError
from symderiv.core.network import build_network
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.render.handout import build_handout
from symderiv.render.printing import to_answer, to_latex, to_text
from tests import realtools
from tests.regen_notation_golden import GOLDEN, golden_texts
from tests.test_check_matrix import expected_verdict, had

PRESETS = tuple(notation.PRESETS)
GOLDEN_NAMES = sorted(golden_texts())


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="symderiv")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return golden_texts()


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_each_preset_matches_its_golden_file(name: str, texts: dict[str, str]) -> None:
    """If this fails on purpose, run `python -m tests.regen_notation_golden` and review the diff."""
    assert texts[name] == (GOLDEN / name).read_text(encoding="utf-8")


def test_the_default_preset_writes_the_default_handout(texts: dict[str, str]) -> None:
    handout = build_handout(derive(NetworkSpec()))
    from symderiv.api import render_handout

    assert texts["default-seed.md"] == render_handout(handout, "md")


@pytest.mark.parametrize(
    ("preset", "expected", "absent"),
    [
        ("default", [r"\frac{\partial J}{\partial w_{1}}", r"\delta_{2}"], ["C", "dw"]),
        (
            "nielsen",
            [r"\frac{\partial C}{\partial w^{2}_{11}}", r"\delta^{3}_{1}", "$C ="],
            [r"\delta_{2}", "$J"],
        ),
        ("ng", [r"dw^{[1]} = ", r"dz^{[2]}", r"\log"], [r"\frac{\partial J}{\partial w", r"\ln"]),
        ("cs231n", [r"dw_{1} = ", r"\delta_{2}", r"\log", "$L"], [r"\partial J"]),
    ],
)
def test_each_preset_writes_its_own_symbols(
    preset: str, expected: list[str], absent: list[str]
) -> None:
    with notation.using(preset):
        md = build_and_render(NetworkSpec(cost="binary_cross_entropy"))
    for text in expected:
        assert text in md, text
    for text in absent:
        assert text not in md, text


def build_and_render(spec: NetworkSpec) -> str:
    from symderiv.api import render_handout

    return render_handout(build_handout(derive(spec), warmup=True), "md")


def test_a_delta_named_dz_is_not_defined_as_itself(texts: dict[str, str]) -> None:
    md = texts["ng-seed.md"]
    assert "dz^{[1]} = dz^{[1]}" not in md
    assert r"\boxed{dz^{[2]} = d\hat{y} \cdot" in md
    assert r"$dz = \partial J/\partial z$, just as $dp$ stands for $\partial J/\partial p$" in md


def test_nielsen_numbers_the_inputs_layer_one(texts: dict[str, str]) -> None:
    md = texts["nielsen-2-2-1.md"]
    assert r"z^{2}_{1} = w^{2}_{11} x_{1} + w^{2}_{12} x_{2} + b^{2}_{1}" in md
    assert "w^{1}" not in md and "z^{1}" not in md
    assert r"Layer $l = 2, \ldots, L$ (here $L = 3$)" in md


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_compiles_with_pdflatex(
    preset: str, texts: dict[str, str], tmp_path: Path
) -> None:
    for label in ("seed", "2-2-1"):
        path = tmp_path / f"{preset}-{label}.tex"
        path.write_text(texts[f"{preset}-{label}.tex"], encoding="utf-8")
        realtools.assert_latex_ok(path)


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_renders_in_katex(preset: str, texts: dict[str, str]) -> None:
    for label in ("seed", "2-2-1"):
        realtools.assert_markdown_math_ok(texts[f"{preset}-{label}.md"])


@pytest.mark.parametrize("preset", ["nielsen", "ng"])
def test_slides_in_a_preset_compile(preset: str, tmp_path: Path) -> None:
    with notation.using(preset):
        tex = render_slides(build_handout(derive(NetworkSpec(layers=(2, 2, 1)))))
    assert (r"\frac{\partial C}" in tex) == (preset == "nielsen")
    assert ("dw^{[1]}" in tex) == (preset == "ng")
    path = tmp_path / "slides.tex"
    path.write_text(tex, encoding="utf-8")
    realtools.assert_latex_ok(path)


layer_sizes = st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple)


def node_index(network: Any, node: Any) -> tuple[int, ...]:
    return () if network.spec.is_chain else (node.index,)


@settings(max_examples=25, deadline=None)
@given(layers=layer_sizes, preset=st.sampled_from(PRESETS))
def test_no_two_symbols_are_written_alike(layers: tuple[int, ...], preset: str) -> None:
    """In every preset, each symbol of a network has a LaTeX, a text and an answer name of its
    own, and the answer name leads back to the symbol."""
    network = build_network(NetworkSpec(layers=layers))
    symbols = [
        *network.inputs,
        *network.targets,
        *network.outputs,
        *(s for node in network.nodes for s in (*node.weights, node.bias, node.z, node.a)),
        *(
            sp.Symbol(
                naming.layered("delta", n.layer, *((n.index,) if not network.spec.is_chain else ()))
            )
            for n in network.nodes
        ),
    ]
    symbols = list(dict.fromkeys(symbols))
    with notation.using(preset):
        for write in (to_latex, to_text, to_answer):
            written = [write(s) for s in symbols]
            assert len(set(written)) == len(written), (write.__name__, written)
        offset = notation.current().input_layer
        for symbol in symbols:
            parsed = naming.parse_name(to_answer(symbol))
            original = naming.parse_name(symbol.name)
            assert parsed is not None and original is not None
            if original.layer is not None:
                assert parsed.layer == original.layer + offset


def test_the_natural_log_follows_the_preset() -> None:
    expr = sp.log(sp.Symbol("x"))
    with notation.using("ng"):
        assert to_latex(expr) == r"\log{\left(x \right)}"
        assert to_text(expr) == "log(x)"
    assert to_latex(expr) == r"\ln{\left(x \right)}"
    assert to_text(expr) == "ln(x)"


# ----------------------------------------------------------------------------- command line


def test_the_flag_sets_the_notation_of_derive() -> None:
    code, out, err = invoke("derive", "--notation", "nielsen", "--param", "w2")
    assert code == 0, err
    assert out.startswith("∂C/∂w²₁₁: weight from input 1 into node 1 of layer 2")
    assert "δ²₁ = ∂C/∂z²₁" in out


def test_a_notation_table_with_a_preset_and_overrides(tmp_path: Path) -> None:
    spec = tmp_path / "course.toml"
    spec.write_text(
        '[network]\nlayers = [1, 1, 1]\n\n[notation]\npreset = "ng"\ncost = "L"\nlog = "ln"\n',
        encoding="utf-8",
    )
    code, out, err = invoke("derive", str(spec), "--param", "w2")
    assert code == 0, err
    assert "dw^[2] = dz^[2]·a^[1]" in out
    assert "the cost L = (ŷ − y)^2" in out


def test_the_flag_overrides_the_table(tmp_path: Path) -> None:
    spec = tmp_path / "course.toml"
    spec.write_text('[notation]\npreset = "ng"\n', encoding="utf-8")
    code, out, err = invoke("derive", str(spec), "--notation", "default", "--param", "w2")
    assert code == 0, err
    assert out.startswith("∂J/∂w₂")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('preset = "andrew"', "unknown notation 'andrew'. Valid: cs231n, default, ng, nielsen."),
        ('cots = "C"', "unknown key 'cots'. Did you mean 'cost'?"),
        ('cost = "Q"', "notation cost must be one of J, C, L, E, not 'Q'."),
        ("input_layer = 2", "notation input_layer must be 0 or 1, not 2."),
        (
            'layers = "square"',
            "notation layers must be one of paren, plain, bracket, not 'square'.",
        ),
        ("log = 1", "log must be a str, not 1."),
    ],
)
def test_a_bad_notation_table_is_one_line(tmp_path: Path, table: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(f"[notation]\n{table}\n", encoding="utf-8")
    code, out, err = invoke("derive", str(spec))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("symderiv: error: ")
    assert message in err


def test_an_unknown_preset_flag_is_one_line() -> None:
    code, _, err = invoke("derive", "--notation", "nielson")
    assert code == 2
    assert err == (
        "symderiv: error: unknown notation 'nielson'. Did you mean 'nielsen'? "
        "Valid: cs231n, default, ng, nielsen.\n"
    )


def test_the_api_takes_a_notation_keyword() -> None:
    from symderiv.api import render_derivation

    text = render_derivation(NetworkSpec(), "w2", "text", notation="cs231n")
    assert text.startswith("dw₂: weight")
    assert render_derivation(NetworkSpec(), "w2", "text").startswith("∂J/∂w₂")
    with pytest.raises(SpecError, match="unknown notation"):
        render_derivation(NetworkSpec(), "w2", "text", notation="knuth")


def test_notation_values_are_checked_when_made() -> None:
    with pytest.raises(SpecError):
        notation.Notation(gradient="nabla")
    assert notation.from_table({"preset": "nielsen", "cost": "J"}).cost == "J"
    assert notation.from_table({"preset": "nielsen"}) == notation.PRESETS["nielsen"]
    assert list(itertools.islice(notation.PRESETS, 1)) == ["default"]
    assert re.fullmatch(r"cost C, layers w², inputs are layer 1, ln, gradients ∂C/∂w",
                        notation.PRESETS["nielsen"].describe())  # fmt: skip


# ----------------------------------------------------------------------------- checking answers


def verdict(preset: str, spec: NetworkSpec, param: str, answer: str) -> str:
    from symderiv.check.judge import check_answer

    with notation.using(preset):
        return check_answer(spec, param, answer).verdict.value


SEED = NetworkSpec()
WIDE = NetworkSpec(layers=(2, 2, 1))


@pytest.mark.parametrize(
    ("preset", "spec", "param", "answer", "expected"),
    [
        # Nielsen numbers the inputs layer 1: w³ is the output weight, and a² the hidden unit.
        ("nielsen", SEED, "w3", "delta3*a2", "correct"),
        ("nielsen", SEED, "w3", r"\delta^{3}_{1} a^{2}_{1}", "correct"),
        (
            "nielsen",
            SEED,
            "w3",
            r"\frac{\partial C}{\partial w^{3}_{11}} = \delta^{3} a^{2}_1",
            "correct",
        ),
        ("nielsen", SEED, "w3", "2*(a3 - y)*a3*(1 - a3)*a2", "correct"),
        ("nielsen", SEED, "w3", "delta3*a1", "incorrect"),  # a¹ is the input x
        ("nielsen", SEED, "w2", "delta2*a1", "correct"),
        ("nielsen", WIDE, "w2_1_2", r"\delta^{2}_{1} x_{2}", "correct"),
        ("nielsen", WIDE, "w2_1_2", r"\delta^{2}_{1} a^{1}_{2}", "correct"),
        ("nielsen", WIDE, "w3_1_2", "delta3_1*a2_2", "correct"),
        # Ng: dz is the delta, dw the gradient, the layer in brackets.
        ("ng", SEED, "w2", "dz2*a1", "correct"),
        ("ng", SEED, "dw2", r"dz^{[2]} a^{[1]}", "correct"),
        ("ng", SEED, "w2", r"dW^{[2]} = dz^{[2]} a^{[1]}", "correct"),
        ("ng", SEED, "w2", "dw2 = dz2*a1", "correct"),
        ("ng", SEED, "w2", "dyhat*yhat*(1 - yhat)*a1", "correct"),
        ("ng", SEED, "w2", "dz2*x", "incorrect"),
        ("ng", WIDE, "w1_2_1", r"dz^{[1]}_{2} x_{1}", "correct"),
        ("cs231n", SEED, "w2", "dL/dw2 = delta2*a1", "correct"),
        ("cs231n", SEED, "w2", r"\frac{\partial L}{\partial w_2} = \delta_2 a_1", "correct"),
        # The default reads neither Nielsen's numbering nor Ng's names.
        ("default", SEED, "w2", "delta2*a1", "correct"),
        ("default", SEED, "w2", "dz2*a1", "cannot judge"),
    ],
)
def test_check_reads_the_names_of_the_notation(
    preset: str, spec: NetworkSpec, param: str, answer: str, expected: str
) -> None:
    assert verdict(preset, spec, param, answer) == expected


def test_a_parameter_outside_the_notation_is_refused_with_its_names() -> None:
    from symderiv.check.judge import check_answer

    with notation.using("nielsen"):
        result = check_answer(SEED, "w1", "delta2*x")
    assert result.verdict.value == "cannot judge"
    assert "unknown parameter 'w1'. Valid: b2, b3, w2, w3." in result.reason


def test_solutions_written_in_a_notation_are_judged_correct_in_it(tmp_path: Path) -> None:
    """The real consumer: `check --batch` on the solutions an exercise sheet wrote."""
    flags = ("--layers", "2-2-1", "--notation", "nielsen")
    code, _, err = invoke("exercises", *flags, "--out", str(tmp_path), "--format", "md",
                          "--params", "all")  # fmt: skip
    assert code == 0, err
    rows = (tmp_path / "solutions.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1].split(",")[1] == "w3_1_1"  # the sheet asks in the notation's names
    code, out, err = invoke("check", "--batch", str(tmp_path / "solutions.csv"), *flags,
                            "--out-dir", str(tmp_path / "reports"))  # fmt: skip
    assert code == 0, err
    assert "9 correct, 0 incorrect, 0 cannot judge" in out


@pytest.mark.parametrize(
    ("preset", "param", "answer", "expected"),
    [
        ("ng", "W2", r"dZ^{[2]} (A^{[1]})^T", "correct"),
        ("ng", "dW2", "dz2*a1^T", "correct"),
        ("ng", "W2", r"dW^{[2]} = dz^{[2]} (a^{[1]})^\top", "correct"),
        ("ng", "W2", "dz2*a1", "incorrect"),  # the missing transpose
        ("nielsen", "W3", "delta3*a2^T", "correct"),
        ("nielsen", "W2", "delta2*a1^T", "correct"),  # a¹ is the input layer: x
        ("nielsen", "W2", "delta3*a2^T", "incorrect"),
        ("nielsen", "delta2", r"(W^{3})^T \delta^{3} \odot \sigma'(z^{2})", "correct"),
    ],
)
def test_matrix_answers_in_a_notation(preset: str, param: str, answer: str, expected: str) -> None:
    assert verdict(preset, WIDE_3, param, answer) == expected


WIDE_3 = NetworkSpec(layers=(2, 3, 1))
WIDE_BCE = NetworkSpec(layers=(2, 2, 1), cost="binary_cross_entropy")
WIDE_BCE_3 = NetworkSpec(layers=(2, 2, 1), cost="binary_cross_entropy", examples=3)


def _delta1(q: Any) -> Any:
    return had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1]))


def _delta2(q: Any) -> Any:  # squared error: 2(ŷ − y) ⊙ ŷ ⊙ (1 − ŷ)
    return had(had(2 * (q.Yhat - q.Y), q.Yhat), 1 - q.Yhat)


def _weights2(q: Any) -> Any:
    return q.D[2] @ q.A[1].T


#: (preset, network, param as written, the oracle's param, answer, the answer's NumPy value)
COURSE_ANSWERS: list[tuple[str, NetworkSpec, str, str, str, Any]] = [
    # `*` (Ng's entrywise product) and juxtaposition are read by shape
    ("ng", WIDE, "delta1", "delta1", r"W^{[2]T} dZ^{[2]} * \sigma'(Z^{[1]})", _delta1),
    ("ng", WIDE, "delta2", "delta2", r"dz^{[2]} = 2(a^{[2]} - y) * a^{[2]}(1 - a^{[2]})", _delta2),
    # a left side that names the delta itself
    ("default", WIDE, "delta1", "delta1",
     r"\delta^{(1)} = (W^{(2)})^\top \delta^{(2)} \odot \sigma'(z^{(1)})", _delta1),
    ("nielsen", WIDE, "delta3", "delta2", r"\delta^{3} = 2(a^{3} - y) \odot \sigma'(z^{3})",
     _delta2),
    ("ng", WIDE, "delta2", "delta2", r"dZ^{[2]} = A^{[2]} - Y", lambda q: q.Yhat - q.Y),
    ("ng", WIDE_BCE, "delta2", "delta2", r"dZ^{[2]} = A^{[2]} - Y", lambda q: q.Yhat - q.Y),
    ("ng", WIDE_BCE_3, "delta2", "Delta2", r"dZ^{[2]} = A^{[2]} - Y", lambda q: q.Yhat - q.Y),
    ("ng", WIDE, "delta1", "delta1", r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * \sigma'(Z^{[1]})", _delta1),
    ("ng", WIDE, "dZ1", "delta1", "dz1 = W2^T dz2 * sigmoid'(z1)", _delta1),
    ("ng", WIDE_BCE, "delta2", "delta2", r"\frac{\partial J}{\partial Z^{[2]}} = A^{[2]} - Y",
     lambda q: q.Yhat - q.Y),
    ("nielsen", WIDE, "W3", "W2", r"\frac{\partial C}{\partial W^{3}} = \delta^{3} (a^{2})^T",
     _weights2),
    # the names of the delta and of the cost's gradient
    ("cs231n", WIDE, "delta1", "delta1", "W2^T dz2 * sigmoid'(z1)", _delta1),
    ("ng", WIDE, "delta2", "delta2", "dyhat * a2 * (1 - a2)", _delta2),
    ("ng", WIDE, "delta2", "delta2", r"d\hat{y} * a^{[2]}(1 - a^{[2]})", _delta2),
    ("ng", WIDE, "delta2", "delta2", r"da^{[2]} * a^{[2]}(1 - a^{[2]})", _delta2),
    ("ng", WIDE, "delta2", "delta2", r"da^{[1]} * a^{[2]}(1 - a^{[2]})", None),  # not ∂J/∂ŷ
    ("cs231n", WIDE, "delta2", "delta2", r"\nabla_{\hat y} L \odot \sigma'(z^{(2)})", _delta2),
    ("default", WIDE, "delta2", "delta2", r"\nabla_{\hat{y}} E \odot \sigma'(z^{(2)})", _delta2),
    ("nielsen", WIDE, "delta3", "delta2", r"\nabla_a C \odot \sigma'(z^L)", _delta2),
    ("default", WIDE, "delta2", "delta2", r"\nabla_{z} J \odot \sigma'(z^{(2)})", None),
    ("nielsen", WIDE, "delta3", "delta2",
     r"\frac{\partial C}{\partial a^{3}} \odot \sigma'(z^3)", _delta2),
    # Nielsen's superscripts without braces, and L for the output layer
    ("nielsen", WIDE, "W3", "W2", r"\delta^3 (a^2)^T", _weights2),
    ("nielsen", WIDE, "W3", "W2", r"\delta^L (a^2)^T", _weights2),
    ("nielsen", WIDE, "W3", "W2", r"\delta^L a^2", lambda q: q.D[2] @ q.A[1]),
    ("nielsen", WIDE, "W^{L}", "W2", r"\delta^3 (a^2)^T", _weights2),
    ("default", WIDE, "W2", "W2", r"\delta^{(L)} (a^{(1)})^\top", _weights2),
    ("ng", WIDE, "W2", "W2", r"dZ^{[L]} (A^{[1]})^T", _weights2),
    ("ng", WIDE, "delta1", "delta1", r"(W^L)^T dZ^L * \sigma'(Z^{[1]})", _delta1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("preset", "spec", "param", "oracle_param", "answer", "value"),
    COURSE_ANSWERS,
    ids=[f"{case[0]}:{case[2]}:{case[4]}" for case in COURSE_ANSWERS],
)
def test_matrix_answers_as_courses_write_them(
    preset: str, spec: NetworkSpec, param: str, oracle_param: str, answer: str, value: Any
) -> None:
    from symderiv.check.judge import check_answer

    with notation.using(preset):
        result = check_answer(spec, param, answer)
    if value is None:
        assert result.verdict.value == "cannot judge", result
        return
    assert result.verdict.value == expected_verdict(spec, oracle_param, value), result


@pytest.mark.parametrize(
    ("preset", "param", "answer", "wanted"),
    [
        ("default", "delta1", r"\delta^{(2)} = (W^{(2)})^\top \delta^{(2)}", "δ⁽¹⁾ or ∂J/∂z⁽¹⁾"),
        ("ng", "delta1", r"dZ^{[2]} = W^{[2]T} dZ^{[2]}", "dz^[1]"),
        ("nielsen", "W3", r"\frac{\partial C}{\partial W^{2}} = \delta^3 (a^2)^T", "∂C/∂W³"),
    ],
)
def test_a_left_side_for_another_target_says_which(
    preset: str, param: str, answer: str, wanted: str
) -> None:
    from symderiv.check.judge import check_answer

    with notation.using(preset):
        result = check_answer(WIDE, param, answer)
    assert result.verdict.value == "cannot judge"
    assert f"the left side must be {wanted}" in result.reason, result.reason


def test_a_batch_report_gives_each_param_as_its_row_did(tmp_path: Path) -> None:
    rows = "id,param,answer\na,w3_1_1,delta3_1*a2_1\nb,W^{3},\\delta^3 (a^2)^T\n"
    (tmp_path / "answers.csv").write_text(rows, encoding="utf-8")
    code, out, err = invoke("check", "--batch", str(tmp_path / "answers.csv"),
                            "--layers", "2-2-1", "--notation", "nielsen",
                            "--out-dir", str(tmp_path / "reports"))  # fmt: skip
    assert code == 0, err
    assert "2 correct" in out
    report = (tmp_path / "reports" / "report.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[2] for line in report[1:]] == ["w3_1_1", "W^{3}"]
    data = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert [row["param"] for row in data["rows"]] == ["w3_1_1", "W^{3}"]


def test_a_notebook_shows_its_displays_in_the_notation_it_chose() -> None:
    import symderiv

    backprop = symderiv.derive(layers=(1, 1, 1))
    try:
        symderiv.use_notation("ng")
        shown = backprop._repr_markdown_()
        with notation.using("default"):  # a command's own choice still wins
            assert r"\delta_{2}" in backprop._repr_markdown_()
    finally:
        symderiv.use_notation("default")
    assert r"dz^{[2]}" in shown and r"\delta_{2}" not in shown
    assert r"\delta_{2}" in backprop._repr_markdown_()


def test_values_on_the_command_line_use_the_notations_names() -> None:
    code, out, err = invoke("example", "--notation", "nielsen", "--values", "w3=0.5,x=1")
    assert code == 0, err
    assert "w³₁₁ = 0.5" in out
    code, _, err = invoke("example", "--notation", "nielsen", "--values", "w1=0.5")
    assert code == 2 and "unknown name 'w1'" in err


def test_steps_write_the_logarithm_of_the_notation() -> None:
    code, out, err = invoke("steps", "ln(2 + cos(x))", "--notation", "ng")
    assert code == 0, err
    assert out.startswith("chain rule: d/dx log(2 + cos(x))")
    code, out, _ = invoke("steps", "ln(2 + cos(x))")
    assert out.startswith("chain rule: d/dx ln(2 + cos(x))")


def test_the_number_of_layers_is_not_written_with_the_costs_letter() -> None:
    code, out, _ = invoke("derive", "--layers", "2-3-1", "--form", "matrix", "--l2", "0.1",
                          "--notation", "cs231n")  # fmt: skip
    assert code == 0
    assert "layer l = 1…D has nₗ nodes, here D = 2" in out
    assert "L = L(y, ŷ) + (λ/2)·Σ(l=1…D) ‖W⁽ˡ⁾‖²_F" in out


def test_a_sum_over_the_layers_starts_at_the_first_weights_layer() -> None:
    code, out, _ = invoke("derive", "--layers", "2-3-1", "--form", "matrix", "--l2", "0.1",
                          "--examples", "3", "--notation", "nielsen")  # fmt: skip
    assert code == 0
    assert "C = (1/m)·Σ(i=1…m) Cᵢ + (λ/(2·m))·Σ(l=2…L) ‖Wˡ‖²_F" in out
    assert "the m = 3 examples are the columns of X, Zˡ, Aˡ and Δˡ" in out


def test_generated_code_keeps_the_plain_names_in_its_comments() -> None:
    from symderiv.api import generate_code

    assert generate_code(NetworkSpec(), notation="nielsen") == generate_code(NetworkSpec())


def test_an_exercise_sheet_defines_a_delta_named_dz() -> None:
    from symderiv.api import exercise_sheets
    from symderiv.output.exercises import render_document

    (sheet,) = exercise_sheets(WIDE, notation="ng")
    with notation.using("ng"):
        md = render_document(sheet, "exercises", "md")
    assert r"$dz^{[2]}_{1} = \partial J/\partial z^{[2]}_{1}$" in md


def test_products_of_named_gradients_are_spaced() -> None:
    with notation.using("ng"):
        assert to_latex(sp.Symbol("delta2") * sp.Symbol("w2")) == r"dz^{[2]} \thinspace w^{[2]}"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (r"a^2_1 \delta^3_1", "correct"),  # Nielsen's superscripts need no braces
        (r"\delta^L a^2_1", "correct"),  # L: the output layer
        (r"\frac{\partial C}{\partial w^L_{11}} = \delta^L_1 a^{2}_1", "correct"),
        (r"(a^{L} - y) a^L (1 - a^L) a^2_1 \cdot 2", "correct"),
        (r"\delta^L a^1_1", "incorrect"),  # a¹ is the input
    ],
)
def test_nielsen_writes_layers_bare_and_the_last_as_l(answer: str, expected: str) -> None:
    assert verdict("nielsen", SEED, "w3", answer) == expected


@pytest.mark.parametrize(
    ("preset", "param", "answer", "message"),
    [
        ("default", "w2_1_1", "a1_1*delta1_1", "δ⁽¹⁾₁ where w⁽²⁾₁₁ belongs to node 1 of layer 2"),
        ("default", "w1_1_1", "x_1*delta2_1", "δ⁽²⁾₁ where w⁽¹⁾₁₁ belongs to node 1 of layer 1"),
        ("nielsen", "w3_1_1", "a2_1*delta2_1", "δ²₁ where w³₁₁ belongs to node 1 of layer 3"),
    ],
)
def test_another_layers_delta_is_named(preset: str, param: str, answer: str, message: str) -> None:
    from symderiv.check.judge import check_answer

    with notation.using(preset):
        result = check_answer(WIDE, param, answer)
    assert result.verdict.value == "incorrect"
    assert result.diagnosis is not None and message in result.diagnosis.message
