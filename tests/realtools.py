"""Helpers for tests that run the real external tools: pdflatex, pdftotext and KaTeX (node).

A handout that "compiles" can still be broken: pdflatex exits 0 on a page that shows only an
equation number, and KaTeX renders `\\href` as red text without throwing. These helpers therefore
check the log, the PDF's text and the rendered HTML, not just exit codes.

Locally a missing tool skips the test with an install hint; under CI (`CI=true`) it fails, so a CI
script that forgot to install a tool cannot pass by skipping everything.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
KATEX_SCRIPT = Path(__file__).resolve().parent / "katex_render.js"

PDFLATEX_HINT = (
    "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures lmodern"
)
PDFTOTEXT_HINT = "apt-get install poppler-utils"
NODE_HINT = "apt-get install nodejs (node 20 or newer)"
KATEX_HINT = "npm ci --no-audit --no-fund (in the repository root)"

LATEX_TIMEOUT_S = 120.0
KATEX_TIMEOUT_S = 120.0
OVERFULL_THRESHOLD_PT = 5.0

# KaTeX's default error colour; set explicitly in katex_render.js so this check cannot drift.
KATEX_ERROR_COLOR = "#cc0000"

# strict='error' makes KaTeX reject what real LaTeX rejects too (a `%` comment eating the closing
# delimiter, non-ASCII text in `\text{}`, accented letters in math, KaTeX-only HTML macros), so a
# formula that passes here also works in the LaTeX handout and in renderers that use KaTeX's
# default strict='warn'. Greek letters typed as Unicode in math (`σ`) are accepted in every mode.
KATEX_STRICT = "error"


def _missing(message: str, install_hint: str) -> NoReturn:
    """Fail under CI (a missing tool is a broken CI script), skip elsewhere."""
    text = f"{message}; install: {install_hint}"
    if os.environ.get("CI") == "true":
        pytest.fail(text)
    pytest.skip(text)


def require_tool(name: str, install_hint: str) -> str:
    """Path of executable `name`; when absent, skip locally and fail under CI."""
    path = shutil.which(name)
    if path is None:
        _missing(f"{name} not found on PATH", install_hint)
    return path


# ---------------------------------------------------------------------------------------------
# LaTeX

# With -file-line-error, errors read `./doc.tex:12: Undefined control sequence.`; a few fatal ones
# still start with `!`.
_ERROR_LINE = re.compile(r"^(?:!|\S[^:\n]*:\d+: )")
_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")
# Exit 0, yet the reader sees a gap or `??`.
_LOST = re.compile(
    r"^(?:Missing character: |LaTeX Warning: (?:Reference|Citation) .* undefined"
    r"|LaTeX Warning: There were undefined references)"
)


@dataclass(frozen=True)
class Overfull:
    """One `Overfull \\hbox` report: its width and the log lines that locate it."""

    width_pt: float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class LatexResult:
    """The outcome of compiling one document: exit status, the last run's log and the PDF path."""

    returncode: int
    log: str
    pdf_path: Path
    timed_out: bool = False

    @property
    def log_lines(self) -> list[str]:
        return self.log.splitlines()

    @property
    def errors(self) -> list[str]:
        """Error lines, each with the context lines TeX prints after it (up to the `l.N` line)."""
        lines = self.log_lines
        found: list[str] = []
        for i, line in enumerate(lines):
            if not _ERROR_LINE.match(line):
                continue
            block = [line]
            for follow in lines[i + 1 : i + 6]:
                if _ERROR_LINE.match(follow):
                    break
                block.append(follow)
                if follow.startswith("l."):
                    break
            found.append("\n".join(block))
        return found

    def overfull(self, threshold_pt: float = OVERFULL_THRESHOLD_PT) -> list[Overfull]:
        """Overfull hboxes wider than `threshold_pt`, with the line showing the box's content."""
        lines = self.log_lines
        found: list[Overfull] = []
        for i, line in enumerate(lines):
            match = _OVERFULL.match(line)
            if match and float(match.group(1)) > threshold_pt:
                content = lines[i + 1] if i + 1 < len(lines) else ""
                text = f"{line}\n{content[:300]}" if content.strip() else line
                found.append(Overfull(float(match.group(1)), text))
        return found

    @property
    def lost_content(self) -> list[str]:
        """Log lines for glyphs the font lacks and references left as `??`."""
        return [line for line in self.log_lines if _LOST.match(line)]

    def pdf_text(self) -> str:
        """The PDF's text as `pdftotext -layout` extracts it: what a reader would actually see."""
        exe = require_tool("pdftotext", PDFTOTEXT_HINT)
        proc = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", str(self.pdf_path), "-"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"pdftotext failed on {self.pdf_path}: {proc.stderr.decode(errors='replace')}"
            )
        return proc.stdout.decode("utf-8", errors="replace")

    def summary(self, max_lines: int = 40) -> str:
        """Errors and overfull boxes, else the end of the log: what an assertion message needs."""
        parts = [f"pdflatex exit status {self.returncode}"]
        if self.timed_out:
            parts.append("pdflatex was killed after the time limit (an endless loop?)")
        parts += self.errors
        parts += [str(box) for box in self.overfull()]
        parts += self.lost_content
        if len(parts) == 1:
            parts += self.log_lines[-max_lines:]
        return "\n".join(parts)


def _latex_env() -> dict[str, str]:
    """Environment for pdflatex: paranoid file access and unwrapped log lines."""
    env = dict(os.environ)
    env.pop("TEXMFOUTPUT", None)  # would widen where openout_any=p lets TeX write
    env["openout_any"] = "p"  # no writing to absolute paths, parent directories or dot files
    # Long log lines unwrapped, so an error or overfull report is never split over two lines.
    env["max_print_line"] = "10000"
    return env


def _run_killable(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int, bytes, bool]:
    """Run a command in its own process group; kill the whole group on timeout."""
    with subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return -signal.SIGKILL, out, True
        return proc.returncode, out, False


def compile_latex(
    tex_path: Path, *, runs: int = 2, timeout: float = LATEX_TIMEOUT_S
) -> LatexResult:
    """Compile `tex_path` with pdflatex `runs` times (stopping at the first failure).

    Runs in the file's directory on `./name.tex`, so a name such as `-draftmode.tex` is never read
    as an option; shell escape is off and writes are restricted to the working directory.
    """
    exe = require_tool("pdflatex", PDFLATEX_HINT)
    tex_path = Path(tex_path).resolve()
    workdir = tex_path.parent
    args = [
        exe,
        "-no-shell-escape",
        "-halt-on-error",
        "-interaction=nonstopmode",
        "-file-line-error",
        f"./{tex_path.name}",
    ]
    env = _latex_env()
    log_path, pdf_path = tex_path.with_suffix(".log"), tex_path.with_suffix(".pdf")
    for stale in (log_path, pdf_path):  # a failed run must not be judged by an old PDF or log
        stale.unlink(missing_ok=True)
    returncode, output, timed_out = 0, b"", False
    for _ in range(max(1, runs)):
        returncode, output, timed_out = _run_killable(args, workdir, env, timeout)
        if returncode != 0:
            break
    log = (
        log_path.read_text(encoding="utf-8", errors="replace")
        if log_path.exists()
        else output.decode("utf-8", errors="replace")
    )
    return LatexResult(returncode, log, pdf_path, timed_out)


def assert_latex_ok(tex_path: Path, *, expect_text: Sequence[str] = ()) -> LatexResult:
    """Compile and assert the document really shows: exit 0, no errors, no overfull box over 5pt,
    no missing glyph or undefined reference, a PDF, and each of `expect_text` in its text."""
    result = compile_latex(tex_path)
    problems: list[str] = []
    if result.returncode != 0 or result.timed_out:
        problems.append(f"pdflatex failed on {tex_path}")
    if result.errors:
        problems.append("errors in the log")
    boxes = result.overfull()
    if boxes:
        problems.append(f"{len(boxes)} overfull hbox(es) wider than {OVERFULL_THRESHOLD_PT}pt")
    if result.lost_content:
        problems.append("missing characters or undefined references")
    if not result.pdf_path.exists():
        problems.append(f"no PDF at {result.pdf_path}")
    if problems:
        raise AssertionError("; ".join(problems) + "\n" + result.summary())
    if expect_text:
        text = result.pdf_text()
        missing = [s for s in expect_text if s not in text]
        if missing:
            raise AssertionError(
                f"PDF text of {tex_path} lacks {missing!r}; pdftotext gave:\n{text[:3000]}"
            )
    return result


# ---------------------------------------------------------------------------------------------
# KaTeX


@dataclass(frozen=True)
class KatexResult:
    """One formula rendered by KaTeX: ok, KaTeX's error message, the HTML, any strict warnings."""

    formula: str
    display: bool
    ok: bool
    error: str
    html: str
    warnings: tuple[str, ...] = ()


_RED_TEXT = re.compile(r'color:\s*#cc0000;?">([^<]*)<', re.IGNORECASE)


def _katex_error_in_html(html: str) -> str:
    """KaTeX marks unsupported commands it did not throw on (`\\href` with trust off) in red."""
    lowered = html.lower()
    if "katex-error" not in lowered and KATEX_ERROR_COLOR not in lowered:
        return ""
    shown = [m.group(1) for m in _RED_TEXT.finditer(html) if m.group(1).strip()]
    detail = ", ".join(dict.fromkeys(shown)) or "an error marker"
    return f"rendered in KaTeX's error colour ({detail}) without throwing"


def _require_katex() -> str:
    node = require_tool("node", NODE_HINT)
    if not (REPO_ROOT / "node_modules" / "katex" / "package.json").is_file():
        _missing(f"KaTeX is not installed in {REPO_ROOT / 'node_modules'}", KATEX_HINT)
    return node


def katex_render(
    formulas: Sequence[tuple[str, bool]], *, strict: str = KATEX_STRICT
) -> list[KatexResult]:
    """Render (formula, display_mode) pairs with KaTeX in one node process.

    Options: throwOnError true, trust false, `strict` as given ('error' by default, see
    KATEX_STRICT; 'warn' collects warnings into `KatexResult.warnings` instead of printing them).
    Output in KaTeX's error colour counts as a failure.
    """
    node = _require_katex()
    if not formulas:
        return []
    payload = json.dumps(
        {
            "options": {"strict": strict},
            "formulas": [{"tex": tex, "display": bool(display)} for tex, display in formulas],
        }
    )
    proc = subprocess.run(
        [node, str(KATEX_SCRIPT)],
        cwd=REPO_ROOT,
        input=payload.encode("utf-8"),
        capture_output=True,
        timeout=KATEX_TIMEOUT_S,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise AssertionError(f"katex_render.js exited {proc.returncode}:\n{stderr}")
    try:
        raw = json.loads(proc.stdout.decode("utf-8"))
    except ValueError as err:
        raise AssertionError(f"katex_render.js printed no JSON ({err}):\n{stderr}") from err
    if len(raw) != len(formulas):
        raise AssertionError(f"katex_render.js returned {len(raw)} results for {len(formulas)}")
    results: list[KatexResult] = []
    for (tex, display), item in zip(formulas, raw):
        html = item.get("html") or ""
        error = item.get("error") or ""
        if item.get("ok") and not error:
            error = _katex_error_in_html(html)
        results.append(
            KatexResult(
                formula=tex,
                display=bool(display),
                ok=bool(item.get("ok")) and not error,
                error=error,
                html=html,
                warnings=tuple(item.get("warnings") or ()),
            )
        )
    return results


# ---------------------------------------------------------------------------------------------
# Markdown math

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


@dataclass(frozen=True)
class _Scan:
    spans: list[tuple[str, bool]]
    problems: list[str]
    stray_dollars: int


def _mask_fences(md: str) -> tuple[str, list[tuple[int, str]]]:
    """Blank out fenced code blocks (keeping offsets); return ```math fence bodies with positions.

    A ```math fence is display math on GitHub and in several KaTeX plugins, so it is checked too.
    """
    out: list[str] = []
    math_blocks: list[tuple[int, str]] = []
    pos = 0
    fence: tuple[str, int] | None = None  # (fence char, length)
    fence_is_math = False
    body: list[str] = []
    body_start = 0
    for line in md.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        if fence is None:
            match = _FENCE_OPEN.match(stripped)
            if match and not (match.group(2)[0] == "`" and "`" in match.group(3)):
                fence = (match.group(2)[0], len(match.group(2)))
                fence_is_math = match.group(3).strip().split(" ")[0].lower() == "math"
                body, body_start = [], pos
                out.append(" " * len(stripped) + line[len(stripped) :])
            else:
                out.append(line)
        else:
            char, length = fence
            closing = re.fullmatch(rf" {{0,3}}{re.escape(char)}{{{length},}}[ \t]*", stripped)
            if closing:
                if fence_is_math:
                    math_blocks.append((body_start, "".join(body).strip()))
                fence = None
            else:
                body.append(line)
            out.append(" " * len(stripped) + line[len(stripped) :])
        pos += len(line)
    if fence is not None and fence_is_math:  # an unclosed fence runs to the end of the document
        math_blocks.append((body_start, "".join(body).strip()))
    return "".join(out), math_blocks


def _find_math_end(text: str, start: int, delim: str) -> int:
    """Index of the closing `delim` at or after `start`, skipping backslash escapes; -1 if none."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(delim, i):
            return i
        i += 1
    return -1


def _scan_markdown(md: str) -> _Scan:
    masked, math_blocks = _mask_fences(md)
    found: list[tuple[int, str, bool]] = [(pos, body, True) for pos, body in math_blocks]
    problems: list[str] = []
    stray = 0
    i, n = 0, len(masked)
    while i < n:
        ch = masked[i]
        if ch == "\\":
            # A backslash escapes ASCII punctuation, so `\$` is a literal dollar.
            i += 2 if i + 1 < n and masked[i + 1] in _ASCII_PUNCT else 1
            continue
        if ch == "`":
            run_end = i
            while run_end < n and masked[run_end] == "`":
                run_end += 1
            ticks = masked[i:run_end]
            close = re.compile(rf"(?<!`){ticks}(?!`)").search(masked, run_end)
            i = close.end() if close else run_end  # an unclosed run is literal backticks
            continue
        if ch != "$":
            i += 1
            continue
        if masked.startswith("$$", i):
            end = _find_math_end(masked, i + 2, "$$")
            if end < 0:
                line_no = masked.count("\n", 0, i) + 1
                problems.append(f"line {line_no}: `$$` is never closed")
                stray += 1
                i += 2
                continue
            found.append((i, masked[i + 2 : end].strip(), True))
            i = end + 2
            continue
        # Inline math, pandoc's rule: `$` then non-space, closed by a `$` after a non-space and
        # not followed by a digit, within one paragraph.
        end = _inline_end(masked, i)
        if end < 0:
            stray += 1
            i += 1
            continue
        found.append((i, masked[i + 1 : end], False))
        i = end + 1
    found.sort(key=lambda item: item[0])
    return _Scan([(body, display) for _, body, display in found], problems, stray)


def _inline_end(text: str, start: int) -> int:
    """Closing `$` of inline math opened at `start`, or -1 when this `$` is a literal dollar."""
    if start + 1 >= len(text) or text[start + 1].isspace():
        return -1
    blank = _BLANK_LINE.search(text, start)
    limit = blank.start() if blank else len(text)
    j = start + 1
    while j < limit:
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == "$":
            after = text[j + 1] if j + 1 < len(text) else ""
            if not text[j - 1].isspace() and not after.isdigit():
                return j
        j += 1
    return -1


def markdown_math_spans(md_text: str) -> list[tuple[str, bool]]:
    """Math in Markdown as (formula, display): `$$...$$` blocks (may span lines), `$...$` inline
    spans and ```math fences, in document order; code fences, inline code and `\\$` are skipped."""
    return _scan_markdown(md_text).spans


def assert_markdown_math_ok(md_path_or_text: Path | str) -> None:
    """Assert every formula in a Markdown file (Path) or text (str) renders with KaTeX."""
    if isinstance(md_path_or_text, Path):
        md = md_path_or_text.read_text(encoding="utf-8")
        where = str(md_path_or_text)
    else:
        md = md_path_or_text
        where = "the Markdown text"
    scan = _scan_markdown(md)
    if scan.problems:
        raise AssertionError(f"unbalanced math delimiters in {where}:\n" + "\n".join(scan.problems))
    if not scan.spans:
        if scan.stray_dollars:
            raise AssertionError(f"{where} has `$` outside code but no math span was recognised")
        return
    failures = [r for r in katex_render(scan.spans) if not r.ok]
    if failures:
        lines = [f"{len(failures)} of {len(scan.spans)} formulas in {where} do not render:"]
        for r in failures:
            mode = "display" if r.display else "inline"
            lines.append(f"- [{mode}] {r.formula[:500]!r}\n  KaTeX: {r.error}")
        raise AssertionError("\n".join(lines))
