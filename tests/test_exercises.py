"""Exercise sheets: the grader agrees with the solutions, nothing of them leaks into the sheet,
the documents compile and render, variants are reproducible, and files are written safely."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.api import exercise_sheets, write_exercises
from symderiv.check.batch import read_rows, run_batch
from symderiv.check.result import Verdict
from symderiv.cli.main import cli
from symderiv.core.errors import SymderivError
from symderiv.core.spec import NetworkSpec
from symderiv.output.exercises import render_document
from symderiv.parse.plain import parse_expression
from symderiv.render.exercises import Sheet
from symderiv.render.printing import to_latex
from tests import realtools

WIDE = NetworkSpec(layers=(2, 2, 1), hidden_activation="tanh", cost="binary_cross_entropy")
NETWORKS = {
    "seed": NetworkSpec(),
    "2-2-1 tanh cross-entropy": WIDE,
    "2-3-2 relu": NetworkSpec(layers=(2, 3, 2), hidden_activation="relu"),
    "deep softplus": NetworkSpec(
        layers=(1, 1, 1, 1), hidden_activation="softplus", cost="half_squared_error"
    ),
    "abstract cost": NetworkSpec(layers=(1, 2, 1), output_activation="linear", cost="abstract"),
    "no hidden layer": NetworkSpec(layers=(3, 1)),
    "1-3-3-3-1": NetworkSpec(layers=(1, 3, 3, 3, 1)),  # forms too long to write out
}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="symderiv")
    return result.exit_code, result.stdout, result.stderr


def network_flags(spec: NetworkSpec) -> list[str]:
    return [
        "--layers", spec.label, "--activation", spec.hidden_activation,
        "--output-activation", spec.output_activation, "--cost", spec.cost,
    ]  # fmt: skip


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# ------------------------------------------------------------- the grader agrees with the solutions


@pytest.mark.parametrize("spec", NETWORKS.values(), ids=list(NETWORKS))
def test_check_batch_judges_every_solution_correct(tmp_path: Path, spec: NetworkSpec) -> None:
    write_exercises(spec, tmp_path, "md", params="all")
    rows = read_rows(tmp_path / "solutions.csv")
    assert len(rows) == spec.parameter_count  # every gradient asked, one row each
    for row in rows:
        parse_expression(row.answer)  # the plain syntax `check` reads
    report = run_batch(spec, rows, workers=2)
    verdicts = {row.id: result.verdict for row, result in zip(rows, report.results)}
    assert set(verdicts.values()) == {Verdict.CORRECT}, [
        (row.id, row.param, row.answer, result.reason)
        for row, result in zip(rows, report.results)
        if result.verdict is not Verdict.CORRECT
    ]


def test_the_real_command_judges_the_written_solutions_correct(tmp_path: Path) -> None:
    code, _, err = invoke("exercises", *network_flags(WIDE), "--out", str(tmp_path), "--format",
                          "md", "--params", "w1_2_1,b1_2,w2_1_2")  # fmt: skip
    assert code == 0, err
    run = subprocess.run(
        [sys.executable, "-m", "symderiv", "check", "--batch", "solutions.csv",
         "--out-dir", "reports", *network_flags(WIDE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "3 correct, 0 incorrect, 0 cannot judge" in run.stdout
    report = read_csv(tmp_path / "reports" / "report.csv")
    assert [row[3] for row in report[1:]] == ["correct"] * 3


def test_answers_csv_has_the_same_rows_with_empty_answers(tmp_path: Path) -> None:
    write_exercises(WIDE, tmp_path, "md")
    answers, solutions = read_csv(tmp_path / "answers.csv"), read_csv(tmp_path / "solutions.csv")
    assert answers[0] == solutions[0] == ["id", "param", "answer"]
    assert [row[:2] for row in answers] == [row[:2] for row in solutions]
    assert all(row[2] == "" for row in answers[1:]) and all(row[2] for row in solutions[1:])
    # by default one weight and one bias per layer, output layer first, numbered under question 3
    assert [row[:2] for row in answers[1:]] == [
        ["3a", "w2_1_1"], ["3b", "b2_1"], ["3c", "w1_1_1"], ["3d", "b1_1"],
    ]  # fmt: skip
    rows = read_rows(tmp_path / "answers.csv")  # `check --batch` reads the blank file too
    assert [row.problem for row in rows] == ["empty answer"] * 4


def test_a_simplified_output_delta_is_what_the_solutions_use() -> None:
    (sheet,) = exercise_sheets(WIDE)
    (output,) = sheet.outputs.items
    assert output.view.simplified == sp.Symbol("yhat_1") - sp.Symbol("y_1")
    assert [row[2] for row in sheet.answer_rows()][:2] == ["(yhat_1 - y_1)*a1_1", "yhat_1 - y_1"]


# ------------------------------------------------------------- nothing of the solutions leaks


def solution_expressions(sheet: Sheet) -> list[sp.Basic]:
    """Every answer the solutions give that is more than a bare symbol."""
    found: list[sp.Basic] = []
    for question in (sheet.outputs, sheet.hidden):
        for item in question.items if question is not None else ():
            view = item.view
            found += [view.delta.value, view.simplified, view.expanded]
            found += [fv.factor.value for fv in view.factors]
    for gradient in sheet.gradients.items:
        found += [gradient.gradient.value, gradient.written]
    if sheet.matrix is not None:
        layers = sheet.matrix.derivation
        found += [eq.rhs for eq in (*layers.deltas, *layers.gradients)]
    bare = (sp.Atom, sp.MatrixSymbol)
    return [e for e in found if e is not None and not isinstance(e, bare)]


def solution_numbers(sheet: Sheet) -> set[str]:
    """Every number the solutions compute (not those the sheet gives, nor 0 and ±1)."""
    assert sheet.numbers is not None
    example = sheet.numbers.example
    given = {line.value.text for line in (*example.given, example.learning_rate)}
    lines = (*example.forward, *example.factors, *example.deltas, *example.gradients,
             *example.updates)  # fmt: skip
    computed = {line.value.text for line in lines}
    return {text for text in computed - given if text.lstrip("-") not in ("0", "1")}


@pytest.mark.parametrize(
    "spec", [NetworkSpec(), WIDE, NetworkSpec(layers=(2, 3, 2), hidden_activation="relu")],
    ids=["seed", "2-2-1", "2-3-2"],
)  # fmt: skip
def test_nothing_of_the_solutions_is_on_the_exercise_sheet(spec: NetworkSpec) -> None:
    (sheet,) = exercise_sheets(spec, params="all", numbers=True, matrix=True)
    sheets = {fmt: render_document(sheet, "exercises", fmt) for fmt in ("md", "tex")}
    answers = {fmt: render_document(sheet, "solutions", fmt) for fmt in ("md", "tex")}
    expressions = solution_expressions(sheet)
    numbers = solution_numbers(sheet)
    assert len(expressions) > 10 and len(numbers) > 10
    for fmt, text in sheets.items():
        for expr in expressions:
            latex = to_latex(expr)
            assert latex in answers["md"]  # the solutions show it (LaTeX breaks long ones)
            assert latex not in text, f"exercises.{fmt} shows the answer {latex}"
        for number in numbers:
            pattern = rf"(?<![\d.]){re.escape(number)}(?!\d)"
            assert re.search(pattern, answers[fmt]), number
            assert not re.search(pattern, text), f"exercises.{fmt} shows the number {number}"
        for _, _, answer in sheet.answer_rows():
            assert answer not in text


def test_the_sheet_asks_what_the_solutions_answer() -> None:
    (sheet,) = exercise_sheets(WIDE, numbers=True)
    tex = render_document(sheet, "exercises", "tex")
    solutions = render_document(sheet, "solutions", "tex")
    for number, title in ((1, "The output delta"), (2, "The hidden deltas"), (3, "The gradients"),
                          (4, "With numbers"), (5, "Layer by layer")):  # fmt: skip
        assert f"\\subsection*{{{number}\\quad {title}}}" in tex
        assert f"\\section*{{{number}\\quad {title}}}" in solutions
    assert tex.count(r"\answerspace{") == 1 + 2 + 4 + 1 + 1
    assert "x_{1} = 0.5" in tex  # the numbers are given …
    assert "Name:" in tex and "Name:" not in solutions


# ------------------------------------------------------------- the real consumers


@pytest.mark.realtool
@pytest.mark.parametrize(
    "spec",
    [NetworkSpec(), WIDE, NetworkSpec(layers=(2, 3, 2), hidden_activation="relu"),
     NetworkSpec(layers=(1, 1, 1, 1), hidden_activation="tanh", cost="abstract"),
     NETWORKS["1-3-3-3-1"]],
    ids=["seed", "2-2-1", "2-3-2", "abstract", "1-3-3-3-1"],
)  # fmt: skip
def test_sheets_compile_and_render(tmp_path: Path, spec: NetworkSpec) -> None:
    numbers = spec.cost != "abstract"
    write_exercises(spec, tmp_path, "md,tex", numbers=numbers, params="all")
    realtools.assert_latex_ok(
        tmp_path / "exercises.tex", expect_text=["Questions", "The gradients", "Answer"]
    )
    realtools.assert_latex_ok(tmp_path / "solutions.tex", expect_text=["The gradients", "Appendix"])
    for document in ("exercises", "solutions"):
        realtools.assert_markdown_math_ok(tmp_path / f"{document}.md")


@pytest.mark.realtool
def test_the_pdfs_are_written_and_replaced_without_force(tmp_path: Path) -> None:
    realtools.require_tool("pdflatex", realtools.PDFLATEX_HINT)
    for _ in range(2):  # the second run replaces symderiv's own files, PDFs included
        code, out, err = invoke("exercises", "--out", str(tmp_path), "--format", "tex,pdf")
        assert code == 0, err
    for name in ("exercises.pdf", "solutions.pdf"):
        assert (tmp_path / name).read_bytes().startswith(b"%PDF")
    assert f"wrote {tmp_path / 'solutions.pdf'}" in out


# ------------------------------------------------------------- variants


def test_variants_are_reproducible_and_differ(tmp_path: Path) -> None:
    spec = NetworkSpec(layers=(2, 3, 1))
    flags = ["exercises", "--layers", "2-3-1", "--variants", "3", "--seed", "11", "--format", "md"]
    code, _, err = invoke(*flags, "--out", str(tmp_path / "a"))
    assert code == 0, err
    invoke(*flags, "--out", str(tmp_path / "b"))
    names = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    assert names == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert [str(n) for n in names if "/" not in str(n)] == [f"variant-0{i}" for i in (1, 2, 3)]
    for name in names:
        a, b = tmp_path / "a" / name, tmp_path / "b" / name
        assert a.is_dir() or a.read_bytes() == b.read_bytes(), name
    sheets = [(tmp_path / "a" / f"variant-0{i}" / "exercises.md").read_text() for i in (1, 2, 3)]
    assert len(set(sheets)) == 3 and "Variant 2" in sheets[1]
    for i in (1, 2, 3):  # each variant's solutions are its own, and right
        rows = read_rows(tmp_path / "a" / f"variant-0{i}" / "solutions.csv")
        report = run_batch(spec, rows, workers=2)
        assert all(r.verdict is Verdict.CORRECT for r in report.results)


def test_a_seed_draws_short_numbers_and_the_parameters_asked() -> None:
    seeded = [exercise_sheets(WIDE, seed=seed)[0] for seed in range(6)]
    for sheet in seeded:
        assert sheet.numbers is not None  # a seed implies the numbers
        for line in sheet.numbers.example.given:
            assert re.fullmatch(r"-?(0\.\d|1)|0", line.value.text), line.value.text
    asked = {tuple(row[1] for row in sheet.answer_rows()) for sheet in seeded}
    assert len(asked) > 1
    assert exercise_sheets(WIDE, seed=3)[0].answer_rows() == seeded[3].answer_rows()


def test_drawn_numbers_never_sit_on_a_kink() -> None:
    spec = NetworkSpec(layers=(2, 4, 1), hidden_activation="relu")
    for sheet in exercise_sheets(spec, variants=20, seed=1):
        assert sheet.numbers is not None
        for line in sheet.numbers.example.forward:
            if str(line.of).startswith("z"):
                assert line.number != 0


def test_values_change_single_numbers_of_a_seeded_sheet() -> None:
    (sheet,) = exercise_sheets(NetworkSpec(), seed=4, values_flag="x=0.25,eta=0.1")
    assert sheet.numbers is not None
    given = {str(line.of): line.value.text for line in sheet.numbers.example.given}
    assert given["x"] == "0.25" and sheet.numbers.example.learning_rate.value.text == "0.1"


# ------------------------------------------------------------- options and errors


def test_params_choose_the_gradients_output_layer_first() -> None:
    (sheet,) = exercise_sheets(NetworkSpec(layers=(1, 1, 1, 1)), params="b1, w3,w1,b1")
    assert [row[:2] for row in sheet.answer_rows()] == [("3a", "w3"), ("3b", "w1"), ("3c", "b1")]
    (single,) = exercise_sheets(NetworkSpec(), params="w2")
    assert single.answer_rows()[0][0] == "3"  # one question: no letter


def test_forms_too_long_to_write_out_are_not_asked_for() -> None:
    (sheet,) = exercise_sheets(NETWORKS["1-3-3-3-1"], params="w1_1_1,w4_1_1")
    assert not sheet.gradients_written and not sheet.hidden_written
    output, hidden = sheet.gradients.items  # output layer first
    assert output.written is not None and hidden.written is None
    assert "delta" not in hidden.answer  # too long for a page, not for `check`
    tex = render_document(sheet, "exercises", "tex")
    assert "(no deltas left)" not in tex and "then write it out" not in tex
    assert "too long to be useful" in render_document(sheet, "solutions", "md")
    (short,) = exercise_sheets(NetworkSpec())
    assert short.gradients_written and short.hidden_written
    assert "(no deltas left)" in render_document(short, "exercises", "md")


def test_an_answer_beyond_what_check_reads_keeps_the_deltas_above(tmp_path: Path) -> None:
    spec = NetworkSpec(layers=(1, 3, 3, 3, 3, 1))
    write_exercises(spec, tmp_path, "md", params="w1_1_1,b2_3")
    rows = read_rows(tmp_path / "solutions.csv")
    assert [row.answer.startswith("(delta2_1*w2_1_1 + ") for row in rows] == [False, True]
    assert "delta" not in rows[0].answer  # written out while that is within the parser's limits
    report = run_batch(spec, rows, workers=2)
    assert [r.verdict for r in report.results] == [Verdict.CORRECT] * 2


def test_a_network_without_hidden_layer_numbers_its_questions_on() -> None:
    (sheet,) = exercise_sheets(NetworkSpec(layers=(3, 1)), numbers=True)
    assert sheet.hidden is None and sheet.gradients.number == 2
    assert sheet.numbers is not None and sheet.numbers.number == 3
    assert sheet.matrix is not None and sheet.matrix.number == 4


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--params", "w9"], "unknown parameter 'w9'"),
        (["--params", ","], "--params is empty"),
        (["--cost", "abstract", "--numbers"], "no formula to put numbers into"),
        (["--l2", "0.1"], "one example without weight decay"),
        (["--examples", "3"], "one example without weight decay"),
        (["--layers", "8-8-8"], "at most 64 parameters"),
        (["--variants", "0"], "--variants"),
        (["--seed", "-1"], "--seed"),
        (["--format", "docx"], "unknown format 'docx'"),
        (["--values", "q=1"], "unknown name 'q'"),
        (["--digits", "0", "--numbers"], "--digits must be between"),
    ],
)
def test_bad_options_are_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    code, out, err = invoke("exercises", "--out", str(tmp_path), "--format", "md", *args)
    assert code == 2 and words in err, err
    assert err.startswith("symderiv: error: ") and len(err.splitlines()) == 1
    assert "Traceback" not in out + err


def test_a_seed_with_a_values_table_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text("[values]\nx = [0.5]\ny = [1]\nW = [[[0.3]], [[-0.2]]]\nb = [[0.1], [0.4]]\n")
    code, _, err = invoke("exercises", str(spec), "--seed", "1", "--out", str(tmp_path / "o"))
    assert code == 2 and "leave out the [values] table" in err
    code, _, err = invoke("exercises", str(spec), "--out", str(tmp_path / "o"), "--format", "md")
    assert code == 0, err  # the table alone implies the numbers
    assert "w_{1} = 0.3" in (tmp_path / "o" / "exercises.md").read_text()


def test_filled_in_answers_and_foreign_files_are_not_replaced(tmp_path: Path) -> None:
    assert invoke("exercises", "--out", str(tmp_path), "--format", "md")[0] == 0
    answers = tmp_path / "answers.csv"
    filled = answers.read_text().replace("3a,w2,", "3a,w2,delta2*a1")
    answers.write_text(filled)
    code, _, err = invoke("exercises", "--out", str(tmp_path), "--format", "md")
    assert code == 2 and "answers.csv" in err and "--force" in err
    assert answers.read_text() == filled
    notes = tmp_path / "exercises.md"
    notes.write_text("my own notes\n")
    answers.write_text(filled.replace("delta2*a1", ""))  # blank again: symderiv's own
    code, _, err = invoke("exercises", "--out", str(tmp_path), "--format", "md")
    assert code == 2 and "exercises.md" in err and notes.read_text() == "my own notes\n"
    assert invoke("exercises", "--out", str(tmp_path), "--format", "md", "--force")[0] == 0
    assert "Generated by symderiv" in notes.read_text()


def test_every_variant_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    blocked = tmp_path / "variant-02" / "solutions.csv"
    blocked.parent.mkdir()
    blocked.write_text("not an answer file\n")
    code, _, err = invoke("exercises", "--out", str(tmp_path), "--variants", "2", "--format", "md")
    assert code == 2 and "solutions.csv" in err
    assert not (tmp_path / "variant-01").exists()


def test_hostile_titles_print_literally() -> None:
    title = r"\input{/etc/hostname} {{ 7*7 }} 100% $x$ <b>"
    (sheet,) = exercise_sheets(title=title)
    tex = render_document(sheet, "exercises", "tex")
    md = render_document(sheet, "exercises", "md")
    assert r"\input{/etc" not in tex and r"\textbackslash{}input\{/etc/hostname\}" in tex
    assert "49" not in md.splitlines()[2] and "<b>" not in md


def test_the_api_is_at_the_top_level(tmp_path: Path) -> None:
    import symderiv

    lines = symderiv.write_exercises(NetworkSpec(), tmp_path, "md", params="w1")
    assert lines[-1] == f"wrote {tmp_path / 'solutions.csv'}"
    with pytest.raises(SymderivError, match="unknown parameter"):
        symderiv.write_exercises(NetworkSpec(), tmp_path, "md", params="w3")


@pytest.mark.realtool
def test_the_gallery_sheets_markdown_survives_pandoc(tmp_path: Path) -> None:
    pandoc = realtools.require_tool("pandoc", "apt-get install pandoc")
    realtools.require_tool("rsvg-convert", "apt-get install librsvg2-bin")
    folder = Path(__file__).resolve().parent.parent / "output" / "exercises"
    for document in ("exercises", "solutions"):
        run = subprocess.run(
            [pandoc, str(folder / f"{document}.md"), "--resource-path", str(folder), "-s",
             "-o", str(tmp_path / f"{document}.pdf")],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0 and "WARNING" not in run.stderr, run.stderr[-2000:]
