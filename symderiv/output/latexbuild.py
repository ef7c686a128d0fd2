"""Compiling a generated `.tex` file to PDF with pdflatex, safely.

pdflatex runs with shell escape off, in a private temporary directory holding only a copy of
the document (so no `latexmkrc`, no stray input files), on `./handout.tex` (a name starting with
`-` would be read as an option), with a time limit; only the PDF comes back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from symderiv.core.errors import SymderivError

TIMEOUT_SECONDS = 120


def find_pdflatex() -> str | None:
    """Path to pdflatex, or None when no TeX engine is installed."""
    return shutil.which("pdflatex")


def compile_pdf(tex: str) -> bytes:
    """The PDF for LaTeX source `tex`, compiled twice so that references settle."""
    engine = find_pdflatex()
    if engine is None:
        raise SymderivError(
            "pdflatex is not installed: install TeX Live (e.g. texlive-latex-base)."
        )
    with tempfile.TemporaryDirectory(prefix="symderiv-tex-") as work:
        source = Path(work) / "handout.tex"
        source.write_text(tex, encoding="utf-8")
        env = {**os.environ, "openout_any": "p", "shell_escape": "f"}
        env.update(SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")  # reproducible PDFs
        command = [
            engine,
            "-no-shell-escape",
            "-halt-on-error",
            "-interaction=nonstopmode",
            "./handout.tex",
        ]
        for _ in range(2):
            try:
                run = subprocess.run(
                    command, cwd=work, env=env, capture_output=True, timeout=TIMEOUT_SECONDS,
                    stdin=subprocess.DEVNULL,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise SymderivError(
                    f"pdflatex did not finish within {TIMEOUT_SECONDS} s."
                ) from None
            if run.returncode != 0:
                log = (Path(work) / "handout.log").read_text(errors="replace")
                first = next((line for line in log.splitlines() if line.startswith("!")), "")
                raise SymderivError(f"pdflatex failed: {first or 'see its log'}")
        return (Path(work) / "handout.pdf").read_bytes()
