"""Kaldi-style input pipes: ``"cmd args |"`` runs ``cmd args`` through the shell and reads its stdout.

A failing command (non-zero exit, or a program that is not installed, which the
shell reports as status 127) becomes an :class:`InputError` quoting the command,
its exit status and the last line it printed on stderr.

Every pipe runs in a process group of its own, and a pipe the tool stops reading
before it ended (an error, Ctrl-C, ``kill``, Slurm's ``scancel``) is ended with its
whole group: killing only the shell would leave what it started (``sh -c '...; sleep'``,
a decoder under a wrapper script) running after the tool, piling up on a cluster node.
"""

import contextlib
import os
import signal
import subprocess
import tempfile

from metricvox.errors import InputError


def is_pipe(source):
    """True for an input pipe such as ``"ffmpeg -i x.m4a -f wav - |"``."""
    return str(source).rstrip().endswith("|")


def pipe_command(source):
    return str(source).rstrip()[:-1].strip()


def _failure(command, status, stderr_text, where):
    lines = [line.strip() for line in stderr_text.splitlines() if line.strip()]
    last = f": {lines[-1]}" if lines else ""
    path, line = where if where else (None, None)
    if status == 127:
        reason = "a program in it was not found (exit status 127)"
    elif status < 0:
        reason = f"killed by signal {-status}"
    else:
        reason = f"exit status {status}"
    return InputError(f"command '{command}' failed, {reason}{last}", path, line)


# The process groups of this process's pipes that are still running.
_live_groups = set()


def _end_group(proc):
    """Kill the pipe's whole process group and reap its shell."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _end_live_groups_then_die(signum, frame):
    """SIGTERM in a process whose SIGTERM is otherwise fatal (a tool's pool worker):
    end its pipes' groups first, then die of the signal as it would have."""
    for pgid in list(_live_groups):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _started(command, **popen_options):
    """The pipe's shell, started in a group of its own; the group is killed unless the
    block ends normally (then the caller has waited for the shell already)."""
    # A process whose SIGTERM kills it outright (the default action, as in a tool's
    # pool workers) would die without ending its pipes: end them first. A process with
    # a handler of its own (a tool's main process) unwinds through the except below.
    guard = False
    if not _live_groups and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        try:
            signal.signal(signal.SIGTERM, _end_live_groups_then_die)
            guard = True
        except ValueError:
            pass   # not the main thread: only the main thread may set handlers
    proc = subprocess.Popen(command, shell=True, stdin=subprocess.DEVNULL,
                            start_new_session=True, **popen_options)
    _live_groups.add(proc.pid)
    try:
        yield proc
    except BaseException:
        _end_group(proc)
        raise
    finally:
        _live_groups.discard(proc.pid)
        if guard:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_pipe(source, *, where=None):
    """Run the pipe ``source`` to completion and return its stdout as bytes."""
    command = pipe_command(source)
    with _started(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise _failure(command, proc.returncode, stderr.decode(errors="replace"), where)
    return stdout


@contextlib.contextmanager
def open_pipe(source, *, where=None):
    """Stream the stdout of the pipe ``source`` as a binary file object.

    The exit status is checked when the block ends, so a command that dies after
    writing part of its output is still an error.
    """
    command = pipe_command(source)
    # stderr goes to a file, not a pipe: a chatty command must not block on a full stderr pipe.
    with tempfile.TemporaryFile() as stderr:
        with _started(command, stdout=subprocess.PIPE, stderr=stderr) as proc:
            try:
                yield proc.stdout
                # Let the command finish writing what was not read, so it does not die of SIGPIPE.
                while proc.stdout.read(1 << 16):
                    pass
            finally:
                proc.stdout.close()
            status = proc.wait()
        if status != 0:
            stderr.seek(0)
            raise _failure(command, status, stderr.read().decode(errors="replace"), where)
