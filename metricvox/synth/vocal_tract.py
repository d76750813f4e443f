"""Time-varying spectral shaping: the 'filter' half of the source-filter model.

The vocal tract is described every ``hop`` samples (5 ms) by a magnitude response:
a cascade of formant resonators for voiced sound, Gaussian noise bands for
frication and bursts. :func:`filter_by_frames` applies such a frame-wise response
to an excitation by overlap-add of zero-padded, Hann-windowed frames, which is
linear convolution frame by frame and fully vectorised (no per-sample loop).
"""
import numpy as np

FRAME_SECONDS = 0.005
# The FFT length is BLOCKS_PER_FFT hops: room for the 2-hop frame plus about
# 25 ms of resonator ringing on either side, so circular wrap-around is negligible.
BLOCKS_PER_FFT = 12
_FRAMES_PER_CHUNK = 1024


def hop_for(sample_rate):
    """Samples per articulation frame at ``sample_rate``."""
    return int(round(sample_rate * FRAME_SECONDS))


def frame_count(n_samples, hop):
    """Number of frames (centred at 0, hop, 2*hop, ...) that cover ``n_samples``."""
    return -(-n_samples // hop) + 1


def bin_frequencies(sample_rate):
    hop = hop_for(sample_rate)
    return np.fft.rfftfreq(hop * BLOCKS_PER_FFT, 1.0 / sample_rate)


def formant_envelope(freqs, centres, bandwidths):
    """Magnitude of a cascade of two-pole resonators, unity at 0 Hz.

    freqs: (n_bins,) Hz; centres, bandwidths: (n_frames, n_formants) Hz.
    Returns (n_frames, n_bins).
    """
    # float32: four times faster than float64, and far more precise than audio needs.
    f = freqs.astype(np.float32)[None, None, :]
    centre = centres.astype(np.float32)[:, :, None]
    half_squared = (bandwidths.astype(np.float32)[:, :, None] / 2) ** 2
    below, above = (f - centre) ** 2 + half_squared, (f + centre) ** 2 + half_squared
    mag = (centre ** 2 + half_squared) / np.sqrt(below * above)
    return mag.prod(axis=1)


def band_envelope(freqs, centres, widths, gains):
    """Sum of Gaussian bands (noise colouring): all args (n_frames, n_bands) -> (n_frames, n_bins)."""
    f = freqs[None, None, :]
    bands = gains[:, :, None] * np.exp(-0.5 * ((f - centres[:, :, None]) / widths[:, :, None]) ** 2)
    return bands.sum(axis=1)


def filter_by_frames(excitation, hop, envelope):
    """Filter ``excitation`` by a response that changes every ``hop`` samples.

    ``envelope(start, stop)`` returns the magnitudes (stop - start, n_bins) of frames
    start..stop-1; frame i is centred on sample i * hop. The response is zero-phase.
    """
    n = len(excitation)
    n_frames = frame_count(n, hop)
    n_fft = hop * BLOCKS_PER_FFT
    offset = (n_fft - 2 * hop) // 2
    window = np.hanning(2 * hop + 1)[:-1]  # periodic Hann: shifted copies sum to one
    padded = np.concatenate([np.zeros(hop), excitation, np.zeros(2 * hop)])
    blocks = np.zeros((n_frames + BLOCKS_PER_FFT, hop))
    for start in range(0, n_frames, _FRAMES_PER_CHUNK):
        stop = min(start + _FRAMES_PER_CHUNK, n_frames)
        index = (np.arange(start, stop) * hop)[:, None] + np.arange(2 * hop)[None, :]
        frames = np.zeros((stop - start, n_fft))
        frames[:, offset:offset + 2 * hop] = padded[index] * window
        shaped = np.fft.irfft(np.fft.rfft(frames, axis=1) * envelope(start, stop), n=n_fft, axis=1)
        shaped = shaped.reshape(stop - start, BLOCKS_PER_FFT, hop)
        for j in range(BLOCKS_PER_FFT):
            blocks[start + j:stop + j] += shaped[:, j, :]
    out = blocks.reshape(-1)
    return out[offset + hop:offset + hop + n]
