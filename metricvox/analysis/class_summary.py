"""The INS summarised per class (e.g. per acoustic source of UrbanSound8K).

For every class and scale: the mean INS and mean threshold over the class's
recordings, the fraction of them found non-stationary, and their count. Written
as text lines, classes in C order, scales in the order analysed:

    label scale mean_ins mean_threshold fraction_nonstationary count
"""

import contextlib
from collections import namedtuple

import numpy as np

from metricvox.data.tables import c_order, read_table
from metricvox.errors import InputError
from metricvox.io import atomic_write

ClassSummary = namedtuple("ClassSummary", "label scale mean_ins mean_threshold nonstationary_fraction count")


def read_labels(path):
    """utt -> label from a Kaldi utt2label table."""
    return {row.key: row.fields[0] for row in read_table(path, min_fields=2, max_fields=2)}


def require_labels(results, labels, path):
    """Pass ``(utt_id, points)`` results through, failing as soon as one has no label
    rather than after the whole table has been analysed."""
    for utt_id, points in results:
        if utt_id not in labels:
            raise InputError(f"recording '{utt_id}' has no label", path)
        yield utt_id, points


def summarise_by_class(results, labels):
    """ClassSummary rows from ``(utt_id, points)`` results and a utt -> label map."""
    by_class = {}
    for utt_id, points in results:
        by_class.setdefault(labels[utt_id], []).append(points)
    summaries = []
    for label in sorted(by_class, key=c_order):
        recordings = by_class[label]
        for i, scale in enumerate(p.scale for p in recordings[0]):
            at_scale = [points[i] for points in recordings]
            summaries.append(ClassSummary(
                label, scale, float(np.mean([p.ins for p in at_scale])),
                float(np.mean([p.threshold for p in at_scale])),
                float(np.mean([not p.stationary for p in at_scale])), len(at_scale)))
    return summaries


def write_class_summary(path, summaries, out=None):
    """Write the summaries to ``path``, or to ``out``, a file opened for it (by an OutputGroup)."""
    with contextlib.nullcontext(out) if out is not None else atomic_write(path) as out:
        for s in summaries:
            out.write(f"{s.label} {s.scale:g} {s.mean_ins:.6g} {s.mean_threshold:.6g} "
                      f"{s.nonstationary_fraction:.4f} {s.count}\n")
