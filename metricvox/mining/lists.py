"""The files that pair mining writes and Siamese training reads.

- pairs: ``anchor other target|nontarget``, one line a pair: a client pair is
  ``target``, an impostor pair ``nontarget``. This is exactly the Kaldi trial
  format, so a pair list reads with :func:`metricvox.data.trials.read_trials` and
  can be scored like any trial list.
- triplets: ``anchor client impostor``, one line a triplet.

Both are sorted by anchor (then by the other columns), like every Kaldi table.
"""

import contextlib
from collections import namedtuple

from metricvox.data.tables import c_order, read_three_columns
from metricvox.data.trials import read_trials
from metricvox.errors import InputError
from metricvox.io import atomic_write

Triplet = namedtuple("Triplet", "anchor client impostor line")


def read_pairs(path):
    """The pairs of a pair list, as Trial tuples (``is_target`` = client pair)."""
    return read_trials(path)


def write_pairs(path, pairs, out=None):
    """Write ``[(anchor, other, is_client)]`` sorted, atomically to ``path``, or to ``out``,
    a file opened for it (by an OutputGroup)."""
    with contextlib.nullcontext(out) if out is not None else atomic_write(path) as out:
        for anchor, other, is_client in sorted(pairs, key=lambda p: (c_order(p[0]), c_order(p[1]))):
            out.write(f"{anchor} {other} {'target' if is_client else 'nontarget'}\n")


def read_triplets(path):
    """The triplets of a triplet list, in file order."""
    triplets = [Triplet(*fields, line_no)
                for line_no, fields in read_three_columns(path, "'anchor client impostor'")]
    if not triplets:
        raise InputError("no triplets in file", path)
    return triplets


def write_triplets(path, triplets, out=None):
    """Write ``[(anchor, client, impostor)]`` sorted, atomically to ``path``, or to ``out``,
    a file opened for it (by an OutputGroup)."""
    with contextlib.nullcontext(out) if out is not None else atomic_write(path) as out:
        for triplet in sorted(triplets, key=lambda t: tuple(c_order(x) for x in t[:3])):
            out.write(" ".join(triplet[:3]) + "\n")
