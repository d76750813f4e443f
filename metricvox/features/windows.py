"""Analysis windows, Kaldi's definitions (symmetric, over the frame length in samples)."""

import numpy as np


def window_function(window_type, length, blackman_coeff=0.42):
    """The window of ``length`` samples as float32 (types as options.WINDOW_TYPES)."""
    # Kaldi uses a = 2*pi/(N-1): a symmetric window whose ends are its extremes.
    phase = 2.0 * np.pi / (length - 1) * np.arange(length, dtype=np.float64)
    if window_type in ("hanning", "hann"):
        window = 0.5 - 0.5 * np.cos(phase)
    elif window_type == "hamming":
        window = 0.54 - 0.46 * np.cos(phase)
    elif window_type == "povey":
        # A Hann window raised to 0.85: does not quite reach zero at the edges.
        window = (0.5 - 0.5 * np.cos(phase)) ** 0.85
    elif window_type == "rectangular":
        window = np.ones(length)
    elif window_type == "blackman":
        window = (blackman_coeff - 0.5 * np.cos(phase)
                  + (0.5 - blackman_coeff) * np.cos(2.0 * phase))
    else:
        raise ValueError(f"unknown window type {window_type!r}")
    return window.astype(np.float32)
