"""An augmented copy of a data dir, as Kaldi's steps/data/augment_data_dir.py and
reverberate_data_dir.py make them: the same utterances, each recording read through
``metricvox-augment-wav`` in its wav.scp pipe.

Every key gets ``-SUFFIX`` (recordings too, and the segments that cut them), so the copy
can be combined with its source; speakers stay the same. A recording's wav.scp line
becomes ``<its own command> | metricvox-augment-wav ... - - |`` (or ``metricvox-augment-wav
... PATH - |`` for a plain path), seeded per recording from the directory's seed and the
recording id (:func:`recording_seed`), so every copy is reproducible and each recording
gets its own draws. Augmentation keeps a recording's length and time alignment, so its
durations (utt2dur, reco2dur) carry over, and so does its voice activity (vad.scp), which
Kaldi v2 too takes from the clean copy: noise at a low SNR would fool an energy VAD.
Features and frame counts (feats.scp, utt2num_frames) and trials do not carry over:
compute the features of the augmented audio.
"""

import hashlib
import os
import shlex
import tempfile

from metricvox.augment.recording import recording_transform
from metricvox.data.datadir import (DataDir, refuse_writing_over_a_source, sorted_rows,
                                    spk2utt_rows, write_data_dir)
from metricvox.data.tables import Row, read_table
from metricvox.data.validate import find_problems, validate_data_dir
from metricvox.errors import InputError
from metricvox.io.pipes import is_pipe

TOOL = "metricvox-augment-wav"
# Carried over with their keys renamed; the other utterance tables describe the old audio.
RENAMED_TABLES = ("utt2spk", "utt2label", "utt2dur", "vad.scp", "text")
# A rate to read the corpora at when checking them (each pipe reads them at its audio's rate).
CHECK_RATE = 16000


def recording_seed(seed, recording):
    """The seed of ``recording``'s augmentation: a 31-bit hash of (``seed``, its id)."""
    digest = hashlib.sha256(f"{int(seed)}\0{recording}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def tool_words(kind, musan=None, rirs=None, snr=None, speakers=None, rooms=None, vocals=None):
    """The ``metricvox-augment-wav`` options (all but --seed) of one kind, as words."""
    words = [TOOL, "--kind", kind]
    for option, value in (("--musan", musan), ("--rirs", rirs)):
        if value is not None:
            words += [option, os.path.abspath(value)]
    for option, value in (("--snr", snr), ("--speakers", speakers)):
        if value is not None:
            words += [option, f"{value[0]:g}:{value[1]:g}"]
    if rooms is not None:
        words += ["--rooms", ",".join(rooms)]
    if vocals is not None:
        words.append("--vocals" if vocals else "--no-vocals")
    return words


def augmented_source(source, words, seed):
    """The wav.scp value reading ``source`` (a path or a ``cmd |`` pipe) augmented."""
    command = " ".join(shlex.quote(word) for word in [*words, "--seed", str(seed)])
    if is_pipe(source):
        return f"{source.rstrip()[:-1].rstrip()} | {command} - - |"
    return f"{command} {shlex.quote(source)} - |"


def _renamed(rows, suffix):
    return sorted_rows(Row(f"{row.key}-{suffix}", row.rest, row.line) for row in rows)


def augmented_tables(datadir, suffix, words, seed, reco2dur=None):
    """The tables of the augmented copy of ``datadir`` (a :class:`DataDir`)."""
    tables = {name: _renamed(datadir.tables[name], suffix)
              for name in RENAMED_TABLES if name in datadir.tables}
    tables["wav.scp"] = _renamed(
        (Row(row.key, augmented_source(row.rest, words, recording_seed(seed, row.key)), row.line)
         for row in datadir.tables["wav.scp"]), suffix)
    if "segments" in datadir.tables:
        tables["segments"] = _renamed(
            (Row(row.key, " ".join([f"{row.fields[0]}-{suffix}", *row.fields[1:]]), row.line)
             for row in datadir.tables["segments"]), suffix)
    if reco2dur is not None:
        tables["reco2dur"] = _renamed(reco2dur, suffix)
    tables["spk2utt"] = spk2utt_rows(tables["utt2spk"])
    return tables


def augment_data_dir(src, dest, kind, seed, suffix=None, **options):
    """Write to ``dest`` the copy of the data dir ``src`` augmented with ``kind``
    (``options``: musan, rirs, snr, speakers, rooms, vocals, as metricvox-augment-wav's).
    The copy is validated before it appears at ``dest``; returns its utterance count."""
    suffix = kind if suffix is None else suffix
    if not suffix or any(character.isspace() for character in suffix):
        raise InputError(f"the key suffix must be a non-empty word, got {suffix!r}")
    refuse_writing_over_a_source(dest, [src])
    # Bad corpora or options: errors now, not in the pipes.
    recording_transform(kind, CHECK_RATE, **options)
    validate_data_dir(src)
    datadir = DataDir.load(src)
    if "wav.scp" not in datadir.tables:
        raise InputError("has no wav.scp: only audio can be augmented", datadir.path)
    reco2dur_path = datadir.file("reco2dur")
    reco2dur = (read_table(reco2dur_path, min_fields=2, max_fields=2)
                if os.path.exists(reco2dur_path) else None)
    tables = augmented_tables(datadir, suffix, tool_words(kind, **options), seed, reco2dur)
    with tempfile.TemporaryDirectory(prefix="metricvox-augment-") as staging:
        write_data_dir(tables, staging)
        problems = find_problems(staging)
    if problems:
        raise InputError(f"the augmented copy would not be a valid data dir: {problems[0]}", dest)
    write_data_dir(tables, dest)
    return len(tables["utt2spk"])

