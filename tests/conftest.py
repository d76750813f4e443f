"""Test set-up shared by every test file.

The tools under test are the ones in this checkout's ``bin/``, put first on PATH,
so that a test never runs a stale copy installed earlier.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ["PATH"] = f"{REPO / 'bin'}{os.pathsep}{os.environ['PATH']}"
os.environ.setdefault("PYTHONPATH", str(REPO))


def run_tool(*args, stdin=None, check=True, cwd=None):
    """Run a metricvox tool (or any shell pipeline when given one string).

    Returns the CompletedProcess with bytes stdout and text-decoded stderr.
    """
    shell = len(args) == 1 and isinstance(args[0], str) and " " in args[0]
    cmd = args[0] if shell else [str(a) for a in args]
    proc = subprocess.run(cmd, shell=shell, input=stdin, capture_output=True, cwd=cwd)
    proc.stderr = proc.stderr.decode(errors="replace")
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def input_error_text(call, *args, **kwargs):
    """The message of the InputError that ``call(*args, **kwargs)`` raises; a generator it
    returns is run to its end, since its errors come while it is read."""
    from metricvox.errors import InputError
    with pytest.raises(InputError) as error:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    return str(error.value)


@pytest.fixture
def tool():
    return run_tool


def assert_one_line_error(proc, *fragments):
    """A bad-input run: non-zero exit and exactly one stderr line naming the fragments."""
    assert proc.returncode != 0, "expected a failure"
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert lines, "no error message"
    last = lines[-1]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert ": error: " in last, last
    for fragment in fragments:
        assert str(fragment) in last, f"{fragment!r} not in {last!r}"


sys.path.insert(0, str(REPO / "tests"))
from slurm_cluster import slurm_cluster  # noqa: E402,F401 (the session's Slurm cluster)
