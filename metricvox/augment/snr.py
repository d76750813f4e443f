"""Noise scaled to a signal-to-noise ratio, the power of each taken over the whole crop."""

import numpy as np


def power(samples):
    """Mean square, in float64."""
    return float(np.mean(np.square(samples, dtype=np.float64)))


def noise_at_snr(signal, noise, snr_db):
    """``noise`` scaled so that 10 log10(power(signal) / power(scaled noise)) = ``snr_db``.

    A silent signal has no level to set the noise against, and silent noise cannot be
    raised to one: either way the result is silence (zeros), never NaN or infinity."""
    signal_power, noise_power = power(signal), power(noise)
    if signal_power == 0.0 or noise_power == 0.0:
        return np.zeros_like(noise)
    gain = np.sqrt(signal_power / (noise_power * 10.0 ** (snr_db / 10.0)))
    scaled = (noise * gain).astype(noise.dtype, copy=False)
    return scaled if np.isfinite(scaled).all() else np.zeros_like(noise)
