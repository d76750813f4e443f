"""Check a Kaldi data directory for every inconsistency, each reported with file and line."""

import logging
import os

from metricvox.data.datadir import DataDir
from metricvox.data.durations import header_seconds
from metricvox.data.segments import check_segment_end, segment_times
from metricvox.data.tables import c_order, read_table
from metricvox.data.trials import read_trials
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def _problems_of_table(datadir, name, utterances, utt2spk_lines):
    """Keys of a per-utterance table against utt2spk: extra keys and missing utterances."""
    problems = []
    keys = set()
    for row in datadir.tables[name]:
        keys.add(row.key)
        if row.key not in utterances:
            problems.append(InputError(f"utterance '{row.key}' is not in utt2spk", datadir.file(name), row.line))
    for utt in utterances:
        if utt not in keys:
            problems.append(InputError(f"utterance '{utt}' has no entry in {name}",
                                       datadir.file("utt2spk"), utt2spk_lines[utt]))
    return problems


def _problems_of_spk2utt(datadir, utt2spk, utt2spk_lines):
    path = datadir.file("spk2utt")
    if "spk2utt" not in datadir.tables:
        return [InputError("spk2utt is missing (metricvox-fix-data-dir creates it from utt2spk)", path)]
    problems = []
    listed = {}
    for row in datadir.tables["spk2utt"]:
        for utt in row.fields:
            if utt in listed:
                problems.append(InputError(f"utterance '{utt}' is listed twice (first on line {listed[utt]})",
                                           path, row.line))
            elif utt2spk.get(utt) != row.key:
                said = "is not in utt2spk" if utt not in utt2spk else f"belongs to '{utt2spk[utt]}' in utt2spk"
                problems.append(InputError(f"utterance '{utt}' of speaker '{row.key}' {said}", path, row.line))
            listed.setdefault(utt, row.line)
    for utt, spk in utt2spk.items():
        if utt not in listed:
            problems.append(InputError(f"utterance '{utt}' of speaker '{spk}' is missing from spk2utt",
                                       datadir.file("utt2spk"), utt2spk_lines[utt]))
    return problems


def _problems_of_segments(datadir):
    recordings = {row.key: row for row in datadir.tables.get("wav.scp", [])}
    segments_file = datadir.file("segments")
    recording_seconds, problems = _recording_lengths(datadir, recordings)
    for row in datadir.tables["segments"]:
        recording, start, end = row.fields
        if recording not in recordings:
            problems.append(InputError(f"recording '{recording}' is not in wav.scp", segments_file, row.line))
        try:
            start, end = segment_times(start, end, segments_file, row.line)
            seconds = recording_seconds(recording)
            if seconds is not None:
                check_segment_end(end, seconds, recording, segments_file, row.line)
        except InputError as problem:
            problems.append(problem)
    return problems


def _recording_lengths(datadir, recordings):
    """(recording -> seconds or None, problems of reco2dur): a recording's length is its
    reco2dur entry when the dir has one, else its audio file's header; None when neither is
    at hand (a pipe or a missing file is not opened: validation decodes no audio)."""
    listed, problems = {}, []
    if os.path.exists(datadir.file("reco2dur")):
        try:
            listed, problems = _durations(read_table(datadir.file("reco2dur"), min_fields=2, max_fields=2),
                                          datadir.file("reco2dur"))
        except InputError as problem:
            problems = [problem]
    from_headers = {}

    def recording_seconds(recording):
        if recording in listed:
            return listed[recording]
        if recording not in from_headers:
            row = recordings.get(recording)
            from_headers[recording] = header_seconds(row.rest) if row is not None else None
        return from_headers[recording]
    return recording_seconds, problems


def _durations(rows, path):
    """({key: seconds}, problems) of a table of durations (utt2dur, reco2dur): positive numbers."""
    seconds, problems = {}, []
    for row in rows:
        try:
            value = float(row.rest)
            if not value > 0:
                raise ValueError
            seconds[row.key] = value
        except ValueError:
            problems.append(InputError(f"duration '{row.rest}' is not a positive number", path, row.line))
    return seconds, problems


def _problems_of_trials(datadir, utterances, speakers):
    path = datadir.trials_file()
    problems = []
    for trial in read_trials(path):
        # The enrollment side may be a speaker (a model enrolled from all its utterances).
        if trial.enroll not in utterances and trial.enroll not in speakers:
            problems.append(InputError(f"enrollment '{trial.enroll}' is neither an utterance nor a speaker "
                                       "of this data dir", path, trial.line))
        if trial.test not in utterances:
            problems.append(InputError(f"test utterance '{trial.test}' is not in this data dir", path, trial.line))
    return problems


def find_problems(path):
    """Every inconsistency of the data dir at ``path``, as a list of InputError (empty = valid).

    A table that cannot be read at all (bad field count, unsorted, duplicate key) is
    one problem, and its contents are not checked further.
    """
    try:
        datadir = DataDir.load(path)
    except InputError as error:
        return [error]
    utt2spk = datadir.utt2spk()
    utt2spk_lines = {row.key: row.line for row in datadir.tables["utt2spk"]}
    problems = []
    for name in datadir.per_utterance_tables():
        if name != "utt2spk":
            problems += _problems_of_table(datadir, name, utt2spk, utt2spk_lines)
    if "segments" in datadir.tables:
        problems += _problems_of_table(datadir, "segments", utt2spk, utt2spk_lines)
        problems += _problems_of_segments(datadir)
    if "utt2dur" in datadir.tables:
        problems += _durations(datadir.tables["utt2dur"], datadir.file("utt2dur"))[1]
    problems += _problems_of_spk2utt(datadir, utt2spk, utt2spk_lines)
    if datadir.trials_file():
        try:
            problems += _problems_of_trials(datadir, utt2spk, set(utt2spk.values()))
        except InputError as error:
            problems.append(error)
    return sorted(problems, key=lambda e: (c_order(e.path or ""), e.line or 0))


def validate_data_dir(path):
    """Raise an InputError for the first problem of the data dir, after logging all of them."""
    problems = find_problems(path)
    if not problems:
        log.info("%s is a valid data directory", os.path.normpath(str(path)))
        return
    for problem in problems[1:]:
        log.error("%s", problem)
    more = f" (and {len(problems) - 1} more problems, listed above)" if len(problems) > 1 else ""
    first = problems[0]
    raise InputError(first.message + more, first.path, first.line)
