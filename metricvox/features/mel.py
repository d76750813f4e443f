"""Kaldi's mel scale and triangular mel filter bank, as a dense (fft bins x mel bins) matrix."""

import functools

import numpy as np

from metricvox.errors import InputError


def mel_scale(frequency_hz):
    """Kaldi's (and HTK's) mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(frequency_hz, dtype=np.float64) / 700.0)


def inverse_mel_scale(mel):
    return 700.0 * np.expm1(np.asarray(mel, dtype=np.float64) / 1127.0)


@functools.lru_cache(maxsize=32)
def mel_banks(num_bins, fft_size, sample_frequency, low_freq, high_freq):
    """Weights W such that power_spectrum @ W are the mel energies, float32.

    ``high_freq`` <= 0 means Nyquist + high_freq (Kaldi). Triangles are equally
    spaced on the mel scale between low and high; each FFT bin below Nyquist is
    weighted by its mel distance to the triangle's edges. The Nyquist bin is
    never used, as in Kaldi.
    """
    nyquist = 0.5 * sample_frequency
    if high_freq <= 0.0:
        high_freq += nyquist
    mel_low, mel_high = mel_scale(low_freq), mel_scale(high_freq)
    delta = (mel_high - mel_low) / (num_bins + 1)
    edges = mel_low + delta * np.arange(num_bins + 2)
    left, center, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]

    bin_mel = mel_scale(np.arange(fft_size // 2) * sample_frequency / fft_size)[None, :]
    rising = (bin_mel - left) / (center - left)
    falling = (right - bin_mel) / (right - center)
    weights = np.where(bin_mel <= center, rising, falling)
    weights = np.where((bin_mel > left) & (bin_mel < right), weights, 0.0)
    empty = np.flatnonzero(~weights.any(axis=1))
    if empty.size:
        raise InputError(f"mel bin {empty[0]} contains no FFT bin: --num-mel-bins={num_bins} "
                         f"is too large for a {fft_size}-point FFT")
    matrix = np.zeros((fft_size // 2 + 1, num_bins), dtype=np.float32)
    matrix[:-1] = weights.T
    matrix.setflags(write=False)
    return matrix


def mel_matrix(options, fft_size):
    """The mel filter bank for the options' mel settings and this FFT size."""
    return mel_banks(options.num_mel_bins, fft_size, float(options.sample_frequency),
                     float(options.low_freq), float(options.high_freq))
