"""Short-time power spectrum: the front end that fbank, MFCC and spectrogram share."""

import numpy as np
import scipy.fft

from metricvox.features.frame_processing import log_energy, process_frames
from metricvox.features.framing import frame_signal, window_size

# Kaldi reads int16 samples as floats; waveforms here are in [-1, 1].
INT16_SCALE = np.float32(32768.0)

# One thread for scipy's FFT: an utterance's frames are too few for a second to pay,
# and its threads would compete with torch's when a model runs in the same process
# (see metricvox.features.blas_threads).
FFT_WORKERS = 1


def fft_size(options):
    """FFT length: the frame length, rounded up to a power of two if asked."""
    length = window_size(options)
    if options.round_to_power_of_two:
        return 1 << (length - 1).bit_length()
    return length


def power_spectrum(waveform, options, rng=None, energy=None):
    """(power, log_energy): |FFT|^2 per frame, shape (frames, fft_size/2 + 1), float32.

    ``energy`` is None (no energy), "raw" (before pre-emphasis and window) or
    "windowed" (after them), Kaldi's raw-energy true/false.
    """
    samples = np.asarray(waveform, dtype=np.float32) * INT16_SCALE
    frames = frame_signal(samples, options)
    raw_energy = process_frames(frames, options, rng, raw_log_energy=energy == "raw")
    frame_energy = log_energy(frames) if energy == "windowed" else raw_energy
    # The FFT runs in float64: bins that pre-emphasis and DC removal nearly empty
    # are small differences of large terms, and float32 round-off there shows as
    # ~1e-3 in their log. Everything else is float32, as in Kaldi. Copying the
    # frames into a zeroed buffer pads them to the FFT size in the same pass.
    padded = np.zeros((frames.shape[0], fft_size(options)), dtype=np.float64)
    padded[:, :frames.shape[1]] = frames
    spectrum = scipy.fft.rfft(padded, axis=1, workers=FFT_WORKERS, overwrite_x=True)
    parts = spectrum.view(np.float64).reshape(spectrum.shape + (2,))
    power = np.einsum("ijk,ijk->ij", parts, parts)
    return power.astype(np.float32), frame_energy
