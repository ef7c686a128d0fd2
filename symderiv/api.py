"""The Python API: the one public surface, and what the command line is a thin layer over.

Every entry point is re-exported at the top level:

>>> import symderiv
>>> backprop = symderiv.derive(layers=(1, 1, 1))     # the seed network
>>> backprop.gradient("w1").value
delta1*x
>>> symderiv.steps("ln(2 + cos(x))").result
-sin(x)/(cos(x) + 2)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from symderiv.core import notation as notations
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import Backprop, Gradient
from symderiv.engine.derivation import derive as derive_spec

if TYPE_CHECKING:
    import sympy as sp

    from symderiv.calculus import Step
    from symderiv.check.result import CheckResult
    from symderiv.numbers.gradcheck import GradCheck
    from symderiv.render.example import WorkedExample
    from symderiv.render.exercises import Sheet

__all__ = [
    "NetworkSpec",
    "Notation",
    "check_answer",
    "derive",
    "exercise_sheets",
    "generate_code",
    "gradcheck",
    "render_derivation",
    "render_handout",
    "render_slides",
    "render_steps",
    "select_gradients",
    "steps",
    "use_notation",
    "worked_example",
    "write_exercises",
    "write_handout",
]


Notation = notations.Notation
F = TypeVar("F", bound=Callable[..., Any])


def in_notation(func: F) -> F:
    """Run `func` in the notation its keyword `notation` names (a preset's name such as "ng", or
    a `Notation`; None: the one in force): what it writes, and the names it reads, follow it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with notations.using(kwargs.get("notation")):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def use_notation(chosen: Notation | str) -> Notation:
    """Write everything in `chosen` from now on (`"default"`, `"nielsen"`, `"ng"`, `"cs231n"`):
    for a notebook, whose displays are rendered after the call that made them."""
    return notations.set_default(chosen)


def derive(spec: NetworkSpec | None = None, **fields: Any) -> Backprop:
    """The back-propagation derivation of a network: the spec, or its fields as keywords
    (`derive(layers=(2, 3, 1), hidden_activation="tanh")`); with neither, the seed 1-1-1."""
    if fields:
        from dataclasses import fields as spec_fields

        from symderiv.core.errors import SpecError, did_you_mean

        known = [f.name for f in spec_fields(NetworkSpec)]
        for name in fields:
            if name not in known:
                raise SpecError(did_you_mean("network field", name, known))
        if "layers" in fields:
            fields["layers"] = tuple(fields["layers"])
        spec = (spec or NetworkSpec()).with_options(**fields)
    return derive_spec(spec)


def steps(expression: str | sp.Expr, wrt: str | None = None) -> Step:
    """The step tree of d(expression)/d(wrt); text is read by the safe parser, never evaluated.

    `wrt` may be left out when the expression has one variable.
    """

    from symderiv.calculus import differentiate
    from symderiv.parse.plain import parse_expression

    parsed = parse_expression(expression) if isinstance(expression, str) else expression
    return differentiate(parsed, variable_of(parsed, wrt))


STEPS_FORMATS = ("text", "latex", "markdown")


@in_notation
def render_steps(
    step: Step, fmt: str = "markdown", *, notation: Notation | str | None = None
) -> str:
    """A step tree as readable text, LaTeX or Markdown: each rule named, in reading order."""
    from symderiv.core.errors import SymderivError, did_you_mean

    if fmt not in STEPS_FORMATS:
        raise SymderivError(did_you_mean("format", fmt, STEPS_FORMATS))
    if fmt == "text":
        from symderiv.render.steps import to_text

        return to_text(step)
    from symderiv.render.handout import LocalDerivation, explained
    from symderiv.render.templating import render

    derivation = LocalDerivation("", step.expr, step.wrt, step.result, explained(step))
    template = "steps.tex.jinja" if fmt == "latex" else "steps.md.jinja"
    return render(fmt, template, derivation=derivation)


def variable_of(expr: sp.Expr, wrt: str | None) -> sp.Symbol:
    """The symbol named `wrt`, or the expression's only free symbol."""
    import sympy as sp

    from symderiv.core.errors import SymderivError, did_you_mean
    from symderiv.parse.plain import parse_expression

    names = sorted(s.name for s in expr.free_symbols)
    if wrt is None:
        if len(names) == 1:
            return sp.Symbol(names[0])
        if not names:
            return sp.Symbol("x")
        raise SymderivError(
            f"the expression has several variables ({', '.join(names)}): choose one with --wrt"
        )
    try:
        parsed = parse_expression(wrt)
    except SymderivError as error:
        raise SymderivError(f"--wrt: {error}") from None
    if not isinstance(parsed, sp.Symbol):
        raise SymderivError(f"--wrt must be one variable name, not {wrt!r}")
    if names and parsed.name not in names:
        raise SymderivError(
            did_you_mean("variable", parsed.name, names)
            + " (--wrt must name a variable of the expression)"
        )
    return parsed


@in_notation
def check_answer(
    answer: str,
    param: str,
    spec: NetworkSpec | None = None,
    *,
    fmt: str = "auto",
    timeout: float | None = None,
    notation: Notation | str | None = None,
) -> CheckResult:
    """Judge a hand-derived `∂J/∂param`, in a child process with time and memory limits."""
    from symderiv.check.limited import check as check_limited
    from symderiv.check.sandbox import DEFAULT_TIMEOUT

    seconds = DEFAULT_TIMEOUT if timeout is None else timeout
    return check_limited(spec, param, answer, fmt=fmt, timeout=seconds)


@in_notation
def worked_example(
    spec: NetworkSpec | None = None,
    values: str | None = None,
    *,
    table: Any = None,
    steps: int = 1,
    digits: int = 4,
    notation: Notation | str | None = None,
) -> WorkedExample:
    """The worked numeric example: `values` as on the command line (`"x=1/2,w1=0.3"`), `table`
    as a spec's `[values]` table; the defaults fill in the rest."""
    from symderiv.numbers.values import resolve_values
    from symderiv.render.example import worked_example as build

    backprop = derive_spec(spec)
    return build(backprop, resolve_values(backprop.network, table, values), steps, digits=digits)


@in_notation
def gradcheck(
    spec: NetworkSpec | None = None,
    values: str | None = None,
    *,
    table: Any = None,
    notation: Notation | str | None = None,
) -> GradCheck:
    """Every derived gradient against central finite differences of the cost, in float64."""
    from symderiv.numbers.gradcheck import check_gradients
    from symderiv.numbers.values import resolve_values

    backprop = derive_spec(spec)
    return check_gradients(backprop, resolve_values(backprop.network, table, values))


@in_notation
def generate_code(
    spec: NetworkSpec | None = None, *, notation: Notation | str | None = None
) -> str:
    """A self-contained NumPy module with the network's forward and backward pass."""
    from symderiv.render.codegen import generate_module

    return generate_module(derive_spec(spec))


def select_gradients(backprop: Backprop, param: str) -> list[Gradient]:
    """The gradients called `param`, or all of them for `all`."""
    if param.strip().lower() == "all":
        return list(backprop.gradients)
    return [backprop.gradient_written(param.strip())]


DERIVE_FORMATS = ("text", "latex", "markdown", "json")
MATRIX_TITLE = "Back-propagation, layer by layer"


@in_notation
def render_derivation(
    spec: NetworkSpec | None,
    param: str = "all",
    fmt: str = "text",
    *,
    form: str | None = None,
    expand: bool = False,
    notation: Notation | str | None = None,
) -> str:
    """The derivation of `param` (or all parameters) as text, LaTeX, Markdown or JSON.

    `form` is `scalar` (node by node: deltas and gradients), `matrix` (the layer equations
    BP1–BP4 with their shapes) or `both`; by default scalar for a chain network and both for a
    wider one. With every parameter, each delta is shown once and each gradient in delta form;
    expanded forms are shown for small selections, or for any with `expand`. LaTeX and Markdown
    give the handout's sections for the scalar form, as a fragment.
    """
    from symderiv.core.errors import SymderivError, did_you_mean
    from symderiv.render.derive_text import FORMS, default_form

    spec = spec or NetworkSpec()
    if fmt not in DERIVE_FORMATS:
        raise SymderivError(did_you_mean("format", fmt, DERIVE_FORMATS))
    form = default_form(spec) if form is None else form
    if form not in FORMS:
        raise SymderivError(did_you_mean("form", form, FORMS))
    every = param.strip().lower() == "all"
    matrix = None
    if form != "scalar":
        from symderiv.engine.layers import derive_layers

        matrix = derive_layers(spec)
    if form == "matrix":
        if not every:
            _check_parameter(spec, param)
        return _render_matrix(spec, matrix, fmt, form)

    backprop = derive_spec(spec)
    gradients = select_gradients(backprop, param)
    if fmt in ("text", "json"):
        from symderiv.render.derive_text import derive_view

        view = derive_view(backprop, gradients, matrix, every=every, expand=expand)
        if fmt == "json":
            from symderiv.render.derive_json import derive_json

            return derive_json(view, spec, form)
        from symderiv.render.templating import render

        return render("text", "derive.txt.jinja", derivation=view)
    from symderiv.render.handout import build_handout

    handout = build_handout(backprop, gradients=gradients)
    if matrix is None:
        return render_handout(handout, "md" if fmt == "markdown" else "tex", fragment=True)
    return _render_both(handout, matrix, fmt)


def _check_parameter(spec: NetworkSpec, param: str) -> None:
    """Refuse a parameter the network does not have (the matrix form alone names none)."""
    from symderiv.core.errors import SymderivError, did_you_mean
    from symderiv.core.naming import shown_name
    from symderiv.core.network import build_network

    names = [shown_name(p.name) for p in build_network(spec).parameters]
    if param.strip() not in names:
        raise SymderivError(did_you_mean("parameter", param.strip(), names))


def _render_matrix(spec: NetworkSpec, matrix: Any, fmt: str, form: str) -> str:
    """The matrix form alone, in `fmt`."""
    from symderiv.render.templating import render

    if fmt == "json":
        from symderiv.render.derive_json import derive_json
        from symderiv.render.derive_text import DeriveText

        return derive_json(DeriveText(None, (), matrix), spec, form)
    if fmt == "text":
        from symderiv.render.derive_text import DeriveText

        return render("text", "derive.txt.jinja", derivation=DeriveText(None, (), matrix))
    title = {"title": MATRIX_TITLE}
    if fmt == "markdown":
        return render("markdown", "derive_matrix.md.jinja", matrix=matrix, handout=title)
    return render("latex", "derive_matrix.tex.jinja", matrix=matrix, handout=title)


def _render_both(handout: object, matrix: Any, fmt: str) -> str:
    """The layer equations, then the handout's sections for the scalar form, as a fragment."""
    from symderiv.render.templating import render

    if fmt == "markdown":
        return render("markdown", "derive_both.md.jinja", handout=handout, matrix=matrix,
                      layout="fragment.md.jinja")  # fmt: skip
    return render("latex", "derive_both.tex.jinja", handout=handout, matrix=matrix,
                  layout="fragment.tex.jinja")  # fmt: skip


FORMAT_NAMES = {"md": "markdown", "tex": "latex", "beamer": "beamer", "pdf": "pdf"}


def parse_formats(text: str) -> list[str]:
    """`"md,tex,pdf"` to `["md", "tex", "pdf"]`, refusing anything else by name."""
    from symderiv.core.errors import SymderivError, did_you_mean

    formats = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not formats:
        raise SymderivError(
            "no format given: use md, tex, beamer and/or pdf, e.g. --format md,tex."
        )
    for fmt in formats:
        if fmt not in FORMAT_NAMES:
            raise SymderivError(did_you_mean("format", fmt, FORMAT_NAMES))
    return list(dict.fromkeys(formats))


@in_notation
def render_handout(
    handout: object, fmt: str, *, fragment: bool = False, notation: Notation | str | None = None
) -> str:
    """The handout as Markdown (`md`) or LaTeX (`tex`) text."""
    from symderiv.render.templating import render

    kind = "standalone" if not fragment else "fragment"
    if fmt == "md":
        return render("markdown", "handout.md.jinja", handout=handout, layout=f"{kind}.md.jinja")
    return render("latex", "handout.tex.jinja", handout=handout, layout=f"{kind}.tex.jinja")


@in_notation
def render_slides(handout: Any, *, notation: Notation | str | None = None) -> str:
    """The handout as Beamer slides (LaTeX text): a frame per delta and per gradient written
    out, each chain-rule product revealed factor by factor; for a wider network the layer
    equations too, and the update by whole layers."""
    from symderiv.render.slides import build_slides
    from symderiv.render.templating import render

    matrix = None
    if not handout.network.spec.is_chain:
        from symderiv.engine.layers import derive_layers

        matrix = derive_layers(handout.network.spec)
    return render("beamer", "slides.tex.jinja", slides=build_slides(handout, matrix))


def _compiled_documents(wanted: list[str]) -> list[str]:
    """Which documents `pdf` compiles: each LaTeX document asked for (`tex`: the handout,
    `beamer`: the slides), or the handout when neither is."""
    if "pdf" not in wanted:
        return []
    latex: list[str] = [fmt for fmt in ("tex", "beamer") if fmt in wanted]
    return latex or ["tex"]


@in_notation
def write_handout(
    spec: NetworkSpec | None,
    out: Path,
    formats: str = "md,tex,pdf",
    *,
    title: str | None = None,
    name: str = "handout",
    fragment: bool = False,
    warmup: bool = False,
    force: bool = False,
    pdf_required: bool = True,
    values_table: object = None,
    values_flag: str | None = None,
    example: bool = False,
    steps: int = 1,
    digits: int = 4,
    notation: Notation | str | None = None,
) -> list[str]:
    """Write the handout files into `out`; returns one line per file written or skipped.

    A worked numeric example is included when `example` is set or values are given (the
    `[values]` table, or `--values`); with `steps` > 1 it plots the cost curve, drawn in TikZ
    in LaTeX and written as an SVG file beside the Markdown.
    """
    from symderiv.core import files
    from symderiv.core.errors import SymderivError
    from symderiv.output import latexbuild
    from symderiv.render.handout import build_handout
    from symderiv.render.templating import Math

    wanted = parse_formats(formats)
    base = files.safe_name(name)
    if "pdf" in wanted and fragment:
        raise SymderivError("a --fragment cannot be compiled on its own: drop pdf or --fragment.")
    if "beamer" in wanted and fragment:
        raise SymderivError("slides are a whole document: drop beamer or --fragment.")
    pdf = "pdf" in wanted and (pdf_required or latexbuild.find_pdflatex() is not None)
    if pdf and latexbuild.find_pdflatex() is None:
        raise SymderivError("pdflatex is not installed: install TeX Live, or leave out pdf.")
    backprop = derive_spec(spec)
    worked = None
    if example or values_table is not None or values_flag is not None:
        from symderiv.numbers.values import resolve_values
        from symderiv.render.example import worked_example

        values = resolve_values(backprop.network, values_table, values_flag)
        plot = f"{base}-cost.svg"
        worked = worked_example(backprop, values, steps, digits=digits, plot_file=plot)
    handout = build_handout(backprop, title=title, warmup=warmup, example=worked)
    directory = files.prepare_directory(out)
    compiled = _compiled_documents(wanted) if pdf else []
    targets = {fmt: directory / f"{base}.{fmt}" for fmt in wanted if fmt in ("md", "tex")}
    if "tex" in compiled:
        targets["pdf"] = directory / f"{base}.pdf"
    if "beamer" in wanted:
        targets["beamer"] = directory / f"{base}-slides.tex"
    if "beamer" in compiled:
        targets["slides-pdf"] = directory / f"{base}-slides.pdf"
    if worked is not None and worked.plot_file is not None and "md" in wanted:
        targets["svg"] = directory / worked.plot_file
    if "md" in wanted and not fragment:  # a picture of the network, for viewers without Mermaid
        targets["diagram"] = directory / f"{base}-network.svg"
        handout = dataclasses.replace(handout, diagram_file=Math(targets["diagram"].name))
    for path in targets.values():  # refuse before writing anything
        files.check_replaceable(path, force)
    report: list[str] = []
    tex = None
    for fmt in ("md", "tex"):
        if fmt in wanted or fmt in compiled:
            text = render_handout(handout, fmt, fragment=fragment)
            if fmt == "tex":
                tex = text
            if fmt in wanted:
                files.write_atomic(targets[fmt], text, force=force)
                report.append(f"wrote {targets[fmt]}")
    if "svg" in targets and worked is not None:
        from symderiv.render.cost_curve import cost_curve_svg

        files.write_atomic(targets["svg"], cost_curve_svg(worked.history), force=force)
        report.append(f"wrote {targets['svg']}")
    if "diagram" in targets:
        from symderiv.render.diagram import network_svg

        files.write_atomic(
            targets["diagram"], network_svg(handout.nodes, handout.edges), force=force
        )
        report.append(f"wrote {targets['diagram']}")
    if tex is not None and "tex" in compiled:
        files.write_atomic(targets["pdf"], latexbuild.compile_pdf(tex), force=force)
        report.append(f"wrote {targets['pdf']}")
    if "beamer" in wanted:
        slides = render_slides(handout)
        files.write_atomic(targets["beamer"], slides, force=force)
        report.append(f"wrote {targets['beamer']}")
        if "beamer" in compiled:
            files.write_atomic(targets["slides-pdf"], latexbuild.compile_pdf(slides), force=force)
            report.append(f"wrote {targets['slides-pdf']}")
    if "pdf" in wanted and not compiled:
        report.append("skipped the PDF: pdflatex is not installed (install TeX Live for it)")
    return report


EXERCISES_TITLE = "Back-propagation exercises"


@in_notation
def exercise_sheets(
    spec: NetworkSpec | None = None,
    *,
    params: str | None = None,
    numbers: bool = False,
    values_table: object = None,
    values_flag: str | None = None,
    seed: int | None = None,
    variants: int | None = None,
    matrix: bool | None = None,
    title: str | None = None,
    digits: int = 4,
    notation: Notation | str | None = None,
) -> list[Sheet]:
    """The exercise sheets `write_exercises` writes, as data (one, or one per variant).

    `params` names the gradients asked (`"w2,b1"` or `"all"`; by default one weight and one bias
    per layer). `numbers` adds a question with numbers (the `[values]` table, `values_flag` or the
    defaults). `seed` draws the numbers and the default parameters, and implies `numbers`;
    `variants` makes that many sheets, drawn from `seed` (0 if unset). `matrix` asks for the
    layer equations BP1–BP4 (by default for a network that is not a chain).
    """
    from symderiv.core.errors import SymderivError
    from symderiv.render import variants as drawing
    from symderiv.render.exercises import build_sheet, cut_example
    from symderiv.render.handout import MAX_HANDOUT_PARAMETERS, build_handout

    spec = spec or NetworkSpec()
    if spec.parameter_count > MAX_HANDOUT_PARAMETERS:
        raise SymderivError(
            f"an exercise sheet covers networks of at most {MAX_HANDOUT_PARAMETERS} parameters; "
            f"this one has {spec.parameter_count}."
        )
    if spec.examples > 1 or spec.l2 > 0:
        raise SymderivError(
            "exercises are written for one example without weight decay: leave out --examples "
            "and --l2."
        )
    chosen = drawing.variants(seed, variants)
    numbers = numbers or seed is not None or variants is not None
    backprop = derive_spec(spec)
    handout = build_handout(backprop)
    layers = None
    if matrix or (matrix is None and not spec.is_chain):
        from symderiv.engine.layers import derive_layers

        layers = derive_layers(spec)
    sheets = []
    for variant in chosen:
        gradients = drawing.choose_gradients(backprop, params, variant.rng)
        example = None
        if numbers:
            from symderiv.render.example import worked_example

            values = drawing.sheet_values(backprop, variant, values_table, values_flag)
            example = cut_example(worked_example(backprop, values, digits=digits), gradients)
        sheet = build_sheet(
            handout, gradients, title=title or EXERCISES_TITLE, variant=variant.number,
            example=example, matrix=layers,
        )  # fmt: skip
        sheets.append(sheet)
    return sheets


@in_notation
def write_exercises(
    spec: NetworkSpec | None,
    out: Path,
    formats: str = "md,tex,pdf",
    *,
    force: bool = False,
    pdf_required: bool = True,
    notation: Notation | str | None = None,
    **options: Any,
) -> list[str]:
    """Write an exercise sheet, its solutions and the answer files for `check --batch` into
    `out` (with `variants`, one directory `out/variant-NN/` per sheet); returns one line per
    file written or skipped. `options` are those of `exercise_sheets`.

    Every target of every sheet is checked before anything is written.
    """
    from symderiv.core.errors import SymderivError
    from symderiv.output import latexbuild
    from symderiv.output.exercises import check_targets, sheet_directory, write_sheet

    wanted = parse_formats(formats)
    pdf = "pdf" in wanted and (pdf_required or latexbuild.find_pdflatex() is not None)
    if pdf and latexbuild.find_pdflatex() is None:
        raise SymderivError("pdflatex is not installed: install TeX Live, or leave out pdf.")
    sheets = exercise_sheets(spec, **options)
    for sheet in sheets:
        check_targets(sheet_directory(out, sheet), wanted, pdf=pdf, force=force)
    report: list[str] = []
    for sheet in sheets:
        report += write_sheet(sheet, sheet_directory(out, sheet), wanted, pdf=pdf, force=force)
    return report
