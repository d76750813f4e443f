"""Stationary surrogates of a signal by randomising the phases of its Fourier transform.

A surrogate keeps the signal's magnitude spectrum (so its global power spectrum,
its 'stationary counterpart') and replaces every phase by an independent uniform
draw on [-pi, pi): whatever time structure the phases carried, such as onsets,
gating or frequency sweeps, is destroyed, so the surrogate is a realisation of a
stationary process with the signal's spectrum (Borgnat et al. 2010, section III).
The zero-frequency bin and, for an even length, the Nyquist bin must stay real
for the surrogate to be real: they keep their original value, so the magnitude
spectrum is kept exactly at every bin.
"""

import numpy as np
import scipy.fft


def phase_randomised_surrogate(signal, rng):
    """One real surrogate of ``signal`` (1-d), its phases drawn from ``rng`` (numpy Generator)."""
    signal = np.asarray(signal, dtype=np.float64)
    spectrum = scipy.fft.rfft(signal)
    return _with_random_phases(spectrum, len(signal), rng)


def phase_randomised_surrogates(signal, count, rng):
    """Iterate ``count`` independent surrogates of ``signal`` (the FFT of the signal is taken once)."""
    signal = np.asarray(signal, dtype=np.float64)
    spectrum = scipy.fft.rfft(signal)
    for _ in range(int(count)):
        yield _with_random_phases(spectrum, len(signal), rng)


def _with_random_phases(spectrum, length, rng):
    phases = rng.uniform(-np.pi, np.pi, size=spectrum.shape)
    randomised = np.abs(spectrum) * np.exp(1j * phases)
    randomised[0] = spectrum[0]
    if length % 2 == 0:
        randomised[-1] = spectrum[-1]
    return scipy.fft.irfft(randomised, n=length)
