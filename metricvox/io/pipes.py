"""Kaldi-style input pipes: ``"cmd args |"`` runs ``cmd args`` through the shell and reads its stdout.

A failing command (non-zero exit, or a program that is not installed, which the
shell reports as status 127) becomes an :class:`InputError` quoting the command,
its exit status and the last line it printed on stderr.
"""

import contextlib
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


def run_pipe(source, *, where=None):
    """Run the pipe ``source`` to completion and return its stdout as bytes."""
    command = pipe_command(source)
    proc = subprocess.run(command, shell=True, stdin=subprocess.DEVNULL, capture_output=True)
    if proc.returncode != 0:
        raise _failure(command, proc.returncode, proc.stderr.decode(errors="replace"), where)
    return proc.stdout


@contextlib.contextmanager
def open_pipe(source, *, where=None):
    """Stream the stdout of the pipe ``source`` as a binary file object.

    The exit status is checked when the block ends, so a command that dies after
    writing part of its output is still an error.
    """
    command = pipe_command(source)
    # stderr goes to a file, not a pipe: a chatty command must not block on a full stderr pipe.
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=stderr)
        try:
            yield proc.stdout
            # Let the command finish writing what was not read, so it does not die of SIGPIPE.
            while proc.stdout.read(1 << 16):
                pass
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        status = proc.wait()
        if status != 0:
            stderr.seek(0)
            raise _failure(command, status, stderr.read().decode(errors="replace"), where)
