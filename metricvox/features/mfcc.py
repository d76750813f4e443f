"""Mel-frequency cepstral coefficients, as Kaldi's compute-mfcc-feats."""

import functools

import numpy as np
import scipy.fft

from metricvox.features.fbank import floor_log_energy, mel_energies
from metricvox.features.frame_processing import FLOAT_EPSILON


@functools.lru_cache(maxsize=16)
def dct_matrix(num_bins, num_ceps):
    """The first ``num_ceps`` rows of the orthonormal DCT-II, transposed (bins x ceps)."""
    full = scipy.fft.dct(np.eye(num_bins), type=2, norm="ortho", axis=0)
    matrix = np.ascontiguousarray(full[:num_ceps].T, dtype=np.float32)
    matrix.setflags(write=False)
    return matrix


def lifter_coefficients(num_ceps, cepstral_lifter):
    """Kaldi's sinusoidal lifter 1 + Q/2 sin(pi i / Q)."""
    i = np.arange(num_ceps, dtype=np.float64)
    return (1.0 + 0.5 * cepstral_lifter * np.sin(np.pi * i / cepstral_lifter)).astype(np.float32)


def compute_mfcc(waveform, options, rng=None):
    """MFCC (frames, num_ceps) float32 of a [-1, 1] waveform; C0 is the log energy if use-energy."""
    energies, log_energy = mel_energies(waveform, options, rng)
    np.log(np.maximum(energies, FLOAT_EPSILON, out=energies), out=energies)
    cepstra = energies @ dct_matrix(options.num_mel_bins, options.num_ceps)
    if options.cepstral_lifter != 0.0:
        cepstra *= lifter_coefficients(options.num_ceps, options.cepstral_lifter)
    if log_energy is not None:
        cepstra[:, 0] = floor_log_energy(log_energy, options.energy_floor)
    return cepstra
