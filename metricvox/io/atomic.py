"""Write a file so that readers never see it half-written.

The content goes to a hidden temporary file in the destination's own directory
(so the final ``os.replace`` is a same-filesystem rename, atomic on POSIX) and
only takes the destination's name once everything has been written. ``-`` means
stdout, where no atomicity is possible.
"""

import contextlib
import os
import sys
import tempfile

from metricvox.errors import InputError


class AtomicFile:
    """A temporary file that becomes ``path`` on :meth:`commit`, or vanishes on :meth:`discard`."""

    def __init__(self, path, mode="w"):
        if "r" in mode or "a" in mode or "+" in mode:
            raise ValueError(f"atomic files are write-only, got mode {mode!r}")
        self.path = os.fspath(path)
        directory, name = os.path.split(self.path)
        try:
            fd, self.temp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory or ".")
        except OSError as error:  # no such directory, no permission, a file in the way...
            raise InputError(f"cannot write here: {error.strerror}", self.path) from None
        encoding = None if "b" in mode else "utf-8"
        self.file = os.fdopen(fd, mode, encoding=encoding)

    def commit(self):
        self.file.close()
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temp_path, 0o666 & ~umask)
        os.replace(self.temp_path, self.path)

    def discard(self):
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.temp_path)


class _StdoutFile:
    """stdout in the requested mode, flushed (not closed) at the end."""

    def __init__(self, mode):
        self.file = sys.stdout.buffer if "b" in mode else sys.stdout

    def commit(self):
        self.file.flush()

    def discard(self):
        with contextlib.suppress(BrokenPipeError):
            self.file.flush()


def open_output(path, mode="w"):
    """An :class:`AtomicFile` for ``path``, or a stdout wrapper with the same interface for ``-``."""
    if os.fspath(path) == "-":
        return _StdoutFile(mode)
    return AtomicFile(path, mode)


@contextlib.contextmanager
def atomic_write(path, mode="w"):
    """Context manager giving a file object whose content appears at ``path`` on clean exit.

    On an exception nothing is left behind: the temporary file is removed and any
    earlier file at ``path`` is untouched.
    """
    output = open_output(path, mode)
    try:
        yield output.file
    except BaseException:
        output.discard()
        raise
    output.commit()
