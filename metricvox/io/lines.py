"""Read a text file (or stdin) line by line, with line numbers for error messages."""

import os
import sys

from metricvox.errors import InputError


def iter_lines(path):
    """Yield ``(line_number, text)`` for each line of ``path`` ("-" = stdin), 1-based.

    ``text`` has its line terminator removed. A missing or unreadable file, and a
    line that is not UTF-8, are an :class:`InputError` naming the file (and line).
    """
    path = os.fspath(path)
    if path == "-":
        if sys.stdin is None:   # the tool was started with stdin closed (`<&-`)
            raise InputError("cannot read stdin: it is closed", "-")
        yield from _numbered(sys.stdin.buffer, path)
        return
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise InputError(f"cannot open: {error.strerror}", path) from None
    with stream:
        yield from _numbered(stream, path)


def _numbered(stream, path):
    for line_number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("line is not valid UTF-8 text", path, line_number) from None
        yield line_number, text.rstrip("\n").rstrip("\r")
