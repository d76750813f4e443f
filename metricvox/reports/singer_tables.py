"""Markdown tables in the shapes of the singer paper's Tables II, III and IV.

Results are nested mappings ``results[condition][system][test_set]`` holding
``{"top": {segments: {k: percent}}, "eer": {segments: percent}}``: identification top-k
accuracy with queries of ``segments`` clips, and verification EER with models of
``segments`` clips (1: the one-on-one comparison). Conditions are blocks of rows (with /
without source separation), test sets the Seen / Unseen column pairs. A figure that is
missing prints as an en dash, so a partial run still gives whole tables.
"""

import re

from metricvox.data.tables import iter_lines
from metricvox.errors import InputError

SETS = (("test_seen", "Seen"), ("test_unseen", "Unseen"))
_TOP = re.compile(r"^top-(\d+): ([-+0-9.eE]+)%$")


def read_identification(path):
    """{k: accuracy in percent} from the lines a metricvox-identify run printed."""
    accuracies = {}
    for line_no, text in iter_lines(path):
        match = _TOP.match(text.strip())
        if match:
            accuracies[int(match.group(1))] = float(match.group(2))
        elif text.strip():
            raise InputError(f"expected 'top-k: x%', got {text.strip()!r}", path, line_no)
    if not accuracies:
        raise InputError("no 'top-k:' line", path)
    return accuracies


def _figure(results, condition, system, test_set, kind, segments, k=None):
    value = results.get(condition, {}).get(system, {}).get(test_set, {}).get(kind, {}).get(segments)
    if k is not None and value is not None:
        value = value.get(k)
    return "–" if value is None else f"{value:.2f}"


def _table(header, blocks):
    """Markdown of a header row and (block title, rows) pairs; a title spans a bold row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for title, rows in blocks:
        lines.append(f"| **{title}** |" + " |" * (len(header) - 1))
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def table2(results, systems, conditions):
    """Identification top-1 / top-5 and one-on-one EER, one clip per query (Table II).

    ``systems``: [(name, label)]; ``conditions``: [(name, block title)].
    """
    header = ["Training metrics"] + [f"{measure} {label}" for measure in
                                     ("Top-1 (%)", "Top-5 (%)", "EER (%)") for _, label in SETS]
    blocks = []
    for condition, title in conditions:
        rows = []
        for system, label in systems:
            cells = [_figure(results, condition, system, s, "top", 1, k) for k in (1, 5) for s, _ in SETS]
            cells += [_figure(results, condition, system, s, "eer", 1) for s, _ in SETS]
            rows.append([label] + cells)
        blocks.append((title, rows))
    return _table(header, blocks)


def table3(results, systems, conditions, segment_counts=(1, 3, 5)):
    """Identification top-1 with queries of 1, 3, 5 clips (Table III): a column pair per system."""
    header = ["No. of seg."] + [f"{label} {set_label}" for _, label in systems for _, set_label in SETS]
    blocks = []
    for condition, title in conditions:
        rows = [[str(n)] + [_figure(results, condition, system, s, "top", n, 1)
                            for system, _ in systems for s, _ in SETS] for n in segment_counts]
        blocks.append((f"{title}, Top-1 (%)", rows))
    return _table(header, blocks)


def table4(results, systems, conditions, segment_counts=(1, 3, 5)):
    """Verification EER with models of 1, 3, 5 clips (Table IV): a row per system."""
    header = ["Metrics"] + [f"{n} Seg. {set_label}" for n in segment_counts for _, set_label in SETS]
    blocks = []
    for condition, title in conditions:
        rows = [[label] + [_figure(results, condition, system, s, "eer", n)
                           for n in segment_counts for s, _ in SETS] for system, label in systems]
        blocks.append((f"{title}, EER (%)", rows))
    return _table(header, blocks)
