"""The INS of every recording of a Kaldi wav table.

Each recording is decoded (files or ``cmd |`` pipes, see metricvox.data.audio),
brought down to ``sample_rate`` when it is sampled faster (the INS compares spectra
at relative time scales, so a modest rate bounds the cost without changing what
is measured below its Nyquist frequency), and analysed with surrogates drawn from
a random stream keyed by the seed and the utterance id: a recording's result does
not depend on which other recordings are analysed with it.

A recording the INS cannot be computed for (too short for the smallest scale's
window, or silent) is skipped with a warning naming it, as Kaldi tools skip what
they cannot process: real corpora (UrbanSound8K) hold clips of a few tens of
milliseconds. Audio that cannot be read is an error, as is a table where nothing
could be analysed.
"""

import logging
import zlib

import numpy as np

from metricvox.analysis.ins import NotAnalysable, index_of_nonstationarity
from metricvox.data.audio import read_audio, resample, wav_table_path
from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.progress import progress

log = logging.getLogger(__name__)


def recording_rng(seed, utt_id):
    """The surrogates' random stream for one recording."""
    return np.random.default_rng([int(seed), zlib.crc32(utt_id.encode("utf-8"))])


def ins_of_recordings(wav_rspecifier, scales, *, surrogates, tapers, seed=0, sample_rate=None):
    """Iterate ``(utt_id, [InsPoint per scale])`` over a wav table, in table order.

    ``sample_rate``: recordings sampled faster are resampled to it (None or 0: keep
    every recording's own rate).
    """
    table = wav_table_path(wav_rspecifier)
    rows = read_table(table, min_fields=2)
    if not rows:
        raise InputError("no recording in the wav table", table)
    skipped = []
    for row in progress(rows, desc="INS", unit="utt"):
        samples, rate = read_audio(row.rest, where=(table, row.line))
        if sample_rate and rate > sample_rate:
            samples, rate = resample(samples, rate, sample_rate), sample_rate
        try:
            points = index_of_nonstationarity(samples, scales, surrogates=surrogates, tapers=tapers,
                                              rng=recording_rng(seed, row.key))
        except NotAnalysable as error:
            reason = f"recording '{row.key}' ({len(samples) / rate:.3f} s at {rate} Hz): {error}"
            log.warning("%s:%d: skipped %s", table, row.line, reason)
            skipped.append((row.line, reason))
            continue
        yield row.key, points
    if len(skipped) == len(rows):
        line, reason = skipped[0]
        raise InputError(f"no recording could be analysed; the first: {reason}", table, line)
    if skipped:
        log.warning("skipped %d of %d recordings (see the warnings above)", len(skipped), len(rows))
