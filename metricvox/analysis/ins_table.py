"""The INS table a tool writes: one line per recording and scale.

    utt scale ins threshold stationary|nonstationary

``scale`` is Th/T, ``threshold`` the 95% threshold gamma at that scale; the last
field says whether ins <= threshold. Lines come in the wav table's order, scales
in the order asked for.
"""

import contextlib

from metricvox.io import atomic_write


def format_ins_line(utt_id, point):
    verdict = "stationary" if point.stationary else "nonstationary"
    return f"{utt_id} {point.scale:g} {point.ins:.6g} {point.threshold:.6g} {verdict}\n"


def write_ins_table(path, results, out=None):
    """Write ``(utt_id, points)`` pairs as they come (atomically; ``-`` = stdout) and return them all;
    to ``out``, a file opened for ``path`` (by an OutputGroup), when given."""
    written = []
    with contextlib.nullcontext(out) if out is not None else atomic_write(path) as out:
        for utt_id, points in results:
            out.writelines(format_ins_line(utt_id, point) for point in points)
            written.append((utt_id, points))
    return written
