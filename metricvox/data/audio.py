"""Read audio named in Kaldi tables: files and ``cmd |`` pipes.

libsndfile decodes what it knows (WAV, FLAC, MP3, ...); any other container (VoxCeleb2's
AAC ``.m4a``, say) is decoded in-process by FFmpeg's libraries (container_audio).

Samples come back as float32 mono in [-1, 1] (integer PCM is scaled by
soundfile; multi-channel audio is averaged to mono), or with their channels kept
for the few users that need them (stereo vocal separation). With a ``segments`` file,
each recording is decoded once and every segment cut from it.
"""

import io
import logging
import os
import sys
from fractions import Fraction

import numpy as np
import scipy.signal
import soundfile

from metricvox.data.container_audio import ContainerDecodeError, decode_container
from metricvox.data.tables import read_table
from metricvox.data.segments import segment_times
from metricvox.errors import InputError
from metricvox.io.pipes import is_pipe, run_pipe

log = logging.getLogger(__name__)

# Resampling filter: flat to 90% of the lower Nyquist frequency, at least 80 dB down
# from the lower Nyquist frequency on (so nothing folds back audibly).
_PASSBAND_EDGE = 0.90
_STOPBAND_DB = 80.0
# libsndfile's SF_ERR_UNRECOGNISED_FORMAT: not a container it knows (a malformed WAV is another code).
_UNRECOGNISED_FORMAT = 1


def read_audio(source, *, where=None, mono=True):
    """Decode ``source`` (a file path, a ``"cmd args |"`` pipe or ``-``, stdin) to (float32
    mono samples, rate).

    ``where`` = (table_path, line) is named in errors instead of the source itself.
    ``mono=False`` keeps the channels: samples come back as (samples, channels).
    """
    path, line = where if where else (str(source), None)
    if source == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise InputError("no audio on stdin", path, line)
        stream, name = io.BytesIO(data), "stdin"
    elif is_pipe(source):
        data = run_pipe(source, where=(path, line))
        if not data:
            raise InputError(f"command '{source}' wrote no audio", path, line)
        stream, name = io.BytesIO(data), f"output of '{source}'"
    else:
        if not os.path.isfile(source):
            raise InputError(f"audio file '{source}' does not exist", path, line)
        stream, name = source, f"'{source}'"
    try:
        samples, rate = _decode(stream)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, ContainerDecodeError) as error:
        raise InputError(f"cannot decode audio in {name}: {error}", path, line) from None
    if samples.shape[0] == 0:
        raise InputError(f"{name} holds no audio samples", path, line)
    if mono:
        samples = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1, dtype=np.float32)
    if not np.isfinite(samples).all():
        raise InputError(f"{name} holds NaN or infinite samples", path, line)
    return np.ascontiguousarray(samples), int(rate)


def _decode(stream):
    """(float32 samples x channels, rate): libsndfile first, FFmpeg for containers it does not know."""
    try:
        return soundfile.read(stream, dtype="float32", always_2d=True)
    except soundfile.LibsndfileError as error:
        if error.code != _UNRECOGNISED_FORMAT:
            raise
    if not isinstance(stream, str):
        stream.seek(0)
    return decode_container(stream)


def libsndfile_info(source):
    """soundfile.info of the file ``source``; None when libsndfile does not know its container
    (read_audio decodes those through FFmpeg). Other failures raise soundfile's error."""
    try:
        return soundfile.info(source)
    except soundfile.LibsndfileError as error:
        if error.code == _UNRECOGNISED_FORMAT:
            return None
        raise


def _lowpass(up, down):
    """Kaiser-window FIR low-pass at the lower of the two Nyquist rates, at the up-sampled rate."""
    nyquist = 1.0 / max(up, down)  # lower Nyquist, relative to the up-sampled Nyquist
    width = (1.0 - _PASSBAND_EDGE) * nyquist
    numtaps, beta = scipy.signal.kaiserord(_STOPBAND_DB, width)
    numtaps |= 1  # odd length: linear phase with an integer delay, so no time shift
    cutoff = nyquist - width / 2  # stopband starts at the lower Nyquist frequency
    return scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta))


def resample(samples, orig_rate, new_rate):
    """Resample by the exact rational ratio new_rate/orig_rate with an anti-aliasing polyphase filter."""
    ratio = Fraction(int(new_rate), int(orig_rate))
    samples = np.asarray(samples, dtype=np.float32)
    if ratio == 1:
        return samples.copy()
    up, down = ratio.numerator, ratio.denominator
    out = scipy.signal.resample_poly(samples, up, down, window=_lowpass(up, down))
    return out.astype(np.float32, copy=False)


def wav_table_path(wav_rspecifier):
    """The file of a wav rspecifier (``scp:data/wav.scp`` or a bare path; ``-`` = stdin)."""
    spec = str(wav_rspecifier)
    kind, colon, path = spec.partition(":")
    if not colon:
        return spec
    if kind.split(",")[0] != "scp" or not path:
        raise InputError(f"expected a wav table like 'scp:data/wav.scp' (or just its path), got {spec!r}")
    return path


def _checked_rate(samples, rate, row, table, sample_rate, allow_resample):
    if sample_rate is None or rate == sample_rate:
        return samples, rate
    if not allow_resample:
        raise InputError(f"'{row.key}' is sampled at {rate} Hz, expected {sample_rate} Hz "
                         "(pass --allow-resample to resample it)", table, row.line)
    return resample(samples, rate, sample_rate), sample_rate


def iter_audio(wav_rspecifier, *, segments=None, sample_rate=None, allow_resample=False):
    """Iterate ``(utt_id, float32 samples, rate)`` over a wav.scp, or over its segments.

    ``wav_rspecifier``: ``scp:data/wav.scp``, ``scp:-`` or a bare path. ``segments``: a
    Kaldi segments file (``utt rec start end``, end -1 = to the end of the recording).
    ``sample_rate``: the rate expected; other rates are an error unless
    ``allow_resample``. Keys come in table order (C-sorted).
    """
    table = wav_table_path(wav_rspecifier)
    recordings = read_table(table, min_fields=2)
    if segments is None:
        for row in recordings:
            samples, rate = read_audio(row.rest, where=(table, row.line))
            samples, rate = _checked_rate(samples, rate, row, table, sample_rate, allow_resample)
            yield row.key, samples, rate
        return
    yield from _iter_segments(recordings, table, segments, sample_rate, allow_resample)


def _read_segments(path, recording_keys):
    parsed = []
    for row in read_table(path, min_fields=4, max_fields=4):
        recording, start, end = row.fields
        start, end = segment_times(start, end, path, row.line)
        if recording not in recording_keys:
            raise InputError(f"recording '{recording}' is not in wav.scp", path, row.line)
        parsed.append((row, recording, start, end))
    return parsed


def _iter_segments(recordings, table, segments_path, sample_rate, allow_resample):
    by_key = {row.key: row for row in recordings}
    segments = _read_segments(segments_path, by_key)
    # Decode each recording once and keep it only while segments still need it: in
    # the usual layout (utterance ids prefixed by the recording id) that is one at a time.
    remaining = {}
    for _, recording, _, _ in segments:
        remaining[recording] = remaining.get(recording, 0) + 1
    decoded = {}
    for row, recording, start, end in segments:
        if recording not in decoded:
            wav_row = by_key[recording]
            samples, rate = read_audio(wav_row.rest, where=(table, wav_row.line))
            decoded[recording] = _checked_rate(samples, rate, wav_row, table, sample_rate, allow_resample)
        samples, rate = decoded[recording]
        first = int(round(start * rate))
        last = len(samples) if end == -1 else int(round(end * rate))
        if last > len(samples) or first >= last:
            raise InputError(f"segment {start}-{end} s is outside recording '{recording}' "
                             f"({len(samples) / rate:.3f} s long)", segments_path, row.line)
        yield row.key, samples[first:last].copy(), rate
        remaining[recording] -= 1
        if remaining[recording] == 0:
            del decoded[recording]
