"""Input pipes end with the tool: a ``cmd |`` the tool stops reading is killed with
everything it started, whether the tool stops on an error, SIGTERM or SIGINT."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, assert_one_line_error

# A pipe whose shell starts a grandchild that would outlive a kill of the shell alone,
# and writes the grandchild's pid where the test can find it.
def _lingering_pipe(pid_file, then="wait"):
    return f"sh -c 'sleep 300 >/dev/null & echo $! > {pid_file}; {then}' |"


def _wait_for(path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def _running(pid):
    """True while pid is a live process (a zombie waiting for its reaper counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _assert_ended(pid, timeout=5.0):
    deadline = time.monotonic() + timeout
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(pid):
        os.kill(pid, signal.SIGKILL)
        raise AssertionError(f"the pipe's child {pid} outlived the tool")


def _start(command, cwd):
    return subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_tool_ends_its_wav_pipe_with_everything_it_started(tmp_path, signum):
    (tmp_path / "wav.scp").write_text(f"utt1 {_lingering_pipe(tmp_path / 'pid')}\n")
    tool = _start(["metricvox-compute-feats", "--type", "mfcc", "scp:wav.scp",
                   f"ark,scp:{tmp_path}/feats.ark,{tmp_path}/feats.scp"], tmp_path)
    grandchild = _wait_for(tmp_path / "pid")
    tool.send_signal(signum)
    _, stderr = tool.communicate(timeout=30)
    assert tool.returncode != 0
    _assert_ended(grandchild)
    assert not (tmp_path / "feats.scp").exists()


def test_a_tool_stopped_by_bad_data_ends_its_ark_pipe(tmp_path):
    # The pipe writes a corrupt matrix header and would go on running: the read error
    # ends the tool, and the pipe's group with it.
    pipe = _lingering_pipe(tmp_path / "pid", then='printf "key1 \\\\0BFM junk"; wait')
    tool = _start(["metricvox-copy-matrix", f"ark:{pipe}", f"ark:{tmp_path}/out.ark"], tmp_path)
    _, stderr = tool.communicate(timeout=60)
    tool.stderr = stderr.decode()
    assert_one_line_error(tool)
    _assert_ended(_wait_for(tmp_path / "pid"))


def test_a_process_that_dies_of_sigterm_ends_its_pipes_first(tmp_path):
    # A tool's pool workers keep SIGTERM's default action (see metricvox.cli): they die
    # of the signal at once, and must end the pipes they are reading before they do.
    code = ("from metricvox.io.pipes import run_pipe; "
            f"run_pipe({_lingering_pipe(tmp_path / 'pid')!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)})
    grandchild = _wait_for(tmp_path / "pid")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    _assert_ended(grandchild)


def test_a_pipe_read_to_its_end_leaves_no_handler_behind(tmp_path):
    from metricvox.io.pipes import run_pipe
    before = signal.getsignal(signal.SIGTERM)
    assert run_pipe("printf abc |") == b"abc"
    assert signal.getsignal(signal.SIGTERM) == before
