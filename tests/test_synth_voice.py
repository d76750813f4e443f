"""The voice model: frame-wise filtering and the pitch of what it sings."""
import numpy as np

from metricvox.synth import vocal_tract, voice
from metricvox.synth.seeding import stream

RATE = 16000


def _autocorrelation_f0(signal, rate, low=60.0, high=500.0):
    """f0 from the highest normalised autocorrelation peak between ``low`` and ``high`` Hz."""
    x = signal - signal.mean()
    spectrum = np.fft.rfft(x, 2 * len(x))
    r = np.fft.irfft(np.abs(spectrum) ** 2)[:len(x)]
    lags = np.arange(int(rate / high), int(rate / low))
    best = lags[np.argmax(r[lags])]
    # parabolic interpolation around the peak for sub-sample accuracy
    a, b, c = r[best - 1], r[best], r[best + 1]
    return rate / (best + 0.5 * (a - c) / (a - 2 * b + c))


def test_flat_response_returns_the_excitation_unchanged():
    x = stream(1, "flat").standard_normal(3001)
    hop = vocal_tract.hop_for(RATE)
    n_bins = len(vocal_tract.bin_frequencies(RATE))
    y = vocal_tract.filter_by_frames(x, hop, lambda a, b: np.ones((b - a, n_bins)))
    np.testing.assert_allclose(y, x, atol=1e-10)


def test_constant_gain_scales_the_excitation():
    x = stream(2, "gain").standard_normal(2000)
    hop = vocal_tract.hop_for(RATE)
    n_bins = len(vocal_tract.bin_frequencies(RATE))
    y = vocal_tract.filter_by_frames(x, hop, lambda a, b: np.full((b - a, n_bins), 0.25))
    np.testing.assert_allclose(y, 0.25 * x, atol=1e-10)


def _sustained_vowel(f0, seconds=0.6):
    speaker = voice.random_voice(stream(3, "speaker"))
    frames = vocal_tract.frame_count(int(seconds * RATE), vocal_tract.hop_for(RATE))
    return voice.render(speaker, [("a", seconds)], np.full(frames, f0), RATE, stream(3, "vowel"))


def test_sung_vowel_has_the_requested_pitch():
    for f0 in (110.0, 180.0, 260.0):
        vowel = _sustained_vowel(f0)
        middle = vowel[int(0.1 * RATE):int(0.5 * RATE)]
        assert abs(_autocorrelation_f0(middle, RATE) / f0 - 1) < 0.02, f0


def test_vowel_spectrum_peaks_near_the_speakers_first_formant():
    speaker = voice.random_voice(stream(3, "speaker"))
    f1 = speaker.formant_targets("a")[0]
    vowel = _sustained_vowel(100.0, seconds=1.0)
    spectrum = np.abs(np.fft.rfft(vowel * np.hanning(len(vowel))))
    freqs = np.fft.rfftfreq(len(vowel), 1 / RATE)
    band = (freqs > 200) & (freqs < 1500)
    assert abs(freqs[band][np.argmax(spectrum[band])] - f1) < 120  # within about one harmonic
