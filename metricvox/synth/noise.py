"""Coloured noise: the shared raw material of backgrounds, ambience and textures."""
import numpy as np
from scipy.fft import next_fast_len
from scipy.signal import fftconvolve


def coloured_noise(n, sample_rate, rng, slope_db_per_octave=-3.0, peaks=()):
    """``n`` samples of Gaussian noise with a spectral slope and optional bumps.

    ``peaks`` is a sequence of (centre Hz, width Hz, gain dB) Gaussian bumps on
    top of the slope (hum, fan or traffic resonances). Unit RMS.
    """
    n_fft = next_fast_len(n, real=True)  # an awkward (e.g. prime) n would make the FFT crawl
    spectrum = np.fft.rfft(rng.standard_normal(n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    octaves = np.log2(np.maximum(freqs, 20.0) / 1000.0)
    gain_db = slope_db_per_octave * octaves
    for centre, width, peak_db in peaks:
        gain_db = gain_db + peak_db * np.exp(-0.5 * ((freqs - centre) / width) ** 2)
    out = np.fft.irfft(spectrum * 10.0 ** (gain_db / 20.0), n=n_fft)[:n]
    return out / (np.std(out) + 1e-12)


def smooth_random(n, rng, smoothness):
    """A slowly varying random curve (zero mean, unit std) with ``smoothness`` samples correlation."""
    width = max(int(smoothness), 1)
    kernel = np.hanning(2 * width + 1)
    curve = fftconvolve(rng.standard_normal(n + 2 * width), kernel, mode="valid")
    return (curve - curve.mean()) / (np.std(curve) + 1e-12)
