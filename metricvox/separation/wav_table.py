"""Separate every recording of a wav.scp into ``OUT_DIR/wav/<key>.wav`` and ``OUT_DIR/wav.scp``.

Each recording is decoded (files or ``cmd |`` pipes, keeping its channels),
resampled to the separator's 44.1 kHz, separated, the chosen stem averaged to mono,
resampled to the output rate and written as 16-bit WAV. Every file is written
atomically, and recordings whose output already exists are skipped, so a recipe
stage that was interrupted restarts where it stopped. ``OUT_DIR/wav.scp`` (same
keys and order as the input, absolute paths) is written last, once every
recording is done: its presence means the stage finished. ``OUT_DIR/separation.conf``
records the settings, so that a rerun with another stem, rate or model is refused
instead of silently keeping outputs made the other way. A run that fails before its
first recording is separated leaves nothing behind (not even the settings record), so
its corrected rerun starts afresh.

With ``nj > 1`` the recordings are shared among that many worker processes
(:mod:`metricvox.worker_pool`), each with its own separator and an equal share of the
CPU threads.
"""
import contextlib
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import soundfile

from metricvox.data.audio import read_audio, resample, wav_table_path
from metricvox.data.tables import read_table, write_table
from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write, make_output_dir, write_failure
from metricvox.io.pipes import is_pipe
from metricvox.progress import progress
from metricvox.worker_pool import ordered_map

log = logging.getLogger(__name__)


def _checked_rows(table):
    rows = read_table(table, min_fields=2)
    if not rows:
        raise InputError("no recordings in the wav table", table)
    for row in rows:
        if "/" in row.key or row.key in (".", ".."):
            raise InputError(f"key '{row.key}' cannot name an output file", table, row.line)
        # Missing files are found before hours of separation, not after.
        if not is_pipe(row.rest) and not os.path.isfile(row.rest):
            raise InputError(f"audio file '{row.rest}' does not exist", table, row.line)
    return rows


def separate_recording(separator, source, stem, sample_rate, where):
    """The ``stem`` of the recording ``source`` as float32 mono samples at ``sample_rate``."""
    samples, rate = read_audio(source, where=where, mono=False)
    samples = resample(samples, rate, separator.sample_rate)
    try:
        separated = separator.separate(samples, stems=(stem,))[stem]
    except InputError as error:
        raise InputError(error.message, *where) from None
    return resample(separated.mean(axis=1), separator.sample_rate, sample_rate)


def write_wav(path, samples, sample_rate):
    """16-bit PCM WAV, written atomically."""
    with atomic_write(path, "wb") as out:
        soundfile.write(out, np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16",
                        format="WAV")


class SeparateToFile:
    """Separates a (row, output path) of ``table`` into its file: the job of every process.

    The separator is made on first use in each process (workers get the job without it),
    or given, as the one made up front to check that it can be.
    """

    def __init__(self, make_separator, table, stem, sample_rate, separator=None):
        self.make_separator = make_separator
        self.table = table
        self.stem = stem
        self.sample_rate = sample_rate
        self.separator = separator

    def __getstate__(self):
        return dict(self.__dict__, separator=None)

    def __call__(self, row_and_path):
        row, path = row_and_path
        if self.separator is None:
            self.separator = self.make_separator()
        samples = separate_recording(self.separator, row.rest, self.stem, self.sample_rate,
                                     (self.table, row.line))
        write_wav(path, samples, self.sample_rate)


SETTINGS_FILE = "separation.conf"


def _any_separated(wav_dir):
    """Whether ``wav_dir`` holds a separated recording (a temporary file is none)."""
    return wav_dir.is_dir() and any(path.suffix == ".wav" for path in wav_dir.iterdir())


def _check_settings(out_dir, lines):
    """Refuse to mix outputs of other settings into ``out_dir``.

    A record whose directory holds no separated recording (a run that died before its
    first one) decides nothing and is replaced.
    """
    path = out_dir / SETTINGS_FILE
    if not path.is_file():
        return
    found = path.read_text().splitlines(keepends=True)
    if found != lines and _any_separated(out_dir / "wav"):
        raise InputError(f"holds a separation made with other settings "
                         f"({' '.join(l.strip() for l in found)}); remove the directory or "
                         "choose another", path)


@contextlib.contextmanager
def _claimed(out_dir, wav_dir, lines):
    """For the block: ``out_dir`` and its ``wav_dir`` created, the settings recorded.

    If the block fails before any recording is separated, what this created is removed
    and the record too: nothing is left that looks like a separation, and a rerun with
    corrected settings is not refused. Recordings already separated are kept, with
    their record, for the rerun to skip.
    """
    created = make_output_dir(out_dir)
    had_wav_dir = wav_dir.is_dir()
    try:
        with atomic_write(out_dir / SETTINGS_FILE) as out:
            out.writelines(lines)
        wav_dir.mkdir(exist_ok=True)
        yield
    except BaseException as error:
        if not _any_separated(wav_dir):
            if created:
                shutil.rmtree(created, ignore_errors=True)
            else:
                (out_dir / SETTINGS_FILE).unlink(missing_ok=True)
                if not had_wav_dir:
                    shutil.rmtree(wav_dir, ignore_errors=True)
        failure = write_failure(error, out_dir)
        if failure is not None:
            raise failure from None
        raise


def separate_wav_table(wav_rspecifier, out_dir, make_separator, stem="vocals",
                       sample_rate=16000, nj=1, settings=()):
    """Separate a wav table into ``out_dir`` (see the module docstring).

    ``make_separator``: a picklable callable returning the separator (called once per
    process, and only if some recording still needs separating). ``settings``: what else
    decides the output (backend, model), recorded with the stem and rate in
    ``out_dir/separation.conf``; a rerun with other settings over separated recordings
    is an error rather than a directory of mixed outputs.
    """
    table = wav_table_path(wav_rspecifier)
    rows = _checked_rows(table)
    out_dir = Path(out_dir)
    lines = [f"--{name}={value}\n"
             for name, value in dict(settings, stem=stem, **{"sample-rate": sample_rate}).items()]
    _check_settings(out_dir, lines)
    wav_dir = out_dir.resolve() / "wav"
    outputs = {row.key: wav_dir / f"{row.key}.wav" for row in rows}
    todo = [row for row in rows if not outputs[row.key].is_file()]
    if len(todo) < len(rows):
        log.info("%d of %d recordings already separated in %s, skipped",
                 len(rows) - len(todo), len(rows), wav_dir)
    # Made before anything is written, even for workers: a missing or unreadable model or
    # command is reported once, plainly, and leaves no output directory behind.
    separator = make_separator() if todo else None
    with _claimed(out_dir, wav_dir, lines):
        if todo:
            job = SeparateToFile(make_separator, table, stem, sample_rate, separator)
            separated = ordered_map(job, [(row, outputs[row.key]) for row in todo], nj)
            for _ in progress(separated, desc="separating", total=len(todo), unit="rec"):
                pass
        write_table(out_dir / "wav.scp", [(row.key, outputs[row.key]) for row in rows])
    return len(todo)
