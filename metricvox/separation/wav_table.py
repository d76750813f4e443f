"""Separate every recording of a wav.scp into ``OUT_DIR/wav/<key>.wav`` and ``OUT_DIR/wav.scp``.

Each recording is decoded (files or ``cmd |`` pipes, keeping its channels),
resampled to the separator's 44.1 kHz, separated, the chosen stem averaged to mono,
resampled to the output rate and written as 16-bit WAV. Every file is written
atomically, and recordings whose output already exists are skipped, so a recipe
stage that was interrupted restarts where it stopped. ``OUT_DIR/wav.scp`` (same
keys and order as the input, absolute paths) is written last, once every
recording is done: its presence means the stage finished. ``OUT_DIR/separation.conf``
records the settings, so that a rerun with another stem, rate or model is refused
instead of silently keeping outputs made the other way.

With ``nj > 1`` the recordings are shared among that many worker processes, each
with its own separator and an equal share of the CPU threads.
"""
import concurrent.futures
import logging
import multiprocessing
import os
from pathlib import Path

import numpy as np
import soundfile
import torch

from metricvox.data.audio import read_audio, resample, wav_table_path
from metricvox.data.tables import read_table, write_table
from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write
from metricvox.io.pipes import is_pipe
from metricvox.progress import progress

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


def _separate_to_file(separator, row, table, stem, sample_rate, path):
    samples = separate_recording(separator, row.rest, stem, sample_rate, (table, row.line))
    write_wav(path, samples, sample_rate)


SETTINGS_FILE = "separation.conf"


def _claim(out_dir, settings):
    """Record what ``out_dir`` holds; refuse to mix outputs of other settings into it."""
    lines = [f"--{name}={value}\n" for name, value in settings.items()]
    path = out_dir / SETTINGS_FILE
    if path.is_file():
        found = path.read_text().splitlines(keepends=True)
        if found != lines:
            raise InputError(f"holds a separation made with other settings "
                             f"({' '.join(l.strip() for l in found)}); remove the directory or "
                             "choose another", path)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as out:
        out.writelines(lines)


def separate_wav_table(wav_rspecifier, out_dir, make_separator, stem="vocals",
                       sample_rate=16000, nj=1, settings=()):
    """Separate a wav table into ``out_dir`` (see the module docstring).

    ``make_separator``: a picklable callable returning the separator (called once per
    process, and only if some recording still needs separating). ``settings``: what else
    decides the output (backend, model), recorded with the stem and rate in
    ``out_dir/separation.conf``; a rerun with other settings is an error rather than
    a directory of mixed outputs.
    """
    table = wav_table_path(wav_rspecifier)
    rows = _checked_rows(table)
    out_dir = Path(out_dir)
    _claim(out_dir, dict(settings, stem=stem, **{"sample-rate": sample_rate}))
    wav_dir = out_dir.resolve() / "wav"
    wav_dir.mkdir(parents=True, exist_ok=True)
    outputs = {row.key: wav_dir / f"{row.key}.wav" for row in rows}
    todo = [row for row in rows if not outputs[row.key].is_file()]
    if len(todo) < len(rows):
        log.info("%d of %d recordings already separated in %s, skipped",
                 len(rows) - len(todo), len(rows), wav_dir)
    if todo:
        # Made here even for workers: a missing model or command is reported once, plainly.
        separator = make_separator()
        jobs = [(row, table, stem, sample_rate, outputs[row.key]) for row in todo]
        if nj <= 1 or len(todo) == 1:
            for job in progress(jobs, desc="separating", unit="rec"):
                _separate_to_file(separator, *job)
        else:
            del separator
            _in_workers(make_separator, jobs, min(nj, len(todo)))
    write_table(out_dir / "wav.scp", [(row.key, outputs[row.key]) for row in rows])
    return len(todo)


# One separator per worker process, made once by the pool's initializer.
_worker_separator = None


def _start_worker(make_separator, threads):
    global _worker_separator
    torch.set_num_threads(threads)
    _worker_separator = make_separator()


def _worker_job(job):
    """Run one job; an InputError comes back as its parts (its own pickling loses the place)."""
    try:
        _separate_to_file(_worker_separator, *job)
    except InputError as error:
        return error.message, error.path, error.line
    return None


def _in_workers(make_separator, jobs, nj):
    threads = max(1, torch.get_num_threads() // nj)
    # A clean interpreter per worker: forking a process that already runs torch threads is unsafe.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(nj, mp_context=context, initializer=_start_worker,
                                                initargs=(make_separator, threads)) as pool:
        try:
            for failure in progress(pool.map(_worker_job, jobs), desc="separating",
                                    total=len(jobs), unit="rec"):
                if failure is not None:
                    raise InputError(*failure)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
