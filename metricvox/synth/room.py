"""Reverberation by a synthetic room impulse response.

A direct-path impulse followed by a noise tail decaying exponentially with the
room's RT60 (60 dB decay time), darker as it decays (air and wall absorption),
at a chosen direct-to-reverberant ratio.
"""
import numpy as np
from scipy.signal import fftconvolve, lfilter


def impulse_response(sample_rate, rt60, direct_to_reverberant_db, rng, max_seconds=1.0):
    """The direct path at sample 0, then the tail, cut at 1.2 RT60 (72 dB down) or ``max_seconds``."""
    length = int(sample_rate * min(1.2 * rt60, max_seconds)) + 1
    t = np.arange(length) / sample_rate
    tail = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)
    tail = lfilter([0.6], [1.0, -0.4], tail)  # absorption dulls the tail
    onset = int(0.003 * sample_rate)  # first reflections arrive after the direct sound
    tail[:onset] = 0.0
    tail *= 10.0 ** (-direct_to_reverberant_db / 20.0) / (np.sqrt(np.sum(tail ** 2)) + 1e-12)
    tail[0] = 1.0
    return tail


def reverberate(signal, sample_rate, rt60, direct_to_reverberant_db, rng):
    """``signal`` in the room, same length (the decay past the end is cut)."""
    ir = impulse_response(sample_rate, rt60, direct_to_reverberant_db, rng)
    return fftconvolve(signal, ir)[:len(signal)]
