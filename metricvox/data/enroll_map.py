"""Enrollment maps: 'model utt1 utt2 ...' per line, like spk2utt.

A model (a speaker, a singer, a class) is made of several utterances; the tools
that score, adapt or identify models read which ones from such a map. It is a
Kaldi text table (keys sorted, each once), so a bad line is reported as
``FILE:LINE: what``.
"""

from metricvox.data.tables import read_table
from metricvox.errors import InputError


class EnrollMap(dict):
    """``{model: [utterances]}`` in the file's order, knowing the file and each model's line."""

    def __init__(self, path, rows):
        super().__init__((row.key, row.fields) for row in rows)
        self.path = str(path)
        self.lines = {row.key: row.line for row in rows}

    def where(self, model):
        """``(file, line)`` of ``model``, to locate an error about it."""
        return self.path, self.lines[model]


def read_enroll_map(path):
    """The :class:`EnrollMap` in ``path``; a line without utterances, or no line at all, is an error."""
    rows = read_table(path, min_fields=2)
    if not rows:
        raise InputError("no models in the enrollment map (expected 'model utt1 utt2 ...' lines)",
                         path)
    return EnrollMap(path, rows)
