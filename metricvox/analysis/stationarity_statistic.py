"""The statistic the INS compares: how much local spectra wander around the global one.

For a multitaper spectrogram S(n, f), each frame's distance to the time-averaged
spectrum <S(., f)>_n is c_n (:func:`kl_lsd_distance`); the statistic is their
variance over time, theta = mean_n (c_n - mean c)^2 (Borgnat et al. 2010, eq. 12).
A stationary signal's local spectra differ from the global one only by estimation
noise, the same at every frame; a non-stationary one's differ by more at some
times than at others.
"""

import numpy as np

from metricvox.analysis.spectral_distance import DEFAULT_LSD_WEIGHT, kl_lsd_distance

# Spectra are floored at this fraction of the global spectrum's peak (a 100 dB
# range): digital silence (a gated tone's off times) and the far tails of a pure
# tone then give large but finite log-ratios instead of infinities and round-off.
SPECTRUM_FLOOR = 1e-10


def distances_to_global_spectrum(spectrogram, lsd_weight=DEFAULT_LSD_WEIGHT):
    """c_n for every frame of a (frames, frequencies) spectrogram."""
    spectrogram = np.asarray(spectrogram, dtype=np.float64)
    global_spectrum = spectrogram.mean(axis=0)
    peak = global_spectrum.max()
    if not peak > 0:
        raise ValueError("the spectrogram is zero everywhere: a silent signal has no INS")
    floor = SPECTRUM_FLOOR * peak
    return kl_lsd_distance(np.maximum(spectrogram, floor), np.maximum(global_spectrum, floor),
                           lsd_weight)


def stationarity_statistic(spectrogram, lsd_weight=DEFAULT_LSD_WEIGHT):
    """theta: the variance over frames of the distances to the global spectrum."""
    return float(np.var(distances_to_global_spectrum(spectrogram, lsd_weight)))
