"""Jinja environments for the three output formats, and the escaping that keeps them safe.

Math and prose are different types. Anything printed by `symderiv.render.printing` is wrapped in
`Math` and passes through untouched; every other string a template emits goes through the
format's escaper in `finalize`, so a title like `\\input{/etc/passwd}` or `{{ 7*7 }}` prints
literally. Templates are never built from user text. LaTeX and Markdown templates use
`<< >>`, `<% %>` and `<# #>` as delimiters so that TeX's braces and `%` stay TeX's. SVG
templates escape text for XML and print coordinates (floats) as Python writes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import sympy as sp

from symderiv.core import notation
from symderiv.render import printing


class Math(markupsafe.Markup):
    """LaTeX (or Unicode text) made by the printer: trusted, never escaped again.

    A `Markup`, so that joining it with template literals (`~`) keeps it trusted.
    """

    __slots__ = ()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#+\-.!|$~>])")


def escape_markdown(text: str) -> str:
    """Plain text for Markdown: punctuation Markdown or math would act on gets a backslash.

    Parentheses are left alone: with `[` and `]` escaped they make no link, and `\\(` is a math
    delimiter in Jupyter, MathJax and pandoc's `tex_math_single_backslash`."""
    text = text.replace("\r", " ").replace("\n", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _finalizer(
    escape: Callable[[str], str], numbers: tuple[type, ...] = (bool, int)
) -> Callable[[Any], str]:
    """Escape plain text; pass printed math, the templates' own macros' output and `numbers`.

    With `autoescape` on, Jinja marks what templates produce (macro output) as `Markup`; the
    `Markup` this returns is not escaped again by Jinja's HTML escaping.
    """

    def finalize(value: Any) -> str:
        if isinstance(value, (Math, markupsafe.Markup)):
            return markupsafe.Markup(value)
        if isinstance(value, str):
            return markupsafe.Markup(escape(value))
        if isinstance(value, numbers):
            return markupsafe.Markup(value)
        raise TypeError(f"templates print text or Math, not {type(value).__name__}")

    return finalize


def templates_root() -> Path:
    """The installed `symderiv/templates`, or the repository's `templates/` in a checkout."""
    installed = resources.files("symderiv") / "templates"
    if installed.is_dir():
        return Path(str(installed))
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("symderiv's templates are missing from this installation")


FORMATS = ("text", "latex", "markdown", "svg", "beamer")
#: A format written in another's language: its templates come first, then the other's (Beamer
#: slides are LaTeX, and share the LaTeX templates' macros and escaping).
DIALECTS = {"beamer": "latex"}


@cache
def environment(fmt: str) -> jinja2.Environment:
    """The environment for `fmt` (one of FORMATS): its loader, escaping and math filters."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    root = templates_root()
    language = DIALECTS.get(fmt, fmt)
    folders = dict.fromkeys([fmt, language])
    options: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader([*(str(root / f) for f in folders), str(root)]),
        "undefined": jinja2.StrictUndefined,
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "autoescape": False,
    }
    if fmt == "text":
        options["finalize"] = _finalizer(lambda s: s)
        to_math = printing.to_text
    elif fmt == "svg":
        options.update(finalize=_finalizer(markupsafe.escape, (bool, int, float)), autoescape=True)
        to_math = printing.to_text
    else:
        options.update(
            block_start_string="<%",
            block_end_string="%>",
            variable_start_string="<<",
            variable_end_string=">>",
            comment_start_string="<#",
            comment_end_string="#>",
            finalize=_finalizer(printing.escape_latex if language == "latex" else escape_markdown),
            autoescape=True,
        )
        to_math = printing.to_latex
    cache = _bytecode_cache()
    if cache is not None:
        options["bytecode_cache"] = cache
    env = jinja2.Environment(**options)
    env.globals["n"] = WrittenNotation(fmt)
    env.filters["math"] = lambda expr: Math(to_math(expr))
    # LaTeX from symderiv's own registries (activation symbols), never from a user.
    env.filters["trusted_latex"] = Math
    env.filters["math_lines"] = lambda expr: [
        Math(line)
        for line in (printing.latex_lines(expr) if language == "latex" else [to_math(expr)])
    ]
    env.filters["derivative"] = lambda expr, wrt: Math(to_math(sp.Derivative(expr, wrt)))
    # Unicode names for text diagrams, and ASCII with HTML indices for Mermaid labels (which
    # converters set verbatim, where LaTeX has no Unicode), from the engine's own symbols only.
    env.filters["unicode"] = lambda expr: Math(printing.to_text(expr))
    env.filters["mermaid"] = lambda expr: Math(_mermaid_label(printing.to_text(expr)))
    env.filters["anchor"] = lambda label: Math(re.sub(r"[^a-z0-9]+", "-", str(label).lower()))
    env.filters["partial"] = lambda of, wrt: Math(
        _partial_text(of, wrt) if fmt == "text" else _partial_latex(of, wrt)
    )
    # ∂z/∂a on one line, for running text and tables, where a stacked fraction is too small.
    env.filters["slash"] = lambda of, wrt: Math(
        _partial_text(of, wrt) if fmt == "text" else _partial_slash(of, wrt)
    )
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the user's cache, so a cold start does not recompile them.

    Jinja checks each entry against the template's source, so an edited template is
    recompiled. `SYMDERIV_CACHE_DIR` chooses the place; an unusable place means no cache.
    """
    from symderiv import __version__

    base = os.environ.get("SYMDERIV_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "symderiv"
    )
    directory = Path(base) / f"templates-{__version__}"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(directory, os.W_OK):
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


def _is_cost(of: Any) -> bool:
    return isinstance(of, sp.Symbol) and of.name == "J"


def _partial_latex(of: Any, wrt: Any) -> str:
    if _is_cost(of):
        return notation.current().gradient_latex(printing.to_latex(wrt))
    return r"\frac{\partial %s}{\partial %s}" % (printing.to_latex(of), printing.to_latex(wrt))


def _mermaid_label(text: str) -> str:
    """`a₁⁽²⁾` as `a<sub>1</sub><sup>(2)</sup>`; any other non-ASCII letter as Mermaid's entity
    code (`ŷ` is `#375;`), so the block is ASCII."""
    out = []
    for kind, run in printing.index_runs(text):
        plain = "".join(c if c.isascii() else f"#{ord(c)};" for c in run)
        out.append(f"<{kind}>{plain}</{kind}>" if kind else plain)
    return "".join(out)


def _partial_slash(of: Any, wrt: Any) -> str:
    if _is_cost(of):
        return notation.current().gradient_slash(printing.to_latex(wrt))
    return r"\partial %s/\partial %s" % (printing.to_latex(of), printing.to_latex(wrt))


def _partial_text(of: Any, wrt: Any) -> str:
    if _is_cost(of):
        return notation.current().gradient_text(printing.to_text(wrt))
    return f"∂{printing.to_text(of)}/∂{printing.to_text(wrt)}"


class WrittenNotation:
    """The notation in force as a template writes it: `<< n.cost >>`, `<< n.slash("p") >>`.

    A global of each environment, read when a template runs, so it follows `notation.using`.

    Prose that names a quantity in general (`∂J/∂p`, `z^{(l)}`) takes its letters from here, so
    every format follows the notation the user chose. Arguments are the template's own LaTeX
    (or text), never user input.
    """

    def __init__(self, fmt: str) -> None:
        self.latex = fmt != "text" and fmt != "svg"

    @property
    def notation(self) -> notation.Notation:
        return notation.current()

    @property
    def cost(self) -> Math:
        return Math(self.notation.cost)

    @property
    def delta(self) -> Math:
        n = self.notation
        return Math(n.delta_latex if self.latex else n.delta_text)

    @property
    def delta_matrix(self) -> Math:
        n = self.notation
        return Math(n.delta_matrix_latex if self.latex else n.delta_matrix_text)

    @property
    def delta_is_gradient(self) -> bool:
        return self.notation.delta_is_gradient

    @property
    def named_gradients(self) -> bool:
        return self.notation.named_gradients

    @property
    def depth(self) -> Math:
        """The letter of the number of layers (not the cost's letter)."""
        return Math(self.notation.depth)

    @property
    def log(self) -> Math:
        return Math(rf"\{self.notation.log}" if self.latex else self.notation.log)

    @property
    def input_layer(self) -> int:
        return self.notation.input_layer

    def layer(self, layer: int | str) -> Math:
        """A layer's number as written (`l`, or 0 or 1 for the inputs' layer)."""
        return Math(self.notation.shown_layer(layer))

    def mark(self, layer: int | str = "l") -> Math:
        """The layer superscript: `^{(l)}`, `^{l}`, `^{[l]}` (text: `⁽ˡ⁾`, `ˡ`, `^[l]`)."""
        n = self.notation
        return Math(n.mark_latex(layer) if self.latex else n.mark_text(layer))

    def slash(self, wrt: str) -> Math:
        r"""The cost's gradient with respect to `wrt` on one line: `\partial J/\partial p`, `dp`."""
        n = self.notation
        return Math(n.gradient_slash(wrt) if self.latex else n.gradient_text(wrt))

    def frac(self, wrt: str) -> Math:
        """The same as a fraction (text: one line)."""
        n = self.notation
        return Math(n.gradient_latex(wrt) if self.latex else n.gradient_text(wrt))

    def partial(self, wrt: str) -> Math:
        r"""`\partial J/\partial z` written out, whatever gradients are called: a definition."""
        n = self.notation
        return Math(n.partial_slash(wrt) if self.latex else f"∂{n.cost}/∂{wrt}")


def render(fmt: str, template: str, **context: Any) -> str:
    """Render `template` (a file under `templates/<fmt>/`) with plain data as context."""
    from symderiv import __version__

    template_ = environment(fmt).get_template(template)
    return template_.render(version=Math(__version__), **context)
