"""A Kaldi data directory in memory: which tables it has, how they are read, written and kept consistent.

A data dir holds text tables keyed by utterance (``utt2spk``, ``utt2label``, ``utt2dur``,
``utt2num_frames``, ``feats.scp``, ``vad.scp``, ``text``, and ``wav.scp`` when there are
no ``segments``), keyed by recording (``wav.scp`` with ``segments``), or by speaker
(``spk2utt``, always derivable from ``utt2spk``). ``trials`` is checked, never rewritten.
"""

import os

from metricvox.data.tables import c_order, format_row, read_table
from metricvox.io.atomic import OutputGroup, output_dir
from metricvox.errors import InputError

# Tables with one row per utterance, and their (min, max) field counts, key included.
UTTERANCE_TABLES = {
    "utt2spk": (2, 2),
    "utt2label": (2, 2),
    "utt2dur": (2, 2),
    "utt2num_frames": (2, 2),
    "feats.scp": (2, None),
    "vad.scp": (2, None),
    "text": (1, None),
}
FIELD_COUNTS = {**UTTERANCE_TABLES, "wav.scp": (2, None), "segments": (4, 4), "spk2utt": (2, None)}
# The order tables are written in: wav.scp and segments before what refers to them.
TABLE_NAMES = ["wav.scp", "segments", *UTTERANCE_TABLES, "spk2utt"]
# Written when given, but neither loaded nor removed when absent: keyed by recording, as
# wav.scp with segments, and checked by validation against it.
RECORDING_TABLES = ["reco2dur"]


class DataDir:
    """The tables of one data directory: ``tables[name]`` is a list of :class:`Row`."""

    def __init__(self, path, tables):
        self.path = str(path)
        self.tables = tables

    @classmethod
    def load(cls, path, *, sorted_keys=True):
        """Read every known table present in ``path``; format errors name file:line."""
        path = str(path)
        if not os.path.isdir(path):
            raise InputError("data directory does not exist", path)
        tables = {}
        for name in TABLE_NAMES:
            file = os.path.join(path, name)
            if os.path.exists(file):
                low, high = FIELD_COUNTS[name]
                tables[name] = read_table(file, min_fields=low, max_fields=high, sorted_keys=sorted_keys)
        if "utt2spk" not in tables:
            raise InputError("a data directory needs an utt2spk file", os.path.join(path, "utt2spk"))
        if "wav.scp" not in tables and "feats.scp" not in tables:
            raise InputError("a data directory needs wav.scp or feats.scp", path)
        return cls(path, tables)

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def utterances(self):
        return [row.key for row in self.tables["utt2spk"]]

    def utt2spk(self):
        return {row.key: row.rest for row in self.tables["utt2spk"]}

    def per_utterance_tables(self):
        """Names of the present tables keyed by utterance (wav.scp too when there are no segments)."""
        names = [n for n in UTTERANCE_TABLES if n in self.tables]
        if "wav.scp" in self.tables and "segments" not in self.tables:
            names.append("wav.scp")
        return names

    def trials_file(self):
        file = self.file("trials")
        return file if os.path.exists(file) else None


def spk2utt_rows(utt2spk_rows):
    """spk2utt from utt2spk: speakers in C order, each with its utterances in utt2spk order."""
    by_speaker = {}
    for row in utt2spk_rows:
        by_speaker.setdefault(row.rest, []).append(row.key)
    return [(spk, " ".join(by_speaker[spk])) for spk in sorted(by_speaker, key=c_order)]


def sorted_rows(rows):
    return sorted(rows, key=lambda row: c_order(row.key))


def select_utterances(datadir, keep):
    """The tables of ``datadir`` restricted to the utterances in ``keep`` (spk2utt regenerated).

    Recordings lose their wav.scp entry when no kept segment uses them.
    """
    tables = {}
    for name in datadir.per_utterance_tables():
        tables[name] = [row for row in datadir.tables[name] if row.key in keep]
    if "segments" in datadir.tables:
        tables["segments"] = [row for row in datadir.tables["segments"] if row.key in keep]
        if "wav.scp" in datadir.tables:
            used = {row.fields[0] for row in tables["segments"]}
            tables["wav.scp"] = [row for row in datadir.tables["wav.scp"] if row.key in used]
    tables["spk2utt"] = spk2utt_rows(tables["utt2spk"])
    return tables


def refuse_writing_over_a_source(dest, sources):
    """Writing a data dir into one it is made from would lose that source: an InputError."""
    if not os.path.isdir(dest):
        return
    for src in sources:
        if os.path.isdir(src) and os.path.samefile(dest, src):
            raise InputError("the output data dir is also an input: give another directory", dest)


def write_data_dir(tables, dest):
    """Write ``tables`` into the data dir ``dest`` (created if needed).

    Every table is first written under a temporary name; only when all are written
    are they renamed into place, so a failure changes nothing. Known tables that
    ``tables`` lacks (a stale ``segments``, say) are removed; other files are kept.
    """
    dest = str(dest)
    # The tables appear together (a full disk changes nothing); a directory made for them
    # goes again if they cannot be written.
    with output_dir(dest), OutputGroup() as outputs:
        for name in TABLE_NAMES + RECORDING_TABLES:
            if name in tables:
                outputs.open(os.path.join(dest, name)).writelines(format_row(row) + "\n" for row in tables[name])
    for name in TABLE_NAMES:
        if name not in tables and os.path.exists(os.path.join(dest, name)):
            os.remove(os.path.join(dest, name))
