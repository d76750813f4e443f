"""Cutting a waveform into overlapping frames, with Kaldi's snip-edges semantics.

snip-edges true: frame t covers samples [t*shift, t*shift + length); only frames
that fit entirely in the signal are kept.
snip-edges false: there are round(N / shift) frames, frame t is centred on
t*shift + shift/2, and samples before the start or past the end are taken from
the signal mirrored at its edges (x[-1] = x[0], x[-2] = x[1], ...).
"""

import numpy as np


def window_size(options):
    """Frame length in samples (Kaldi truncates, it does not round)."""
    return int(options.sample_frequency * 0.001 * options.frame_length)


def window_shift(options):
    """Frame shift in samples."""
    return int(options.sample_frequency * 0.001 * options.frame_shift)


def num_frames(num_samples, options):
    """How many frames a signal of ``num_samples`` samples gives."""
    length, shift = window_size(options), window_shift(options)
    if options.snip_edges:
        return 0 if num_samples < length else 1 + (num_samples - length) // shift
    return (num_samples + shift // 2) // shift


def frame_signal(waveform, options):
    """Frames of ``waveform`` as a (num_frames, window_size) array (a copy, same dtype)."""
    length, shift = window_size(options), window_shift(options)
    count = num_frames(len(waveform), options)
    if count == 0:
        return np.zeros((0, length), dtype=waveform.dtype)
    if options.snip_edges:
        padded, first = waveform, 0
    else:
        first = shift // 2 - length // 2
        last = (count - 1) * shift + first + length
        left, right = max(0, -first), max(0, last - len(waveform))
        # 'symmetric' mirrors including the edge sample, as Kaldi does; numpy
        # keeps mirroring when the padding is longer than the signal.
        padded = np.pad(waveform, (left, right), mode="symmetric")
        first += left
    views = np.lib.stride_tricks.sliding_window_view(padded[first:], length)
    # A copy always: with one frame the strided slice is already contiguous, and
    # ascontiguousarray would hand back the read-only window view itself.
    return np.array(views[: (count - 1) * shift + 1 : shift], copy=True)
