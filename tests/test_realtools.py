"""Self-tests of tests/realtools.py against the real pdflatex, pdftotext and KaTeX.

They pin down what each helper catches, so a handout test that passes means what it says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtools import (
    KATEX_STRICT,
    assert_latex_ok,
    assert_markdown_math_ok,
    compile_latex,
    katex_render,
    markdown_math_spans,
    require_tool,
)

pytestmark = pytest.mark.realtool

# The preamble the handouts rely on: every package here must come from .ci/run's apt packages.
PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb}
\usepackage[margin=2.5cm]{geometry}
\usepackage{xcolor}
\usepackage{booktabs}
\usepackage{tikz}
\usetikzlibrary{arrows.meta,positioning}
\usepackage{hyperref}
"""


def write_doc(directory: Path, body: str, name: str = "doc.tex", preamble: str = PREAMBLE) -> Path:
    path = directory / name
    path.write_text(preamble + "\\begin{document}\n" + body + "\n\\end{document}\n", "utf-8")
    return path


def test_missing_tool_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "symderiv-no-such-tool"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install: apt-get install it"):
        require_tool(name, "apt-get install it")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=name):
        require_tool(name, "apt-get install it")
    assert require_tool("sh", "coreutils")


# ---------------------------------------------------------------------------------------------
# LaTeX


def test_good_document_compiles_and_shows_its_text(tmp_path: Path) -> None:
    body = r"""
\section{Backpropagation}
The gradient is
\begin{align}
  \frac{\partial C}{\partial w^{(2)}} &= \delta^{(2)} \odot \sigma'(z^{(2)}) \, a^{(1)} \\
  \mathbb{R} \ni x &\mapsto \boxed{x}
\end{align}
\begin{tabular}{ll}\toprule layer & size \\ \midrule 1 & 3 \\ \bottomrule\end{tabular}
\begin{tikzpicture}
  \node[draw, circle] (a) {$x$};
  \node[draw, circle, right=of a] (b) {$y$};
  \draw[-{Stealth}] (a) -- (b);
\end{tikzpicture}
\textcolor{blue}{Sentinel-Phrase} and \href{https://example.org}{a link}.
"""
    result = assert_latex_ok(
        write_doc(tmp_path, body), expect_text=["Backpropagation", "Sentinel-Phrase"]
    )
    assert result.returncode == 0
    assert result.pdf_path.is_file()
    assert result.errors == []


def test_dash_leading_file_name_is_not_read_as_an_option(tmp_path: Path) -> None:
    result = assert_latex_ok(
        write_doc(tmp_path, "Dash-Name-Text", name="-draftmode.tex"), expect_text=["Dash-Name-Text"]
    )
    assert result.pdf_path.name == "-draftmode.pdf"


def test_undefined_macro_is_reported(tmp_path: Path) -> None:
    result = compile_latex(write_doc(tmp_path, r"before \undefinedmacro after"))
    assert result.returncode != 0
    assert result.errors, result.log[-2000:]
    assert any("Undefined control sequence" in e for e in result.errors)
    assert any("undefinedmacro" in e for e in result.errors)  # the context line comes along
    with pytest.raises(AssertionError, match="Undefined control sequence"):
        assert_latex_ok(tmp_path / "doc.tex")


def test_too_wide_line_is_reported_as_overfull(tmp_path: Path) -> None:
    wide = r"\[" + " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(60)) + r"\]"
    result = compile_latex(write_doc(tmp_path, wide))
    assert result.returncode == 0  # compiles "fine": only the log tells
    boxes = result.overfull()
    assert boxes and boxes[0].width_pt > 100, result.log[-2000:]
    assert result.overfull(threshold_pt=1e6) == []
    with pytest.raises(AssertionError, match="overfull"):
        assert_latex_ok(tmp_path / "doc.tex")


def test_missing_glyph_and_undefined_reference_are_reported(tmp_path: Path) -> None:
    body = r"{\fontencoding{OT1}\fontfamily{cmr}\selectfont \char200} see \ref{nowhere}"
    result = compile_latex(write_doc(tmp_path, body))
    assert result.returncode == 0 and result.errors == []
    assert any(line.startswith("Missing character") for line in result.lost_content)
    assert any("nowhere" in line for line in result.lost_content)
    with pytest.raises(AssertionError, match="undefined references"):
        assert_latex_ok(tmp_path / "doc.tex")


def test_missing_expected_text_fails(tmp_path: Path) -> None:
    # A page can compile yet not show what it should; the PDF's text is the judge.
    with pytest.raises(AssertionError, match="lacks"):
        assert_latex_ok(write_doc(tmp_path, "Only this."), expect_text=["Nowhere-To-Be-Seen"])


def test_shell_escape_is_off(tmp_path: Path) -> None:
    result = compile_latex(write_doc(tmp_path, r"\immediate\write18{touch pwned}text"))
    assert not (tmp_path / "pwned").exists()
    assert not (Path.cwd() / "pwned").exists()
    assert "runsystem(touch pwned)...disabled" in result.log


def test_writes_outside_the_working_directory_are_refused(tmp_path: Path) -> None:
    # openout_any=p: no writing to absolute paths. A write inside the directory is still
    # allowed, which is why the project must escape user text rather than rely on this.
    outside = tmp_path.parent / f"{tmp_path.name}-escaped.tex"
    doc = tmp_path / "sub"
    doc.mkdir()
    body = rf"\immediate\openout5={outside}\immediate\write5{{x}}\immediate\closeout5 text"
    result = compile_latex(write_doc(doc, body))
    assert not outside.exists()
    assert any("can't write on file" in e for e in result.errors), result.log[-2000:]


def test_reading_files_is_not_blocked_by_the_compiler(tmp_path: Path) -> None:
    # pdflatex reads any file named in `\input`, even with -no-shell-escape: only escaping the
    # text that reaches LaTeX keeps /etc/hostname out of a handout.
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret-Content-Read\n", "utf-8")
    sub = tmp_path / "doc"
    sub.mkdir()
    result = assert_latex_ok(
        write_doc(sub, rf"\input{{{secret}}}"), expect_text=["Secret-Content-Read"]
    )
    assert result.returncode == 0


def test_endless_loop_is_killed(tmp_path: Path) -> None:
    result = compile_latex(write_doc(tmp_path, r"\def\a{\a}\a"), runs=1, timeout=3)
    assert result.timed_out
    assert result.returncode != 0


# ---------------------------------------------------------------------------------------------
# KaTeX


def test_katex_renders_handout_constructs_in_display_mode() -> None:
    formulas = [
        r"\sigma'(z)",
        r"\boxed{\delta_2}",
        r"\begin{aligned}a&=b\\c&=d\end{aligned}",
        r"\frac{\partial C}{\partial w^{(2)}_{1,1}} = \delta^{(2)}_{1} a^{(1)}_{1}",
        "σ(z)",  # Unicode Greek in math is fine even with strict='error'
    ]
    results = katex_render([(f, True) for f in formulas])
    assert [r.error for r in results] == [""] * len(formulas)
    assert all(r.ok and 'class="katex-display"' in r.html for r in results)


def test_katex_syntax_error_fails() -> None:
    (result,) = katex_render([(r"\frac{", False)])
    assert not result.ok
    assert "ParseError" in result.error or "parse error" in result.error


def test_katex_href_in_red_is_flagged() -> None:
    (result,) = katex_render([(r"\href{http://x}{y}", False)])
    assert not result.ok
    assert "error colour" in result.error and r"\href" in result.error


def test_katex_strict_mode_rejects_latex_incompatible_input() -> None:
    assert KATEX_STRICT == "error"
    cases = [(r"\text{σ}", False), ("x % comment", True), ("é", False)]
    assert not any(r.ok for r in katex_render(cases))
    warned = katex_render(cases, strict="warn")
    assert all(r.ok and r.warnings for r in warned)


def test_katex_display_only_environment_fails_inline() -> None:
    inline, display = katex_render([(r"\begin{align}a&=b\end{align}", d) for d in (False, True)])
    assert not inline.ok and display.ok


def test_katex_unsupported_commands_fail() -> None:
    results = katex_render([(r"\mbox{x}", False), (r"\label{eq} x", True)])
    assert not any(r.ok for r in results)


def test_katex_empty_batch() -> None:
    assert katex_render([]) == []


# ---------------------------------------------------------------------------------------------
# Markdown math extraction

SAMPLE = r"""# Handout

Inline $\sigma'(z)$ and $a^{(1)}_1$ here, a price of \$5 and $10 that is not math.

```python
x = "$not math$"
```

~~~
$$also not math$$
~~~

Code `$x$` and ``a `$y$` b`` are code.

$$
\frac{\partial C}{\partial w}
  = \delta
$$

$$\begin{aligned}a&=b\\c&=d\end{aligned}$$

```math
\boxed{\delta_2}
```

An escaped dollar inside math: $\$3 + x$; a dollar before a digit $x$5.
"""


def test_markdown_span_extraction() -> None:
    assert markdown_math_spans(SAMPLE) == [
        (r"\sigma'(z)", False),
        ("a^{(1)}_1", False),
        ("\\frac{\\partial C}{\\partial w}\n  = \\delta", True),
        (r"\begin{aligned}a&=b\\c&=d\end{aligned}", True),
        (r"\boxed{\delta_2}", True),
        (r"\$3 + x", False),
    ]


def test_markdown_inline_math_does_not_cross_paragraphs() -> None:
    assert markdown_math_spans("costs $5\n\nand $x$") == [("x", False)]
    assert markdown_math_spans("$ x$ and $x $") == []


def test_markdown_math_ok_on_good_sample(tmp_path: Path) -> None:
    path = tmp_path / "handout.md"
    path.write_text(SAMPLE, "utf-8")
    assert_markdown_math_ok(path)
    assert_markdown_math_ok(SAMPLE)


def test_markdown_math_failures_are_listed() -> None:
    md = "Good $x$, bad $\\frac{$ and $\\href{http://x}{y}$.\n\n$$\\mbox{m}$$\n"
    with pytest.raises(AssertionError) as info:
        assert_markdown_math_ok(md)
    message = str(info.value)
    assert "3 of 4 formulas" in message
    assert r"\\frac{" in message and r"\\href" in message and r"\\mbox" in message


def test_markdown_unclosed_display_math_fails() -> None:
    with pytest.raises(AssertionError, match="never closed"):
        assert_markdown_math_ok("text\n\n$$\nx\n")


def test_markdown_dollars_but_no_math_fails() -> None:
    with pytest.raises(AssertionError, match="no math span"):
        assert_markdown_math_ok("costs $ 5 and $ 6\n")
    assert_markdown_math_ok("no math at all, `$x$` is code\n")
