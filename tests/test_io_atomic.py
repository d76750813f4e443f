"""atomic_write: the destination appears only on success."""
import os
import stat

import pytest

from conftest import run_tool
from metricvox.io import atomic_write


def test_content_appears_on_clean_exit_with_normal_permissions(tmp_path):
    path = tmp_path / "out.txt"
    with atomic_write(path) as out:
        out.write("a b\n")
        assert not path.exists()  # still under its temporary name
    assert path.read_text() == "a b\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_exception_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"previous")
    with pytest.raises(KeyError):
        with atomic_write(path, "wb") as out:
            out.write(b"partial")
            raise KeyError("boom")
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_dash_is_stdout():
    code = "from metricvox.io import atomic_write\nwith atomic_write('-') as f: f.write('hello\\n')"
    proc = run_tool("python", "-c", code)
    assert proc.stdout == b"hello\n"


def test_read_modes_are_refused(tmp_path):
    with pytest.raises(ValueError):
        with atomic_write(tmp_path / "x", "r+"):
            pass


def test_missing_output_directory_is_a_one_line_error(tmp_path):
    from conftest import assert_one_line_error, run_tool

    (tmp_path / "a.txt").write_text("EER: 1.0%\n")
    proc = run_tool("metricvox-results-table", "--out", tmp_path / "no" / "such" / "R.md",
                    f"x:y={tmp_path / 'a.txt'}", check=False)
    assert_one_line_error(proc, f"{tmp_path / 'no' / 'such' / 'R.md'}", "cannot write here",
                          "No such file or directory")
