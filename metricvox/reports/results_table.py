"""A Markdown table of verification results gathered from metricvox-compute-eer outputs."""

import re

from metricvox.data.tables import iter_lines
from metricvox.errors import InputError

_MEASURE = re.compile(r"^(EER|minDCF\(p=[^)]+\)): ([-+0-9.eE]+)%?$")


def read_measures(path):
    """{measure: value} from the lines a metricvox-compute-eer run printed."""
    measures = {}
    for line_no, text in iter_lines(path):
        match = _MEASURE.match(text.strip())
        if match:
            measures[match.group(1)] = float(match.group(2))
        elif text.strip():
            raise InputError(f"expected 'EER: x%' or 'minDCF(p=...): y', got {text.strip()!r}",
                             path, line_no)
    if "EER" not in measures:
        raise InputError("no 'EER:' line", path)
    return measures


def _cell(name):
    """A name as a Markdown table cell: a '|' in it would end the cell."""
    return name.replace("|", "\\|")


def results_table(rows):
    """Markdown for ``[(system, trial_list, measures)]``; one column per measure seen."""
    columns = []
    for _, _, measures in rows:
        columns += [m for m in measures if m not in columns]
    header = ["system", "trials"] + [c + (" (%)" if c == "EER" else "") for c in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for system, trials, measures in rows:
        cells = [_cell(system), _cell(trials)]
        for column in columns:
            value = measures.get(column)
            cells.append("" if value is None else (f"{value:.2f}" if column == "EER" else f"{value:.4f}"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def wide_results_table(rows):
    """Markdown with one row per system and, per trial list, its EER and first minDCF.

    Lists and systems keep the order of ``rows``; a system not scored on a list has
    empty cells there.
    """
    systems, lists, cells = [], [], {}
    for system, trials, measures in rows:
        systems += [system] if system not in systems else []
        lists += [trials] if trials not in lists else []
        cells[system, trials] = measures
    dcfs = [m for _, _, measures in rows for m in measures if m.startswith("minDCF")]
    dcf = dcfs[0] if dcfs else None
    header = ["system"]
    for trials in lists:
        header += [f"{_cell(trials)} EER (%)"] + ([f"{_cell(trials)} {dcf}"] if dcf else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for system in systems:
        row = [_cell(system)]
        for trials in lists:
            measures = cells.get((system, trials), {})
            row.append(f"{measures['EER']:.2f}" if "EER" in measures else "")
            if dcf:
                row.append(f"{measures[dcf]:.4f}" if dcf in measures else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
