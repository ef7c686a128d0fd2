"""Beamer slides: frames, overlays revealing each chain-rule factor, real compilation, escaping,
and which files `--format` writes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.api import render_slides
from symderiv.cli.main import cli
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.render.handout import build_handout
from symderiv.render.slides import grouped, pages, runs
from tests import realtools
from tests.test_handout import HOSTILE_TITLES, assert_title_printed

_FRAME = re.compile(r"\\begin\{frame\}\{([^\n]*)\}\n(.*?)\\end\{frame\}", re.DOTALL)
_OVERFULL_VBOX = re.compile(r"^Overfull \\vbox \((\d+(?:\.\d+)?)pt too high\)", re.MULTILINE)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def frames(tex: str) -> list[tuple[str, str]]:
    """(title, body) of every frame but the title page."""
    return _FRAME.findall(tex)


def slides_for(spec: NetworkSpec, **options: object) -> str:
    return render_slides(build_handout(derive(spec), **options))  # type: ignore[arg-type]


def frame(tex: str, title: str) -> str:
    (body,) = [body for t, body in frames(tex) if t == title]
    return body


def test_the_seed_has_a_frame_for_each_part_of_the_derivation() -> None:
    titles = [title for title, _ in frames(slides_for(NetworkSpec()))]
    assert titles == [
        "The network",
        "The forward pass",
        "The deltas",
        r"The delta $\delta_{2}$",
        r"The delta $\delta_{1}$",
        "The gradients",
        r"Gradient with respect to $w_{1}$",
        r"Gradient with respect to $b_{1}$",
        r"Gradient with respect to $w_{2}$",
        r"Gradient with respect to $b_{2}$",
        "Summary and gradient descent",
    ]


def test_a_chain_rule_product_is_revealed_factor_by_factor() -> None:
    body = frame(slides_for(NetworkSpec()), r"Gradient with respect to $w_{1}$")
    # The five factors ∂J/∂ŷ · ∂ŷ/∂z2 · ∂z2/∂a1 · ∂a1/∂z1 · ∂z1/∂w1, each on its own overlay,
    # highlighted there in the symbolic product and in the values.
    assert re.findall(r"\\uncover<(\d+)->", body) == ["2", "3", "4", "5", "6"]
    for overlay in range(2, 7):
        assert body.count(f"\\alert<{overlay}>") == 2
    values = re.findall(r"\\uncover<\d+->\{(?:\\cdot )?\\alert<\d+>\{(.*?)\}\} ", body)
    assert values == [
        r"2 \left(\hat{y} - y\right)",
        r"\hat{y} \left(1 - \hat{y}\right)",
        "w_{2}",
        r"a_{1} \left(1 - a_{1}\right)",
        "x",
    ]
    # then the boxed result, in delta form
    boxed = r"\boxed{\frac{\partial J}{\partial w_{1}} = \delta_{1} x}"
    assert "\\onslide<7->\n\\[\n  " + boxed in body


def test_each_delta_is_revealed_then_boxed() -> None:
    tex = slides_for(NetworkSpec(cost="binary_cross_entropy"))
    output = frame(tex, r"The delta $\delta_{2}$")
    assert re.findall(r"\\(?:uncover|item|onslide)<(\d+)->", output) == ["2", "3", "2", "3", "4"]
    assert r"\boxed{\delta_{2} = \hat{y} - y}" in output  # simplified: ŷ(1 − ŷ) cancels
    hidden = frame(tex, r"The delta $\delta_{1}$")
    assert r"\uncover<2->{\alert<2>{\delta_{2} w_{2}}}" in hidden
    assert r"\boxed{\delta_{1} = \delta_{2} w_{2} a_{1} \left(1 - a_{1}\right)}" in hidden


def test_a_wide_network_has_representatives_tables_and_the_layer_equations() -> None:
    tex = slides_for(NetworkSpec(layers=(2, 3, 2), hidden_activation="relu"))
    titles = [title for title, _ in frames(tex)]
    gradients = [t for t in titles if t.startswith("Gradient with respect to")]
    assert len(gradients) == 3  # one weight per layer, and the output bias
    assert sum(t.startswith("The delta $") for t in titles) == 5  # one per node
    assert "Every gradient" in titles
    every = frame(tex, "Every gradient")
    assert every.count(r"\partial J/\partial") == 17  # every parameter, in the table
    backward = frame(tex, "Layer by layer: BP1--BP4")
    for label in ("BP1", "BP2", "BP3", "BP4"):
        assert f"\n{label} & " in backward
    assert r"$n_{1} \times n_{0}$ \quad ($3 \times 2$)" in backward  # ∂J/∂W^(1): its shape
    # A hidden delta sums over both nodes above, one path per overlay, then the slope.
    hidden = frame(tex, r"The delta $\delta^{(1)}_{1}$ of node 1 of layer 1")
    assert re.findall(r"\\uncover<(\d+)->", hidden) == ["2", "3", "4"]
    summary = frame(tex, "Summary and gradient descent")
    update = r"W^{(2)} \leftarrow W^{(2)} - \eta\, \delta^{(2)} \left(a^{(1)}\right)^{\top}"
    assert update in summary


def test_long_lists_are_cut_into_numbered_frames() -> None:
    assert runs([1, 2, 3, 4, 5], 2) == ((1, 2), (3, 4), (5,))
    numbered = pages("abc", 2)
    assert [(p.items, p.suffix, p.last) for p in numbered] == [
        (("a", "b"), " (1/2)", False),
        (("c",), " (2/2)", True),
    ]
    assert pages("ab", 2)[0].suffix == "" and pages([], 3) == ()
    tex = slides_for(NetworkSpec(layers=(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)))
    titles = [title for title, _ in frames(tex)]
    assert "The forward pass (2/2)" in titles and "Summary and gradient descent (3/3)" in titles


def test_a_factor_that_is_a_sum_is_bracketed() -> None:
    a, w = sp.symbols("a w")
    assert grouped(1 - a**2) and grouped(-w)
    assert not grouped(a * (1 - a)) and not grouped(w)
    tex = slides_for(NetworkSpec(layers=(1, 1, 1), hidden_activation="tanh"))
    body = frame(tex, r"The delta $\delta_{1}$")
    assert r"\cdot \alert<3>{\left(1 - a_{1}^{2}\right)}" in body


@pytest.mark.realtool
@pytest.mark.parametrize(
    "spec",
    [  # the seed is compiled from the command line below
        NetworkSpec(layers=(2, 3, 2), hidden_activation="relu"),
        NetworkSpec(layers=(1, 1, 1, 1), hidden_activation="tanh", cost="binary_cross_entropy"),
        NetworkSpec(layers=(2, 2, 1), examples=3, l2=0.1, cost="abstract"),
    ],
    ids=lambda spec: f"{spec.label}-{spec.cost}-{spec.examples}",
)
def test_slides_compile_cleanly(tmp_path: Path, spec: NetworkSpec) -> None:
    """No error, no line or frame too full: an overfull vbox is a frame whose end is cut off."""
    path = tmp_path / "slides.tex"
    path.write_text(slides_for(spec, warmup=spec.depth > 2), encoding="utf-8")
    result = realtools.assert_latex_ok(path, expect_text=["Summary and gradient descent"])
    too_high = [float(h) for h in _OVERFULL_VBOX.findall(result.log)]
    assert not [h for h in too_high if h > realtools.OVERFULL_THRESHOLD_PT], result.summary()


@pytest.mark.realtool
def test_seed_slides_from_the_command_line(tmp_path: Path) -> None:
    code, out, err = invoke("handout", "--out", str(tmp_path), "--format", "beamer")
    assert code == 0, err
    slides = tmp_path / "handout-slides.tex"
    assert out.splitlines() == [f"wrote {slides}"]
    tex = slides.read_text()
    assert tex.startswith("% Generated by symderiv")
    assert len(frames(tex)) + 1 >= 6  # and the title page
    result = realtools.assert_latex_ok(
        slides, expect_text=["The delta", "Gradient with respect to", "Summary"]
    )
    pdfinfo = realtools.require_tool("pdfinfo", realtools.PDFTOTEXT_HINT)
    info = subprocess.run([pdfinfo, str(result.pdf_path)], capture_output=True, text=True)
    (pages_line,) = [line for line in info.stdout.splitlines() if line.startswith("Pages:")]
    # every overlay is a page: far more pages than the 12 frames
    assert int(pages_line.split()[1]) > 3 * (len(frames(tex)) + 1)
    code, _, err = invoke("handout", "--out", str(tmp_path), "--format", "beamer")
    assert code == 0, err  # its own file is replaced without --force


@pytest.mark.realtool
@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_print_literally_on_the_slides(tmp_path: Path, title: str) -> None:
    code, _, err = invoke("handout", "--out", str(tmp_path), "--title", title, "--format", "beamer")
    assert code == 0, err
    result = realtools.compile_latex(tmp_path / "handout-slides.tex", runs=1)
    assert result.returncode == 0 and not result.errors, result.summary()
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "evil.tex").exists()
    assert_title_printed(result, title)


@pytest.mark.parametrize(
    ("formats", "written"),
    [
        ("beamer", ["handout-slides.tex"]),
        ("md,beamer", ["handout.md", "handout-network.svg", "handout-slides.tex"]),
        ("tex,beamer", ["handout.tex", "handout-slides.tex"]),
    ],
)
def test_beamer_writes_the_slides_beside_what_else_is_asked(
    tmp_path: Path, formats: str, written: list[str]
) -> None:
    code, out, err = invoke("handout", "--out", str(tmp_path), "--format", formats)
    assert code == 0, err
    assert out.splitlines() == [f"wrote {tmp_path / name}" for name in written]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written)


def test_beamer_with_pdf_compiles_each_latex_file_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which documents `pdf` compiles, seen without TeX: the compiler records what it is given."""
    from symderiv.output import latexbuild

    compiled: list[str] = []

    def record(tex: str) -> bytes:
        compiled.append("slides" if "{beamer}" in tex else "handout")
        return b"%PDF-1.5 symderiv"

    monkeypatch.setattr(latexbuild, "find_pdflatex", lambda: "/usr/bin/pdflatex")
    monkeypatch.setattr(latexbuild, "compile_pdf", record)
    expected = {
        "pdf": ["handout"],
        "md,pdf": ["handout"],
        "beamer,pdf": ["slides"],
        "tex,beamer,pdf": ["handout", "slides"],
    }
    for formats, documents in expected.items():
        compiled.clear()
        out = tmp_path / formats.replace(",", "_")
        code, _, err = invoke("handout", "--out", str(out), "--format", formats)
        assert code == 0, err
        assert compiled == documents, formats
        pdfs = sorted(p.name for p in out.glob("*.pdf"))
        names = {"handout": "handout.pdf", "slides": "handout-slides.pdf"}
        assert pdfs == sorted(names[d] for d in documents)


def test_slides_are_refused_as_a_fragment_and_foreign_files_kept(tmp_path: Path) -> None:
    code, _, err = invoke("handout", "--out", str(tmp_path), "--format", "beamer", "--fragment")
    assert code == 2 and "slides are a whole document" in err
    mine = tmp_path / "handout-slides.tex"
    mine.write_text("my slides\n")
    code, _, err = invoke("handout", "--out", str(tmp_path), "--format", "beamer")
    assert code == 2 and "--force" in err and mine.read_text() == "my slides\n"


def test_missing_tex_engine_for_the_slides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex here
    code, _, err = invoke("handout", "--out", str(tmp_path / "a"), "--format", "beamer,pdf")
    assert code == 2 and "pdflatex is not installed" in err
    assert not (tmp_path / "a" / "handout-slides.tex").exists()  # refused before writing
