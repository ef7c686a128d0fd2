"""Regenerate the golden `symderiv derive` outputs: `python -m tests.regen_derive_golden`.

Review the diff before committing: these files are what `derive` prints, word for word.
"""

from __future__ import annotations

from pathlib import Path

from symderiv.api import render_derivation
from symderiv.core.spec import NetworkSpec
from tests.regen_golden_handout import write_golden

GOLDEN = Path(__file__).resolve().parent / "golden" / "derive"

SEED = NetworkSpec()
WIDE = NetworkSpec(layers=(2, 3, 2))
BATCH = NetworkSpec(layers=(2, 2, 1), hidden_activation="tanh", examples=4, l2="1/10")


def golden_texts() -> dict[str, str]:
    """File name → what `derive` prints for it."""
    return {
        "seed_all.txt": render_derivation(SEED),
        "seed_w1.txt": render_derivation(SEED, "w1"),
        "wide_2_3_2_matrix.txt": render_derivation(WIDE, form="matrix"),
        "wide_2_3_2_matrix.tex": render_derivation(WIDE, fmt="latex", form="matrix"),
        "wide_2_3_2_matrix.md": render_derivation(WIDE, fmt="markdown", form="matrix"),
        "batch_2_2_1.txt": render_derivation(BATCH, form="matrix"),
        "wide_2_2_1.json": render_derivation(NetworkSpec(layers=(2, 2, 1)), fmt="json"),
    }


def main() -> None:
    write_golden(GOLDEN, golden_texts())


if __name__ == "__main__":
    main()
