"""Writing one exercise sheet's files: the sheet and its solutions, and the two answer files.

Into one directory: `exercises` and `solutions` as Markdown, LaTeX and PDF (as asked), the
network's picture `network.svg` beside the Markdown, `answers.csv` (the questions `symderiv check
--batch` can judge, answers empty, for a class to fill in) and `solutions.csv` (the same rows
answered). Every target is checked before anything is written, and each file is written
atomically. An existing file symderiv did not write is replaced only with `force`; an
`answers.csv` that has answers filled in counts as the class's, not symderiv's.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

from symderiv.core import files
from symderiv.core.errors import SymderivError
from symderiv.output import latexbuild
from symderiv.render.diagram import network_svg
from symderiv.render.exercises import CSV_COLUMNS, Sheet, csv_text
from symderiv.render.templating import Math, render

DOCUMENTS = ("exercises", "solutions")
DIAGRAM = "network.svg"
ANSWERS = "answers.csv"
SOLUTIONS = "solutions.csv"
#: Largest CSV file read to decide whether symderiv wrote it.
MAX_CSV_BYTES = 10_000_000


def render_document(sheet: Sheet, document: str, fmt: str) -> str:
    """The exercise sheet or its solutions (`document`) as Markdown (`md`) or LaTeX (`tex`)."""
    title = sheet.title if document == "exercises" else sheet.solutions_title
    kind = "markdown" if fmt == "md" else "latex"
    return render(kind, f"{document}.{fmt}.jinja", sheet=sheet, handout={"title": title},
                  layout=f"standalone.{fmt}.jinja")  # fmt: skip


def sheet_directory(out: Path, sheet: Sheet) -> Path:
    """Where a sheet's files go: `out` itself, or `out/variant-07` for a variant."""
    return out if sheet.variant is None else out / files.safe_name(f"variant-{sheet.variant:02d}")


def target_names(formats: list[str], *, pdf: bool) -> list[str]:
    """The files written for `formats` (md, tex, pdf; the PDFs only when `pdf`), in order."""
    names = [f"{d}.{fmt}" for d in DOCUMENTS for fmt in ("md", "tex") if fmt in formats]
    if "md" in formats:
        names.append(DIAGRAM)
    names += [ANSWERS, SOLUTIONS]
    return names + ([f"{d}.pdf" for d in DOCUMENTS] if pdf else [])


def check_targets(directory: Path, formats: list[str], *, pdf: bool, force: bool) -> None:
    """Refuse, before anything is written, a target that may not be replaced."""
    for name in target_names(formats, pdf=pdf):
        files.check_replaceable(directory / name, force, ours=_recogniser(name))


def write_sheet(
    sheet: Sheet, directory: Path, formats: list[str], *, pdf: bool, force: bool = False
) -> list[str]:
    """Write the sheet's files in `formats` (md, tex, pdf; the PDFs only when `pdf`) and both
    answer files into `directory`; one line per file written or skipped."""
    if "md" in formats:  # the picture the Markdown shows, for viewers without Mermaid
        handout = dataclasses.replace(sheet.handout, diagram_file=Math(DIAGRAM))
        sheet = dataclasses.replace(sheet, handout=handout)
    check_targets(directory, formats, pdf=pdf, force=force)
    directory = files.prepare_directory(directory)
    texts: dict[str, str | bytes] = {}
    rows = sheet.answer_rows()
    report = []
    for name in target_names(formats, pdf=pdf):
        document, _, fmt = name.partition(".")
        if name == DIAGRAM:
            texts[name] = network_svg(sheet.handout.nodes, sheet.handout.edges)
        elif name in (ANSWERS, SOLUTIONS):
            texts[name] = csv_text(rows, answers=name == SOLUTIONS)
        elif fmt == "pdf":
            tex = texts.get(f"{document}.tex") or render_document(sheet, document, "tex")
            texts[name] = latexbuild.compile_pdf(str(tex))
        else:
            texts[name] = render_document(sheet, document, fmt)
        files.write_atomic(directory / name, texts[name], force=force, ours=_recogniser(name))
        report.append(f"wrote {directory / name}")
    if "pdf" in formats and not pdf:
        report.append("skipped the PDFs: pdflatex is not installed (install TeX Live for them)")
    return report


def _recogniser(name: str) -> files.Recogniser:
    if name == ANSWERS:
        return _is_blank_answer_file
    if name == SOLUTIONS:
        return _is_answer_file
    return files.was_written_by_symderiv


def _rows(path: Path) -> list[list[str]] | None:
    """The rows of a CSV file headed `id,param,answer`, or None for anything else."""
    if path.is_symlink() or not path.is_file():
        return None
    try:
        text = files.read_text(path, limit=MAX_CSV_BYTES, kind="CSV file")
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (SymderivError, csv.Error):
        return None
    return rows[1:] if rows and tuple(rows[0]) == CSV_COLUMNS else None


def _is_answer_file(path: Path) -> bool:
    return _rows(path) is not None


def _is_blank_answer_file(path: Path) -> bool:
    """An answer file with no answer filled in: one that no class has worked on yet."""
    rows = _rows(path)
    return rows is not None and all(len(row) == 3 and not row[2].strip() for row in rows)
