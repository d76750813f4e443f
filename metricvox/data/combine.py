"""Combine several Kaldi data directories into one, as Kaldi's combine_data.sh does."""

import logging

from metricvox.data.datadir import (UTTERANCE_TABLES, DataDir, refuse_writing_over_a_source, sorted_rows,
                                    spk2utt_rows, write_data_dir)
from metricvox.data.tables import Row
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def _whole_recording_segments(datadir):
    """Segments for a dir without them: each utterance is its whole wav.scp recording."""
    return [Row(row.key, f"{row.key} 0 -1", row.line) for row in datadir.tables["wav.scp"]]


def _merge(name, sources, key_kind):
    """Rows of table ``name`` from every source; a key in two sources is an error (unless identical)."""
    seen = {}
    rows = []
    for datadir, table in sources:
        for row in table:
            if row.key in seen:
                first_dir, first_row = seen[row.key]
                if key_kind == "recording" and first_row.rest == row.rest:
                    continue  # the same recording shared by two dirs' segments
                raise InputError(f"{key_kind} '{row.key}' is also in {first_dir.file(name)}:{first_row.line}",
                                 datadir.file(name), row.line)
            seen[row.key] = (datadir, row)
            rows.append(row)
    return sorted_rows(rows)


def combine_data_dirs(dest, sources):
    """Write to ``dest`` the union of the data dirs ``sources``; returns the number of utterances.

    A table missing from some source is left out (with a warning). When some sources
    have segments and others not, the others get whole-recording segments.
    """
    if not sources:
        raise InputError("no source data directories to combine")
    refuse_writing_over_a_source(dest, sources)
    datadirs = [DataDir.load(src) for src in sources]
    tables = {}
    for name in UTTERANCE_TABLES:
        having = [d for d in datadirs if name in d.tables]
        if len(having) == len(datadirs):
            tables[name] = _merge(name, [(d, d.tables[name]) for d in datadirs], "utterance")
        elif having:
            log.warning("%s is not in every source, leaving it out", name)
    with_segments = [d for d in datadirs if "segments" in d.tables]
    if all("wav.scp" in d.tables for d in datadirs):
        key_kind = "recording" if with_segments else "utterance"
        tables["wav.scp"] = _merge("wav.scp", [(d, d.tables["wav.scp"]) for d in datadirs], key_kind)
        if with_segments:
            tables["segments"] = _merge(
                "segments", [(d, d.tables["segments"] if "segments" in d.tables else _whole_recording_segments(d))
                             for d in datadirs], "utterance")
    elif any("wav.scp" in d.tables for d in datadirs):
        log.warning("wav.scp is not in every source, leaving it out")
    tables["spk2utt"] = spk2utt_rows(tables["utt2spk"])
    write_data_dir(tables, dest)
    log.info("combined %d data dirs into %s: %d utterances, %d speakers", len(datadirs), dest,
             len(tables["utt2spk"]), len(tables["spk2utt"]))
    return len(tables["utt2spk"])
