"""Log mel filter-bank energies, as Kaldi's compute-fbank-feats.

"logmel" is the same computation with the papers' settings as defaults
(see metricvox.features.feature_types).
"""

import numpy as np

from metricvox.features.frame_processing import FLOAT_EPSILON
from metricvox.features.mel import mel_matrix
from metricvox.features.spectrum import fft_size, power_spectrum


def energy_mode(options):
    """What power_spectrum should compute for the options' use-energy / raw-energy."""
    if not options.use_energy:
        return None
    return "raw" if options.raw_energy else "windowed"


def floor_log_energy(log_energy, energy_floor):
    """Kaldi's --energy-floor: a floor on the energy itself, applied to its log."""
    if energy_floor > 0.0:
        np.maximum(log_energy, np.float32(np.log(energy_floor)), out=log_energy)
    return log_energy


def mel_energies(waveform, options, rng=None, use_power=True):
    """(mel energies (frames, num_mel_bins), log energy or None): the fbank/MFCC front end."""
    power, log_energy = power_spectrum(waveform, options, rng, energy=energy_mode(options))
    if not use_power:
        np.sqrt(power, out=power)
    energies = power @ mel_matrix(options, fft_size(options))
    return energies, log_energy


def compute_fbank(waveform, options, rng=None):
    """Fbank features (frames, [energy +] num_mel_bins) float32 of a [-1, 1] waveform."""
    energies, log_energy = mel_energies(waveform, options, rng, options.use_power)
    if options.use_log_fbank:
        np.log(np.maximum(energies, FLOAT_EPSILON, out=energies), out=energies)
    if log_energy is None:
        return energies
    floor_log_energy(log_energy, options.energy_floor)
    return np.concatenate([log_energy[:, None], energies], axis=1)
