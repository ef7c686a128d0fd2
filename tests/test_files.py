"""The one atomic writer every output goes through: what it refuses, and how it replaces."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from symderiv.core.errors import SymderivError
from symderiv.core.files import (
    MARK,
    check_replaceable,
    prepare_directory,
    safe_name,
    write_atomic,
)

OURS = MARK + b"\nold text\n"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".symderiv-"))


def one_line(error: pytest.ExceptionInfo[SymderivError]) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


@pytest.fixture
def umask_027() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def unwritable_directory(tmp_path: Path) -> Path:
    """A directory this process cannot create files in, even as root when sysfs is mounted."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        return locked
    if Path("/sys/kernel").is_dir():
        return Path("/sys")  # sysfs refuses new files to everyone
    pytest.skip("running as root without sysfs: no directory refuses a new file")


def test_a_new_file_is_written_whole_and_nothing_else_is_left(tmp_path: Path) -> None:
    target = tmp_path / "notes.md"
    assert write_atomic(target, "ŷ − y\n") == target
    assert target.read_bytes() == "ŷ − y\n".encode()
    write_atomic(tmp_path / "data.bin", b"\x00\xff")
    assert (tmp_path / "data.bin").read_bytes() == b"\x00\xff"
    assert leftovers(tmp_path) == []


def test_text_is_written_with_the_newlines_it_has(tmp_path: Path) -> None:
    target = tmp_path / "lines.txt"
    write_atomic(target, "a\nb\r\nc")
    assert target.read_bytes() == b"a\nb\r\nc"


def test_the_umask_sets_the_permissions(tmp_path: Path, umask_027: None) -> None:
    target = tmp_path / "report.csv"
    write_atomic(target, "x")
    assert target.stat().st_mode & 0o777 == 0o640


def test_replacing_is_a_rename_so_a_reader_keeps_the_whole_old_file(tmp_path: Path) -> None:
    target = tmp_path / "handout.md"
    target.write_bytes(OURS)
    with target.open("rb") as reader:
        old_inode = target.stat().st_ino
        write_atomic(target, "new text\n")  # symderiv's own file: no force needed
        assert reader.read() == OURS  # the open file was not rewritten in place
    assert target.stat().st_ino != old_inode
    assert target.read_text() == "new text\n"
    assert leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "handout.md"
    target.write_bytes(OURS)
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_bytes() == OURS
    assert leftovers(tmp_path) == []


def test_a_foreign_file_is_refused_without_force(tmp_path: Path) -> None:
    foreign = tmp_path / "handout.md"
    foreign.write_text("my notes\n")
    with pytest.raises(SymderivError) as error:
        write_atomic(foreign, "generated\n")
    assert one_line(error) == (
        f"{foreign}: exists and was not written by symderiv; use --force to replace it."
    )
    assert foreign.read_text() == "my notes\n" and leftovers(tmp_path) == []
    write_atomic(foreign, "generated\n", force=True)
    assert foreign.read_text() == "generated\n"


def test_the_caller_says_which_files_are_its_own_and_what_to_advise(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text("id,line\nold\n")

    def has_header(path: Path) -> bool:
        return path.read_text().startswith("id,line\n")

    write_atomic(report, "id,line\nnew\n", ours=has_header)
    report.write_text("precious\n")
    with pytest.raises(SymderivError, match="not written by symderiv; pick another place"):
        check_replaceable(report, False, ours=has_header, advice="pick another place")


def test_with_no_recogniser_even_symderivs_own_file_needs_force(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_bytes(OURS)
    with pytest.raises(SymderivError) as error:
        write_atomic(module, "x = 1\n", ours=None)
    assert one_line(error) == f"{module}: already exists; use --force to replace it."
    write_atomic(module, "x = 1\n", ours=None, force=True)
    assert module.read_text() == "x = 1\n"


@pytest.mark.parametrize("points_at_ours", [False, True])
def test_a_symlink_is_refused_and_with_force_replaced_not_followed(
    tmp_path: Path, points_at_ours: bool
) -> None:
    victim = tmp_path / "victim.md"
    victim.write_bytes(OURS if points_at_ours else b"precious\n")
    before = victim.read_bytes()
    link = tmp_path / "handout.md"
    link.symlink_to(victim)
    with pytest.raises(SymderivError, match="not written by symderiv"):
        write_atomic(link, "generated\n")  # a link is never symderiv's own, whatever it shows
    assert link.is_symlink() and victim.read_bytes() == before
    write_atomic(link, "generated\n", force=True)
    assert not link.is_symlink() and link.read_text() == "generated\n"
    assert victim.read_bytes() == before


def test_a_dangling_symlink_is_refused_too(tmp_path: Path) -> None:
    link = tmp_path / "handout.md"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(SymderivError, match="not written by symderiv"):
        write_atomic(link, "generated\n")
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "handout.md").mkdir()
    with pytest.raises(SymderivError) as error:
        write_atomic(tmp_path / "handout.md", "x", force=True)
    assert one_line(error) == f"{tmp_path / 'handout.md'}: is a directory."


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "m.py"
    with pytest.raises(SymderivError) as error:
        write_atomic(target, "x")
    assert one_line(error) == f"{target}: the directory {target.parent} does not exist."


def test_an_unwritable_directory_gives_one_line(tmp_path: Path) -> None:
    directory = unwritable_directory(tmp_path)
    with pytest.raises(SymderivError) as error:
        write_atomic(directory / "symderiv-test-handout.md", "x")
    message = one_line(error)  # sysfs says "Permission denied" or "Read-only file system"
    assert message.startswith(f"{directory}: cannot write here (") and message.endswith(").")
    assert not (directory / "symderiv-test-handout.md").exists()


def test_prepare_directory_creates_or_explains(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    assert prepare_directory(nested) == nested and nested.is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SymderivError) as error:
        prepare_directory(blocker)
    assert one_line(error) == f"{blocker}: exists and is not a directory."
    with pytest.raises(SymderivError, match="cannot create the directory"):
        prepare_directory(blocker / "sub")
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(SymderivError, match="the directory is not writable"):
            prepare_directory(locked)


@pytest.mark.parametrize("name", ["../up", "a/b", "-draftmode", ".hidden", "", "a..b", "x" * 102])
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(SymderivError, match="refusing the file name"):
        safe_name(name)


def test_safe_file_names_pass() -> None:
    assert safe_name("wide_2-3.v1") == "wide_2-3.v1"
