"""One LaTeX escaper for template prose and for symbol names: hostile text prints, never runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from symderiv.render.printing import escape_latex, to_latex
from symderiv.render.templating import environment
from tests import realtools

HOSTILE = [
    ("\\", r"\textbackslash{}"),
    ("{", r"\{"),
    ("}", r"\}"),
    ("$", r"\$"),
    ("%", r"\%"),
    ("&", r"\&"),
    ("#", r"\#"),
    ("_", r"\_"),
    ("^", r"\textasciicircum{}"),
    ("~", r"\textasciitilde{}"),
    ("<|>", r"\textless{}\textbar{}\textgreater{}"),
    ("one\ntwo\r\nthree", "one two  three"),
    (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    (
        r"\immediate\write18{rm -rf ~}",
        r"\textbackslash{}immediate\textbackslash{}write18\{rm -rf \textasciitilde{}\}",
    ),
    (r"\def\a{\a}", r"\textbackslash{}def\textbackslash{}a\{\textbackslash{}a\}"),
    ("100% of $x & {y} #1 a_b^c", r"100\% of \$x \& \{y\} \#1 a\_b\textasciicircum{}c"),
    ("σ(z)·δ, ∂J/∂η", r"$\sigma$(z)$\cdot$$\delta$, $\partial$J/$\partial$$\eta$"),
    ("ŷ − y – a — b’s", r"$\hat{y}$ - y -- a --- b's"),
    ("café ж 😀 \u202e", "caf? ? ? ?"),
]
IDS = [repr(text)[1:-1][:24] for text, _ in HOSTILE]


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=IDS)
def test_the_escape_table(text: str, expected: str) -> None:
    assert escape_latex(text) == expected
    assert expected.isascii()  # pdflatex typesets it without extra fonts


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=IDS)
def test_latex_templates_escape_prose_with_the_table(text: str, expected: str) -> None:
    template = environment("latex").from_string("[<< prose >>]")
    assert template.render(prose=text) == f"[{expected}]"


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=IDS)
def test_the_printer_escapes_odd_symbol_names_with_the_table(text: str, expected: str) -> None:
    assert to_latex(sp.Symbol(text)) == rf"\text{{{expected}}}"


@pytest.mark.realtool
def test_escaped_text_compiles_and_prints_literally(tmp_path: Path) -> None:
    paragraphs = "\n\n".join(
        f"{escape_latex(text)} and ${to_latex(sp.Symbol(text))}$" for text, _ in HOSTILE
    )
    tex = tmp_path / "hostile.tex"
    tex.write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern,amsmath}\n"
        f"\\begin{{document}}\n{paragraphs}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    realtools.assert_latex_ok(
        tex, expect_text=[r"\input{/etc/passwd}", "100% of $x & {y} #1 a_b^c", "<|>"]
    )


@pytest.mark.realtool
def test_odd_symbol_names_render_in_katex() -> None:
    results = realtools.katex_render([(to_latex(sp.Symbol(text)), False) for text, _ in HOSTILE])
    assert [r.error for r in results if not r.ok] == []
