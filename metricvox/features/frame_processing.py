"""What Kaldi does to each frame before the FFT, vectorised over all frames.

In order: dither, DC removal, (raw log energy), pre-emphasis, window. Frames are
on Kaldi's int16 scale (the caller multiplies [-1, 1] waveforms by 32768).
"""

import numpy as np

from metricvox.features.windows import window_function

# Kaldi floors energies at float32 epsilon before taking logs.
FLOAT_EPSILON = np.float32(np.finfo(np.float32).eps)


def add_dither(frames, dither, rng):
    """Add ``dither`` times standard Gaussian noise to every sample, in place."""
    if dither != 0.0:
        noise = rng.standard_normal(frames.shape, dtype=np.float32)
        noise *= np.float32(dither)
        frames += noise


def remove_dc_offset(frames):
    """Subtract each frame's mean, in place."""
    frames -= frames.mean(axis=1, keepdims=True, dtype=np.float32)


def log_energy(frames):
    """Log of each frame's energy (sum of squares), floored at float32 epsilon."""
    energy = np.einsum("ij,ij->i", frames, frames)
    return np.log(np.maximum(energy, FLOAT_EPSILON))


def preemphasize(frames, coefficient):
    """x[n] -= c*x[n-1] within each frame, the first sample using itself (Kaldi), in place."""
    if coefficient != 0.0:
        c = np.float32(coefficient)
        frames[:, 1:] -= c * frames[:, :-1]
        frames[:, 0] *= np.float32(1.0) - c


def process_frames(frames, options, rng=None, raw_log_energy=False):
    """Dither, DC removal, pre-emphasis and window on float32 ``frames``, in place.

    Returns the raw log energy per frame (taken after DC removal, before
    pre-emphasis) when ``raw_log_energy`` is true, else None.
    """
    if options.dither != 0.0:
        if rng is None:
            raise ValueError("dither needs a random generator")
        add_dither(frames, options.dither, rng)
    if options.remove_dc_offset:
        remove_dc_offset(frames)
    energy = log_energy(frames) if raw_log_energy else None
    preemphasize(frames, options.preemphasis_coefficient)
    frames *= window_function(options.window_type, frames.shape[1], options.blackman_coeff)
    return energy
