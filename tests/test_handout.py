"""Handouts: golden files, real compilation and rendering, escaping, and safe file writing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.api import render_derivation, render_handout
from symderiv.cli.main import cli
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.gallery import EXERCISE_SHEETS, GALLERY
from symderiv.render.handout import build_handout
from tests import realtools
from tests.regen_golden_handout import GOLDEN, golden_texts

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "output"
HOSTILE_TITLES = [
    r"\immediate\write18{touch PWNED}",
    r"100% of $cost & {loss} #1 ~ ^ _ \ ",
    "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %}",
    r"\input{/etc/hostname} \def\a{\a}\a \immediate\openout5=evil.tex",
    "σ-δ ŷ — naïve <script>alert(1)</script> [link](http://x) `code` *bold*",
]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", ["seed.md", "seed.tex"])
def test_seed_handout_matches_golden(name: str) -> None:
    """If this fails on purpose, run `python -m tests.regen_golden_handout` and review the diff."""
    assert golden_texts()[name] == (GOLDEN / name).read_text(encoding="utf-8")


def test_handout_contains_every_section() -> None:
    text = render_handout(build_handout(derive(), warmup=True), "md")
    for heading in ("The network", "The forward pass", "Warm-up", "The deltas", "The gradients",
                    "Summary and gradient descent", "Appendix"):  # fmt: skip
        assert heading in text
    assert text.count(r"\boxed{") == 2  # δ2 and δ1, each defined once
    assert r"\delta_{1} = \frac{\partial J}{\partial z_{1}}" in text
    assert "```mermaid" in text


@pytest.mark.realtool
@pytest.mark.parametrize("example", GALLERY, ids=lambda e: e.name)
def test_every_gallery_handout_compiles_and_renders(tmp_path: Path, example) -> None:  # type: ignore[no-untyped-def]
    spec = example.spec
    code, _, err = invoke(
        "handout", "--out", str(tmp_path), "--format", "md,tex", "--title", example.title,
        "--layers", spec.label, "--activation", spec.hidden_activation,
        "--output-activation", spec.output_activation, "--cost", spec.cost,
        "--notation", example.notation,
        *(["--warmup"] if example.warmup else []),
        *(["--example", "--steps", str(example.steps)] if example.steps else []),
    )  # fmt: skip
    assert code == 0, err
    expected = ["The deltas", "The gradients", "Summary"] + (
        ["The numbers"] if example.steps else []
    )
    realtools.assert_latex_ok(tmp_path / "handout.tex", expect_text=expected)
    realtools.assert_markdown_math_ok(tmp_path / "handout.md")


@pytest.mark.realtool
def test_fragment_and_derive_output_compile_inside_a_document(tmp_path: Path) -> None:
    body = render_handout(
        build_handout(derive(NetworkSpec(layers=(2, 2, 1)))), "tex", fragment=True
    )
    derived = render_derivation(NetworkSpec(), "w1", "latex")
    (tmp_path / "body.tex").write_text(body, encoding="utf-8")
    (tmp_path / "derived.tex").write_text(derived, encoding="utf-8")
    main = tmp_path / "main.tex"
    main.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb,booktabs,xcolor,tikz}\n"
        "\\begin{document}\n\\input{body}\n\\input{derived}\n\\end{document}\n"
    )
    realtools.assert_latex_ok(main, expect_text=["Gradient with respect to"])
    realtools.assert_markdown_math_ok(render_derivation(NetworkSpec(), "all", "markdown"))


@pytest.mark.realtool
@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_print_literally(tmp_path: Path, title: str) -> None:
    code, _, err = invoke(
        "handout", "--out", str(tmp_path), "--title", title, "--format", "md,tex,pdf"
    )
    assert code == 0, err
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "evil.tex").exists()
    md = (tmp_path / "handout.md").read_text()
    assert "49" not in md.split("\n")[2] and "<script>" not in md
    realtools.assert_markdown_math_ok(md)
    result = realtools.compile_latex(tmp_path / "handout.tex")
    assert result.returncode == 0 and not result.errors
    assert_title_printed(result, title)


def assert_title_printed(result: realtools.LatexResult, title: str) -> None:
    """The PDF shows the hostile `title` as typed: nothing in it ran as TeX."""
    shown = " ".join(result.pdf_text().split())
    if "{{" in title:
        assert "{{ 7*7 }}" in shown
    if "100%" in title:
        assert "100% of $cost & {loss} #1" in shown
    if "write18" in title:
        assert "\\immediate\\write18{touch PWNED}" in shown


def test_cli_writes_the_seed_handout_and_reports_it(tmp_path: Path) -> None:
    code, out, err = invoke("handout", "--out", str(tmp_path / "new"), "--format", "md,tex")
    assert code == 0, err
    assert out.splitlines() == [
        f"wrote {tmp_path / 'new' / 'handout.md'}",
        f"wrote {tmp_path / 'new' / 'handout.tex'}",
        f"wrote {tmp_path / 'new' / 'handout-network.svg'}",  # the picture beside the Markdown
    ]
    code, out, _ = invoke("handout", "--out", str(tmp_path / "new"), "--format", "md")
    assert code == 0  # its own files are replaced without --force


def test_foreign_files_are_not_overwritten_without_force(tmp_path: Path) -> None:
    mine = tmp_path / "handout.md"
    mine.write_text("my notes\n")
    code, _, err = invoke("handout", "--out", str(tmp_path), "--format", "md,tex")
    assert code == 2 and "--force" in err and mine.read_text() == "my notes\n"
    assert not (tmp_path / "handout.tex").exists()  # refused before writing anything
    code, _, _ = invoke("handout", "--out", str(tmp_path), "--format", "md", "--force")
    assert code == 0 and "Generated by symderiv" in mine.read_text()


def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "handout.md").symlink_to(target)
    code, _, _ = invoke("handout", "--out", str(out), "--format", "md", "--force")
    assert code == 0
    assert target.read_text() == "precious\n"
    assert not (out / "handout.md").is_symlink()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "../escape"], "refusing the file name"),
        (["--name", "-draftmode"], "refusing the file name"),
        (["--format", "docx"], "unknown format 'docx'"),
        (["--format", "pdf", "--fragment"], "cannot be compiled"),
        (["--layers", "8-8-8"], "at most 64 parameters"),
    ],
)
def test_bad_handout_options(tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = invoke("handout", "--out", str(tmp_path), *args)
    assert code == 2 and message in err and "Traceback" not in out + err


def test_unwritable_or_impossible_output_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = invoke("handout", "--out", str(blocker / "sub"), "--format", "md")
    assert code == 2 and "symderiv: error:" in err
    if os.geteuid() != 0:  # root can write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        code, _, err = invoke("handout", "--out", str(locked), "--format", "md")
        assert code == 2 and "not writable" in err


def test_missing_tex_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex here
    code, out, _ = invoke("handout", "--out", str(tmp_path / "a"))
    assert code == 0 and "skipped the PDF" in out
    code, _, err = invoke("handout", "--out", str(tmp_path / "b"), "--format", "pdf")
    assert code == 2 and "pdflatex is not installed" in err


@pytest.mark.realtool
def test_committed_gallery_is_current(tmp_path: Path) -> None:
    """`symderiv gallery` regenerates output/; this fails when the committed files are stale."""
    code, _, err = invoke("gallery", "--out", str(tmp_path))
    assert code == 0, err
    for example in GALLERY:
        for fmt in ("md", "tex"):
            name = f"{example.name}.{fmt}"
            assert (OUTPUT / name).read_text() == (tmp_path / name).read_text(), (
                f"output/{name} is stale: run `symderiv gallery --out output`"
            )
        pictures = [f"{example.name}-network.svg"]
        if example.steps > 1:
            pictures.append(f"{example.name}-cost.svg")
        for svg in pictures:
            assert (OUTPUT / svg).read_text() == (tmp_path / svg).read_text(), f"output/{svg}"
        pdf = f"{example.name}.pdf"
        assert _pdf_text(OUTPUT / pdf) == _pdf_text(tmp_path / pdf), f"output/{pdf} is stale"
        if example.slides:
            slides = f"{example.name}-slides"
            tex, pdf = f"{slides}.tex", f"{slides}.pdf"
            assert (OUTPUT / tex).read_text() == (tmp_path / tex).read_text(), f"output/{tex}"
            assert _pdf_text(OUTPUT / pdf) == _pdf_text(tmp_path / pdf), f"output/{pdf}"
    for sheet in EXERCISE_SHEETS:
        for name in ("exercises", "solutions"):
            for fmt in ("md", "tex"):
                path = f"{sheet.directory}/{name}.{fmt}"
                assert (OUTPUT / path).read_text() == (tmp_path / path).read_text(), (
                    f"output/{path} is stale: run `symderiv gallery --out output`"
                )
            pdf = f"{sheet.directory}/{name}.pdf"
            assert _pdf_text(OUTPUT / pdf) == _pdf_text(tmp_path / pdf), f"output/{pdf} is stale"
        for data in ("network.svg", "answers.csv", "solutions.csv"):
            path = f"{sheet.directory}/{data}"
            assert (OUTPUT / path).read_text() == (tmp_path / path).read_text(), f"output/{path}"
    # symderiv recognises its own PDF and replaces it without --force
    code, _, err = invoke("handout", "--out", str(tmp_path), "--format", "pdf")
    assert code == 0, err


def _pdf_text(path: Path) -> str:
    realtools.require_tool("pdftotext", realtools.PDFTOTEXT_HINT)
    run = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    return run.stdout


def test_installed_templates_are_found_from_another_directory(tmp_path: Path) -> None:
    run = subprocess.run(
        ["python", "-m", "symderiv", "handout", "--out", str(tmp_path), "--format", "md"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


@pytest.mark.realtool
def test_steps_in_latex_and_markdown_compile_and_render(tmp_path: Path) -> None:
    expressions = ["ln(2 + cos(x))", "σ(z)", "x^x", "relu(z)", "asin(x)/sqrt(1 - x^2)"]
    bodies = []
    for expression in expressions:
        code, latex, err = invoke("steps", expression, "--format", "latex")
        assert code == 0, err
        bodies.append(latex)
        code, markdown, err = invoke("steps", expression, "--format", "markdown")
        assert code == 0, err
        realtools.assert_markdown_math_ok(markdown)
    main = tmp_path / "steps.tex"
    main.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
        + "\n".join(bodies)
        + "\n\\end{document}\n"
    )
    realtools.assert_latex_ok(main, expect_text=["chain rule"])


@pytest.mark.realtool
@pytest.mark.parametrize("example", GALLERY, ids=lambda e: e.name)
def test_gallery_markdown_survives_pandoc(tmp_path: Path, example) -> None:  # type: ignore[no-untyped-def]
    """pandoc turns every gallery Markdown handout into PDF (its default engine, pdflatex, with
    the pictures beside it converted by rsvg-convert) and into HTML, without an error."""
    pandoc = realtools.require_tool("pandoc", "apt-get install pandoc")
    realtools.require_tool("rsvg-convert", "apt-get install librsvg2-bin")
    realtools.require_tool("pdflatex", "apt-get install texlive-latex-base")
    source = OUTPUT / f"{example.name}.md"
    html = ["--mathjax", "--metadata", f"pagetitle={example.name}"]
    for target, options in (("handout.pdf", []), ("handout.html", html)):
        command = [pandoc, str(source), "--resource-path", str(OUTPUT), "-s", *options]
        run = subprocess.run(
            [*command, "-o", str(tmp_path / target)],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, f"pandoc -o {target}: {run.stderr[-2000:]}"
        assert "WARNING" not in run.stderr, run.stderr[-2000:]
        assert (tmp_path / target).stat().st_size > 1000


def test_markdown_lists_nest_at_most_four_deep_and_mermaid_is_ascii() -> None:
    for path in OUTPUT.glob("*.md"):
        text = path.read_text()
        depths = [len(line) - len(line.lstrip(" ")) for line in text.splitlines()
                  if line.lstrip(" ").startswith("- ")]  # fmt: skip
        assert max(depths, default=0) <= 6, path.name  # four levels, two spaces each
        block = text.split("```mermaid", 1)[1].split("```", 1)[0]
        assert block.isascii(), path.name
        assert "\\(" not in text and "\\," not in text, path.name


def test_a_sigmoid_output_with_cross_entropy_is_boxed_and_used_as_yhat_minus_y() -> None:
    spec = NetworkSpec(layers=(2, 3, 1), hidden_activation="tanh", cost="binary_cross_entropy")
    handout = build_handout(derive(spec))
    (output,) = [d for d in handout.deltas if d.delta.is_output]
    yhat, y = sp.Symbol("yhat_1"), sp.Symbol("y_1")
    assert output.simplified == yhat - y and output.boxed == yhat - y
    tex = render_handout(handout, "tex")
    assert r"\boxed{\delta^{(2)}_{1} = \hat{y}_{1} - y_{1}}" in tex
    for dv in handout.deltas:  # every hidden delta is written with ŷ − y, never the raw form
        if dv.expanded is not None:
            assert not dv.expanded.has(sp.log) and (yhat - y) in dv.expanded.atoms(sp.Add)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_a_multi_output_cost_is_stated_with_its_index(fmt: str) -> None:
    text = render_handout(build_handout(derive(NetworkSpec(layers=(2, 2, 2)))), fmt)
    assert r"J = \sum_{j} \left(\hat{y}_{j} - y_{j}\right)^{2}" in text
    assert r"J = \left(\hat{y} - y\right)^{2}" not in text


@pytest.mark.realtool
@pytest.mark.parametrize(
    ("spec", "most"),
    [
        (NetworkSpec(), 7),
        (NetworkSpec(layers=(2, 3, 1), hidden_activation="tanh", cost="binary_cross_entropy"), 8),
    ],
    ids=["seed", "2-3-1"],
)
def test_handouts_stay_short(tmp_path: Path, spec: NetworkSpec, most: int) -> None:
    from symderiv.api import write_handout

    realtools.require_tool("pdfinfo", realtools.PDFTOTEXT_HINT)
    realtools.require_tool("pdflatex", "apt-get install texlive-latex-base")
    write_handout(spec, tmp_path, "pdf")
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "handout.pdf")], capture_output=True, text=True
    )
    pages = int(
        next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages"))
    )
    assert pages <= most


@pytest.mark.realtool
@pytest.mark.parametrize("layers", [(2, 2, 4), (1, 2, 3, 3)])
def test_a_hidden_delta_over_many_outputs_fits_the_page(
    tmp_path: Path, layers: tuple[int, ...]
) -> None:
    """A hidden delta with three or more nodes downstream is boxed over several lines."""
    tex = render_handout(build_handout(derive(NetworkSpec(layers=layers))), "tex")
    assert r"\boxed{\begin{aligned}" in tex
    path = tmp_path / "handout.tex"
    path.write_text(tex, encoding="utf-8")
    realtools.assert_latex_ok(path)
