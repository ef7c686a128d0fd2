"""Regenerate the golden files of each notation preset: `python -m tests.regen_notation_golden`.

For every preset, the handout (Markdown and LaTeX) and `derive --param all` (text) of the seed
1-1-1 network and of a 2-2-1 network. Review the diff before committing.
"""

from __future__ import annotations

from pathlib import Path

from symderiv.api import render_derivation, render_handout
from symderiv.core import notation
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.render.handout import build_handout
from tests.regen_golden_handout import write_golden

GOLDEN = Path(__file__).resolve().parent / "golden" / "notation"
NETWORKS = {"seed": NetworkSpec(), "2-2-1": NetworkSpec(layers=(2, 2, 1))}


def golden_texts() -> dict[str, str]:
    """File name (`ng-2-2-1.md`) → text, for every preset, network and format."""
    texts: dict[str, str] = {}
    for preset in notation.PRESETS:
        with notation.using(preset):
            for label, spec in NETWORKS.items():
                handout = build_handout(derive(spec))
                for fmt in ("md", "tex"):
                    texts[f"{preset}-{label}.{fmt}"] = render_handout(handout, fmt)
                texts[f"{preset}-{label}.txt"] = render_derivation(spec, "all", "text")
    return texts


def main() -> None:
    write_golden(GOLDEN, golden_texts())


if __name__ == "__main__":
    main()
