"""Repair a Kaldi data directory in place, as Kaldi's fix_data_dir.sh does.

Tables are sorted, utterances missing from any per-utterance table (or whose
segment's recording is missing) are dropped everywhere, recordings no segment uses
are dropped, and spk2utt is regenerated from utt2spk. What was dropped is logged
with counts; a directory left with no utterance is an error.
"""

import logging

from metricvox.data.datadir import DataDir, select_utterances, sorted_rows, write_data_dir
from metricvox.data.segments import segment_times
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def fix_data_dir(path):
    """Fix the data dir at ``path`` in place; return the number of utterances kept."""
    datadir = DataDir.load(path, sorted_keys=False)
    for name, rows in datadir.tables.items():
        datadir.tables[name] = sorted_rows(rows)

    keep = set(datadir.utterances)
    total = len(keep)
    for name in datadir.per_utterance_tables():
        present = {row.key for row in datadir.tables[name]}
        _drop(keep, keep - present, f"missing from {name}")
        extra = len(present - set(datadir.utterances))
        if extra:
            log.info("%s: dropped %d entries for utterances not in utt2spk", name, extra)
    if "segments" in datadir.tables:
        for row in datadir.tables["segments"]:   # bad times cannot be repaired by dropping
            segment_times(*row.fields[1:3], datadir.file("segments"), row.line)
        segments = {row.key: row.fields[0] for row in datadir.tables["segments"]}
        _drop(keep, keep - set(segments), "missing from segments")
        if "wav.scp" in datadir.tables:
            recordings = {row.key for row in datadir.tables["wav.scp"]}
            _drop(keep, {u for u in keep if segments[u] not in recordings}, "whose recording is not in wav.scp")

    if not keep:
        raise InputError(f"no utterance is left (of {total}) after dropping those missing from a table", path)
    tables = select_utterances(datadir, keep)
    if "segments" in datadir.tables and "wav.scp" in datadir.tables:
        unused = len(datadir.tables["wav.scp"]) - len(tables["wav.scp"])
        if unused:
            log.info("dropped %d recordings that no kept segment uses", unused)
    write_data_dir(tables, path)
    log.info("kept %d of %d utterances, %d speakers", len(keep), total, len(tables["spk2utt"]))
    return len(keep)


def _drop(keep, dropped, reason):
    dropped &= keep
    if dropped:
        keep -= dropped
        log.info("dropped %d utterances %s", len(dropped), reason)
