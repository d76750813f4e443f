"""atomic_write: the destination appears only on success."""
import os
import stat

import pytest

from conftest import run_tool
from metricvox.errors import InputError
from metricvox.io import atomic_write
from metricvox.io.atomic import OutputGroup


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


def test_an_output_group_appears_whole_or_not_at_all(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputGroup() as outputs:
            outputs.open(tmp_path / "a").write("first")
            outputs.open(tmp_path / "b").write("second")
            raise RuntimeError("the work failed after both were written")
    assert list(tmp_path.iterdir()) == []
    with OutputGroup() as outputs:
        outputs.open(tmp_path / "a").write("first")
        outputs.open(tmp_path / "b", "wb").write(b"second")
    assert (tmp_path / "a").read_text() == "first" and (tmp_path / "b").read_bytes() == b"second"


def test_an_output_group_refuses_one_path_for_two_outputs(tmp_path):
    with pytest.raises(InputError, match="the same file is given for the --json and the --accuracies"):
        with OutputGroup() as outputs:
            outputs.open(tmp_path / "o", what="--json")
            outputs.open(tmp_path / "sub/../o", what="--accuracies")
    assert list(tmp_path.iterdir()) == []


def _device_copy(device, directory):
    """A node of the same device in ``directory``: a code that renames over it harms only the copy."""
    copy = directory / os.path.basename(device)
    try:
        os.mknod(copy, 0o666 | stat.S_IFCHR, os.stat(device).st_rdev)
    except PermissionError:
        pytest.skip("making a device node needs root")
    return copy


def test_a_device_is_written_in_place_not_renamed_over(tmp_path):
    """A rename would replace the device node (/dev/null becoming a regular file)."""
    null, full = _device_copy("/dev/null", tmp_path), _device_copy("/dev/full", tmp_path)
    with atomic_write(null) as out:
        out.write("discarded")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    with pytest.raises(InputError, match="full: cannot write: No space left on device"):
        with atomic_write(full) as out:
            out.write("x" * 100000)
    assert stat.S_ISCHR(os.stat(full).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "null"]


def test_a_directory_is_not_an_output_file(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        with atomic_write(tmp_path):
            pass
