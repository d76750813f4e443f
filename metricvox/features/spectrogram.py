"""Linear-frequency spectrogram: magnitude (or power) per FFT bin, optionally in log.

With a 20 ms frame at 16 kHz and no power-of-two rounding the FFT has 320 points,
hence the 161 bins of the multi-metric paper.
"""

import numpy as np

from metricvox.features.frame_processing import FLOAT_EPSILON
from metricvox.features.spectrum import power_spectrum


def compute_spectrogram(waveform, options, rng=None):
    """Spectrogram (frames, fft_size/2 + 1) float32 of a [-1, 1] waveform (int16 scale)."""
    spectrum, _ = power_spectrum(waveform, options, rng)
    if not options.use_power:
        np.sqrt(spectrum, out=spectrum)
    if options.use_log_spectrogram:
        np.log(np.maximum(spectrum, FLOAT_EPSILON, out=spectrum), out=spectrum)
    return spectrum
