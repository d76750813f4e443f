"""The INS of every recording of a Kaldi wav table.

Each recording is decoded (files or ``cmd |`` pipes, see metricvox.data.audio),
brought down to ``sample_rate`` when it is sampled faster (the INS compares spectra
at relative time scales, so a modest rate bounds the cost without changing what
is measured below its Nyquist frequency), and analysed with surrogates drawn from
a random stream keyed by the seed and the utterance id: a recording's result does
not depend on which other recordings are analysed with it.
"""

import zlib

import numpy as np

from metricvox.analysis.ins import index_of_nonstationarity
from metricvox.data.audio import read_audio, resample, wav_table_path
from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.progress import progress


def recording_rng(seed, utt_id):
    """The surrogates' random stream for one recording."""
    return np.random.default_rng([int(seed), zlib.crc32(utt_id.encode("utf-8"))])


def ins_of_recordings(wav_rspecifier, scales, *, surrogates, tapers, seed=0, sample_rate=None):
    """Iterate ``(utt_id, [InsPoint per scale])`` over a wav table, in table order.

    ``sample_rate``: recordings sampled faster are resampled to it (None or 0: keep
    every recording's own rate). A recording the INS cannot be computed for (too
    short for a scale, silent) is an InputError at its wav.scp line.
    """
    table = wav_table_path(wav_rspecifier)
    rows = read_table(table, min_fields=2)
    if not rows:
        raise InputError("no recording in the wav table", table)
    for row in progress(rows, desc="INS", unit="utt"):
        samples, rate = read_audio(row.rest, where=(table, row.line))
        if sample_rate and rate > sample_rate:
            samples, rate = resample(samples, rate, sample_rate), sample_rate
        try:
            points = index_of_nonstationarity(samples, scales, surrogates=surrogates, tapers=tapers,
                                              rng=recording_rng(seed, row.key))
        except ValueError as error:
            raise InputError(f"recording '{row.key}' ({len(samples) / rate:.3f} s at {rate} Hz): "
                             f"{error}", table, row.line) from None
        yield row.key, points
