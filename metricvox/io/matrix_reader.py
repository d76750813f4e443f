"""Read Kaldi tables of matrices and vectors: arks (binary or text, files, stdin, pipes) and scps.

Binary objects are decoded by kaldiio (including compressed matrices). Text
objects are parsed here because kaldiio guesses a text matrix's dtype from its
first number, so Kaldi's ``[ 0 1.5 ]`` would fail or come back as int32; Kaldi
itself always reads text tables as floats.
"""

import contextlib
import re
import struct
import sys

import numpy as np
from kaldiio.matio import read_kaldi, read_token

from metricvox.errors import InputError
from metricvox.io.lines import iter_lines
from metricvox.io.pipes import is_pipe, open_pipe
from metricvox.io.specifiers import parse_rspecifier


def read_matrices(rspecifier):
    """Iterate ``(key, numpy array)`` over the table named by a Kaldi rspecifier, in table order.

    A key seen twice is an InputError naming both places: which of the two a reader
    meant cannot be known, and keeping either drops the other silently."""
    for key, array, _path, _line in _iter_entries(parse_rspecifier(rspecifier)):
        yield key, array


def read_matrix_dict(rspecifier):
    """The whole table as a dict; a key seen twice is an InputError naming where."""
    return dict(read_matrices(rspecifier))


def read_scp_entry(key, location, scp_path, line):
    """The matrix or vector of one scp entry, read on its own (random access by key, as
    training crops need): ``location`` is the entry's rest (``ark:offset``, a file or a pipe,
    optionally with a range); a problem is an InputError at ``scp_path:line``."""
    location, offset, ranges = _parse_location(location, scp_path, line)
    with _open_binary(location, where=(scp_path, line)) as stream:
        if offset is not None:
            stream.seek(offset)
        array = _read_object(stream, key, scp_path, line)
    return array if ranges is None else _apply_ranges(array, ranges, key, scp_path, line)


def _iter_entries(spec):
    entries = _iter_ark(spec.path) if spec.kind == "ark" else _iter_scp(spec.path)
    first_seen = {}
    for number, (key, array, path, line) in enumerate(entries, start=1):
        where = line if line is not None else number
        if key in first_seen:
            what = "line" if line is not None else "entry"
            raise InputError(f"key '{key}' appears twice in the table: {what}s {first_seen[key]} and {where}",
                             path, line)
        first_seen[key] = where
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise InputError(f"'{key}': NaN or infinite value ({array[bad]} at index {bad}); "
                             "matrices and vectors must be finite", path, line)
        yield key, array, path, line


@contextlib.contextmanager
def _open_binary(path, *, where=None):
    """A binary stream for a file, "-" (stdin) or an input pipe."""
    if path == "-":
        if sys.stdin is None:   # the tool was started with stdin closed (`<&-`)
            raise InputError("cannot read stdin: it is closed", "-")
        yield sys.stdin.buffer
    elif is_pipe(path):
        with open_pipe(path, where=where) as stream:
            yield stream
    else:
        try:
            stream = open(path, "rb")
        except OSError as error:
            if where is None:
                raise InputError(f"cannot open: {error.strerror}", path) from None
            raise InputError(f"cannot open '{path}': {error.strerror}", *where) from None
        with stream:
            yield stream


def _iter_ark(path):
    with _open_binary(path) as stream:
        while True:
            key = read_token(stream)
            if key is None:
                return
            yield key, _read_object(stream, key, path, None), path, None


def _read_object(stream, key, path, line):
    """One matrix or vector at the stream's position, binary or text."""
    head = stream.peek(1)[:1]
    if not head:
        raise InputError(f"'{key}': no data (the file ends here)", path, line)
    if head == b"\0":
        try:
            array = read_kaldi(stream)
        except (AssertionError, ValueError, struct.error, EOFError, UnicodeDecodeError, OverflowError,
                MemoryError) as error:   # the last two: a header announcing absurd dimensions
            raise InputError(f"'{key}': truncated or corrupt binary matrix ({error or 'bad header'})",
                             path, line) from None
        if isinstance(array, tuple):
            raise InputError(f"'{key}': holds audio, not a matrix or vector", path, line)
        return array if array.flags.writeable else array.copy()
    return _read_text_object(stream, key, path, line)


def _parse_floats(tokens, key, path, line):
    try:
        return np.array(tokens, dtype=np.float32)
    except ValueError:
        raise InputError(f"'{key}': a text matrix holds something that is not a number", path, line) from None


def _read_text_object(stream, key, path, line):
    # Kaldi text: a vector is " [ 1 2 3 ]" on one line; a matrix is " [" then one row per line,
    # the last row ending with "]".
    first = stream.readline().decode("utf-8", errors="replace")
    before, bracket, rest = first.partition("[")
    if not bracket or before.strip():
        raise InputError(f"'{key}': expected a binary object or a text one starting with '['", path, line)
    if "]" in rest:
        return _parse_floats(rest.partition("]")[0].split(), key, path, line)
    rows = [rest.split()] if rest.strip() else []
    while True:
        raw = stream.readline()
        if not raw:
            raise InputError(f"'{key}': text matrix ends without its closing ']'", path, line)
        body, closing, _ = raw.decode("utf-8", errors="replace").partition("]")
        if body.strip():
            rows.append(body.split())
        if closing:
            break
    if len({len(row) for row in rows}) > 1:
        raise InputError(f"'{key}': text matrix rows have different lengths", path, line)
    matrix = _parse_floats(rows, key, path, line)
    return matrix.reshape(len(rows), -1) if rows else np.zeros((0, 0), np.float32)


_RANGE = re.compile(r"(.*)\[\s*(\d+)\s*:\s*(\d+)\s*(?:,\s*(\d+)\s*:\s*(\d+)\s*)?\]")


def _parse_location(rest, path, line):
    """``ark:offset``, ``file``, ``cmd |``, optionally followed by Kaldi's inclusive ``[r1:r2,c1:c2]``."""
    if is_pipe(rest):
        return rest, None, None
    ranges = None
    match = _RANGE.fullmatch(rest)
    if match:
        rest = match.group(1)
        r1, r2, c1, c2 = (None if g is None else int(g) for g in match.groups()[1:])
        if r2 < r1 or (c1 is not None and c2 < c1):
            raise InputError(f"bad range in {rest!r}: the last row or column comes before the first",
                             path, line)
        ranges = (slice(r1, r2 + 1), slice(None) if c1 is None else slice(c1, c2 + 1))
    elif rest.endswith("]"):
        raise InputError(f"bad range in {rest!r}: expected [first_row:last_row] or "
                         "[first_row:last_row,first_col:last_col]", path, line)
    head, colon, tail = rest.rpartition(":")
    if colon and tail.isdigit():
        return head, int(tail), ranges
    return rest, None, ranges


def _iter_scp(scp_path):
    # Consecutive entries usually live in the same ark: keep the last one open.
    open_ark = None
    with contextlib.ExitStack() as stack:
        for line_number, text in iter_lines(scp_path):
            key, _, rest = text.strip().partition(" ")
            rest = rest.strip()
            if not key or not rest:
                raise InputError("expected 'KEY LOCATION'", scp_path, line_number)
            location, offset, ranges = _parse_location(rest, scp_path, line_number)
            where = (scp_path, line_number)
            if offset is None:
                with _open_binary(location, where=where) as stream:
                    array = _read_object(stream, key, scp_path, line_number)
            else:
                if open_ark is None or open_ark[0] != location:
                    stack.close()
                    open_ark = (location, stack.enter_context(_open_binary(location, where=where)))
                stream = open_ark[1]
                stream.seek(offset)
                array = _read_object(stream, key, scp_path, line_number)
            if ranges is not None:
                array = _apply_ranges(array, ranges, key, scp_path, line_number)
            yield key, array, scp_path, line_number


def _apply_ranges(array, ranges, key, path, line):
    rows, cols = ranges
    if array.ndim != 2 or rows.stop > array.shape[0] or (cols.stop or 0) > array.shape[1]:
        raise InputError(f"'{key}': range is outside the {'x'.join(map(str, array.shape))} matrix", path, line)
    return array[rows, cols].copy()
