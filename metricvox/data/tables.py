"""Kaldi text tables: one ``KEY REST`` entry per line, keys sorted in C (byte) order.

``rest`` is everything after the key (it may hold spaces, e.g. a ``cmd |`` pipe
in wav.scp); ``row.fields`` splits it. Every problem is reported with the file
and line, e.g. ``data/utt2spk:7: key 'b' is out of order ...``.

The "key key value" files (trials, scores, class scores, pair and triplet lists)
are read by :func:`read_three_columns` instead: any order, blank lines allowed,
exactly three fields a line, each line's value converted by the caller.
"""

from collections import namedtuple

from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write
from metricvox.io.lines import iter_lines

__all__ = ["Row", "iter_lines", "read_table", "read_three_columns", "write_table", "format_row",
           "c_order"]


class Row(namedtuple("Row", "key rest line")):
    """One table entry: its key, the rest of the line (stripped) and its 1-based line number."""

    __slots__ = ()

    @property
    def fields(self):
        return self.rest.split()


def c_order(key):
    """Sort key giving ``LC_ALL=C sort`` order (byte order of the UTF-8 text)."""
    return key.encode("utf-8")


def _fields_wanted(min_fields, max_fields):
    if max_fields is None:
        return f"at least {min_fields} fields"
    if max_fields == min_fields:
        return f"{min_fields} field{'s' if min_fields != 1 else ''}"
    return f"{min_fields} to {max_fields} fields"


def read_table(path, *, min_fields=1, max_fields=None, sorted_keys=True, unique_keys=True):
    """All rows of a Kaldi text table, checked line by line.

    Errors (InputError at ``path:line``): an empty line or key, a field count
    outside ``[min_fields, max_fields]`` (the key counts as a field), a key out of
    C order (when ``sorted_keys``), a key seen before (when ``unique_keys``).
    """
    rows = []
    first_line_of = {}
    previous = None
    for line_number, text in iter_lines(path):
        if not text.strip():
            raise InputError("empty line (expected 'KEY ...')", path, line_number)
        if text[0].isspace():
            raise InputError("line starts with whitespace: empty key", path, line_number)
        parts = text.split(None, 1)
        key, rest = parts[0], (parts[1].strip() if len(parts) > 1 else "")
        count = 1 + len(rest.split())
        if count < min_fields or (max_fields is not None and count > max_fields):
            raise InputError(f"expected {_fields_wanted(min_fields, max_fields)}, got {count}",
                             path, line_number)
        if unique_keys and key in first_line_of:
            raise InputError(f"duplicate key '{key}' (first on line {first_line_of[key]})",
                             path, line_number)
        if sorted_keys and previous is not None and c_order(key) < c_order(previous):
            raise InputError(f"key '{key}' is out of order after '{previous}' "
                             "(sort the file with LC_ALL=C sort)", path, line_number)
        first_line_of.setdefault(key, line_number)
        previous = key
        rows.append(Row(key, rest, line_number))
    return rows


def _three_fields(*fields):
    return fields


def read_three_columns(path, layout, parse=_three_fields):
    """Yield ``(line, value)`` for each non-blank line of a three-column file ("-" = stdin).

    ``layout`` names the expected line in the error for a line without exactly three
    fields, e.g. ``"'enroll test score'"`` gives ``FILE:LINE: expected 'enroll test
    score', got 'a b'``. ``parse(first, second, third)`` turns a line's fields into its
    value (by default the tuple of the three fields). It raises :class:`InputError`
    without a location for a bad value, which is re-raised at ``FILE:LINE``, and returns
    None for fields that are not in ``layout`` at all (the line count error above).
    """
    for line_number, text in iter_lines(path):
        fields = text.split()
        if not fields:
            continue
        value = None
        if len(fields) == 3:
            try:
                value = parse(*fields)
            except InputError as error:
                if error.path is not None:
                    raise
                raise InputError(error.message, path, line_number) from None
        if value is None:
            raise InputError(f"expected {layout}, got {text.strip()!r}", path, line_number)
        yield line_number, value


def write_table(path, rows):
    """Write rows atomically, in the order given ("-" = stdout).

    Each row is a :class:`Row` (key and rest), a ``(key, value)`` pair, or a tuple of
    fields; fields are joined by single spaces.
    """
    with atomic_write(path) as out:
        for row in rows:
            out.write(format_row(row) + "\n")


def format_row(row):
    """The text line (without newline) for a :class:`Row`, a ``(key, value)`` pair or a field tuple."""
    fields = (row.key, row.rest) if isinstance(row, Row) else row
    return " ".join(str(f) for f in fields if str(f) != "")
