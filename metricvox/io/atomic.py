"""Write a file so that readers never see it half-written.

The content goes to a hidden temporary file in the destination's own directory
(so the final ``os.replace`` is a same-filesystem rename, atomic on POSIX) and
only takes the destination's name once everything has been written. ``-`` means
stdout, where no atomicity is possible; nor is it for an existing device or fifo
(``/dev/null``), which is written in place rather than replaced by a rename.
"""

import contextlib
import errno
import os
import shutil
import sys
import tempfile

from metricvox.errors import InputError


# Writes that fail for the file system's sake (full, over quota, read-only, I/O error), which
# the user can fix, not for a fault of the program.
_FILE_SYSTEM_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO)


def write_failure(error, path):
    """The InputError for an OSError met while writing ``path``, or None if it is no write failure."""
    if isinstance(error, OSError) and error.errno in _FILE_SYSTEM_ERRNOS:
        return InputError(f"cannot write: {error.strerror}", path)
    return None


class AtomicFile:
    """A temporary file that becomes ``path`` on :meth:`commit`, or vanishes on :meth:`discard`.

    :meth:`commit` is :meth:`finish` (write everything out: the step that fails on a full
    disk) then :meth:`publish` (the rename); a pair of outputs finishes both before
    publishing either, so that a failure never leaves one half of the pair.
    """

    def __init__(self, path, mode="w"):
        if "r" in mode or "a" in mode or "+" in mode:
            raise ValueError(f"atomic files are write-only, got mode {mode!r}")
        self.path = os.fspath(path)
        if os.path.isdir(self.path):
            raise InputError("is a directory, expected a file to write", self.path)
        directory, name = os.path.split(self.path)
        try:
            fd, self.temp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory or ".")
        except OSError as error:  # no such directory, no permission, a file in the way...
            raise InputError(f"cannot write here: {error.strerror}", self.path) from None
        encoding = None if "b" in mode else "utf-8"
        self.file = os.fdopen(fd, mode, encoding=encoding)

    def finish(self):
        """Write everything out under the temporary name; a full disk is an InputError."""
        try:
            self.file.close()
            # mkstemp creates the file 0600; give it the permissions a plain open() would.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temp_path, 0o666 & ~umask)
        except OSError as error:
            self.discard()
            raise write_failure(error, self.path) or error from None

    def publish(self):
        os.replace(self.temp_path, self.path)

    def commit(self):
        self.finish()
        self.publish()

    def discard(self):
        with contextlib.suppress(OSError):
            self.file.close()   # closing flushes, which fails again on a full disk
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.temp_path)


class _StreamFile:
    """stdout, or a device or fifo named as the output (``/dev/null``), written in place:
    no atomicity is possible there. Flushed, not closed, at the end (stdout) or closed (device)."""

    def __init__(self, path, mode):
        self.path = path
        if path == "-":
            if sys.stdout is None:  # the tool was started with stdout closed (`>&-`)
                raise InputError("cannot write to stdout: it is closed", "-")
            self.file = sys.stdout.buffer if "b" in mode else sys.stdout
            self._close = False
        else:
            try:
                self.file = open(path, mode, encoding=None if "b" in mode else "utf-8")
            except OSError as error:
                raise InputError(f"cannot write here: {error.strerror}", path) from None
            self._close = True

    def _end(self):
        if self._close:
            self.file.close()
        else:
            self.file.flush()

    def finish(self):
        try:
            self._end()
        except OSError as error:
            raise write_failure(error, self.path) or error from None

    def publish(self):
        pass

    def commit(self):
        self.finish()

    def discard(self):
        with contextlib.suppress(OSError):   # a reader gone (BrokenPipeError), a full device
            self._end()


def make_output_dir(path):
    """Create the output directory ``path`` (and missing parents) unless it exists.

    Returns the topmost directory created (for the caller to remove if its work fails,
    so that no empty output is left that looks like a result), or None. A file in the
    way, a read-only or full file system is an InputError naming ``path``.
    """
    given = os.fspath(path)
    path = os.path.abspath(given)
    if os.path.isdir(path):
        return None
    top = path
    while not os.path.exists(os.path.dirname(top)) and os.path.dirname(top) != top:
        top = os.path.dirname(top)
    try:
        os.makedirs(path)
    except OSError as error:
        what = "a file is in the way" if isinstance(error, (FileExistsError, NotADirectoryError)) else error.strerror
        raise InputError(f"cannot create the output directory: {what}", given) from None
    return top


@contextlib.contextmanager
def output_dir(path):
    """Context manager: create the output directory ``path`` (see :func:`make_output_dir`);
    if the block fails, remove what was created (no empty or half-filled result is left) and
    report a full or read-only file system as an InputError naming ``path``."""
    created = make_output_dir(path)
    try:
        yield
    except BaseException as error:
        if created:
            shutil.rmtree(created, ignore_errors=True)
        failure = write_failure(error, path)
        if failure is not None:
            raise failure from None
        raise


def open_output(path, mode="w"):
    """An :class:`AtomicFile` for ``path``, or a wrapper with the same interface for ``-``
    (stdout) and for an existing device or fifo, which a rename would replace."""
    path = os.fspath(path)
    if path == "-" or (os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)):
        return _StreamFile(path, mode)
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
    except BaseException as error:
        output.discard()
        failure = write_failure(error, output.path)
        if failure is not None:
            raise failure from None
        raise
    output.commit()


class OutputGroup:
    """Several output files that appear together or not at all; use as a context manager.

    ``group.open(path, mode)`` gives a file object for each; on a clean exit every file is
    written out first and only then renamed into place, on an exception none is. A path
    given for two outputs is an InputError (one would silently overwrite the other).
    """

    def __init__(self):
        self._outputs = []
        self._paths = {}

    def open(self, path, mode="w", *, what="output"):
        key = os.path.abspath(os.fspath(path)) if os.fspath(path) != "-" else "-"
        if key in self._paths:
            raise InputError(f"the same file is given for the {self._paths[key]} and the {what}", path)
        self._paths[key] = what
        output = open_output(path, mode)
        self._outputs.append(output)
        return output.file

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                for output in self._outputs:
                    output.finish()
            except BaseException:
                self._discard()
                raise
            for output in self._outputs:
                output.publish()
            return False
        self._discard()
        failure = write_failure(exc, self._outputs[-1].path) if self._outputs else None
        if failure is not None:
            raise failure from None
        return False

    def _discard(self):
        for output in self._outputs:
            output.discard()
