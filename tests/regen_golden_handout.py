"""Regenerate the golden handout files: `python -m tests.regen_golden_handout`.

Review the diff before committing: these files are what the handout says, word for word.
"""

from __future__ import annotations

from pathlib import Path

from symderiv.api import render_handout
from symderiv.engine.derivation import derive
from symderiv.render.handout import build_handout

GOLDEN = Path(__file__).resolve().parent / "golden" / "handout"


def golden_texts() -> dict[str, str]:
    """File name → text, for the seed network's handout in both formats."""
    handout = build_handout(derive(), warmup=True)
    return {f"seed.{fmt}": render_handout(handout, fmt) for fmt in ("md", "tex")}


def write_golden(directory: Path, texts: dict[str, str]) -> None:
    """Write each golden file into `directory`, saying so."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {directory / name}")


def main() -> None:
    write_golden(GOLDEN, golden_texts())


if __name__ == "__main__":
    main()
