"""The class of each utterance of a class task: a data dir's ``utt2label`` (``utt class``).

Kept with the line each utterance is on, so that a problem found later (an
unknown class, a class with no data) can still be reported at ``file:line``.
"""

from dataclasses import dataclass

from metricvox.data.tables import c_order, read_table
from metricvox.errors import InputError


@dataclass
class UttLabels:
    labels: dict      # utt -> class
    lines: dict       # utt -> 1-based line in ``path``
    path: str

    @property
    def classes(self):
        """The classes named, in C order."""
        return sorted(set(self.labels.values()), key=c_order)

    def utts_of(self, name):
        return [utt for utt, label in self.labels.items() if label == name]

    def error(self, utt, message):
        """An InputError at the line of ``utt``."""
        return InputError(message, self.path, self.lines.get(utt))


def read_utt2label(path):
    """The :class:`UttLabels` of a sorted ``utt class`` table; an empty one is an error."""
    rows = read_table(path, min_fields=2, max_fields=2)
    if not rows:
        raise InputError("no utterances (expected 'utt class' lines)", path)
    return UttLabels({row.key: row.rest for row in rows},
                     {row.key: row.line for row in rows}, str(path))
