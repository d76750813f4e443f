"""The pieces of the index of non-stationarity, each against an independent reference."""
import math

import numpy as np
import pytest
import scipy.special
import scipy.stats

from metricvox.analysis.gamma_threshold import gamma_parameters, stationarity_threshold
from metricvox.analysis.hermite_tapers import HALF_SUPPORT, hermite_tapers
from metricvox.analysis.ins import NotAnalysable, analysis_layout, index_of_nonstationarity
from metricvox.analysis.multitaper import fft_frequencies, multitaper_spectrogram
from metricvox.analysis.spectral_distance import (kl_lsd_distance, log_spectral_deviation,
                                                  symmetric_kl)
from metricvox.analysis.stationarity_statistic import stationarity_statistic
from metricvox.analysis.surrogates import phase_randomised_surrogate, phase_randomised_surrogates


def test_hermite_tapers_are_the_hermite_functions_and_orthonormal():
    length, count = 101, 6
    tapers = hermite_tapers(length, count)
    t = np.linspace(-HALF_SUPPORT, HALF_SUPPORT, length)
    for k in range(count):
        # h_k = H_k(t) exp(-t^2/2) / sqrt(2^k k! sqrt(pi)), H_k from scipy (physicists').
        h = scipy.special.eval_hermite(k, t) * np.exp(-t * t / 2) \
            / math.sqrt(2 ** k * math.factorial(k) * math.sqrt(math.pi))
        h /= np.linalg.norm(h)
        np.testing.assert_allclose(tapers[k], h, atol=1e-12)
    np.testing.assert_allclose(tapers @ tapers.T, np.eye(count), atol=1e-9)
    # Even orders are symmetric, odd ones antisymmetric.
    np.testing.assert_allclose(tapers[2], tapers[2][::-1], atol=1e-12)
    np.testing.assert_allclose(tapers[3], -tapers[3][::-1], atol=1e-12)


@pytest.mark.parametrize("length", [1000, 1001])
def test_surrogate_is_real_with_exactly_the_same_magnitude_spectrum(length):
    x = np.random.default_rng(1).standard_normal(length) + 1.5
    s = phase_randomised_surrogate(x, np.random.default_rng(7))
    assert s.dtype == np.float64 and s.shape == x.shape
    np.testing.assert_allclose(np.abs(np.fft.fft(s)), np.abs(np.fft.fft(x)), rtol=1e-9, atol=1e-9)
    # The phases did change: the surrogate is not the signal, nor correlated with it.
    assert abs(np.corrcoef(x - x.mean(), s - s.mean())[0, 1]) < 0.15
    assert s.mean() == pytest.approx(x.mean())
    again = phase_randomised_surrogate(x, np.random.default_rng(7))
    np.testing.assert_array_equal(s, again)
    first, second = phase_randomised_surrogates(x, 2, np.random.default_rng(7))
    np.testing.assert_array_equal(first, s)
    assert not np.allclose(first, second)


def test_multitaper_spectrum_of_white_noise_is_flat_at_its_variance():
    sigma = 2.0
    x = sigma * np.random.default_rng(3).standard_normal(200_000)
    spectrogram = multitaper_spectrogram(x, 256, 128, tapers=5)
    assert spectrogram.shape == (1 + (200_000 - 256) // 128, len(fft_frequencies(256)))
    assert spectrogram.mean() == pytest.approx(sigma ** 2, rel=0.01)
    # Flat: every frequency's time average near sigma^2 (1561 frames x 5 tapers each;
    # the two real-valued edge bins have half the degrees of freedom).
    np.testing.assert_allclose(spectrogram[:, 1:-1].mean(axis=0), sigma ** 2, rtol=0.08)


def test_multitaper_spectrogram_matches_the_dft_sum():
    x = np.random.default_rng(4).standard_normal(300)
    window, hop, count = 64, 50, 3
    tapers = hermite_tapers(window, count)
    spectrogram = multitaper_spectrogram(x, window, hop, tapers=count)
    m = np.arange(window)
    for frame, start in enumerate(range(0, 300 - window + 1, hop)):
        for f_index, f in enumerate(fft_frequencies(window)[::9]):
            expected = np.mean([abs(np.sum(x[start + m] * h * np.exp(-2j * np.pi * f * m))) ** 2
                                for h in tapers])
            assert spectrogram[frame, 9 * f_index] == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_multitaper_spectrogram_in_blocks_is_the_same(monkeypatch):
    import metricvox.analysis.multitaper as multitaper
    x = np.random.default_rng(8).standard_normal(5000)
    whole = multitaper_spectrogram(x, 200, 70, tapers=4)
    monkeypatch.setattr(multitaper, "_BLOCK_VALUES", 3 * 4 * 200)  # 3 frames per FFT call
    np.testing.assert_array_equal(multitaper_spectrogram(x, 200, 70, tapers=4), whole)


def test_kl_lsd_distance_is_zero_for_identical_spectra():
    g = np.array([[0.5, 2.0, 1.0, 4.0]])
    assert kl_lsd_distance(g, g[0])[0] == 0.0
    # KL sees shape only: a scaled copy is at KL 0 but not at LSD 0.
    assert symmetric_kl(3 * g, g[0])[0] == pytest.approx(0.0, abs=1e-15)
    assert log_spectral_deviation(3 * g, g[0])[0] == pytest.approx(math.log(3))


def test_kl_lsd_distance_hand_worked():
    # G = [1, 3], H = [2, 2]: normalised g = [1/4, 3/4], h = [1/2, 1/2];
    # KL = (1/4 - 1/2) ln(1/2) + (3/4 - 1/2) ln(3/2) = (1/4) ln 3;
    # LSD = (|ln 1/2| + |ln 3/2|) / 2 = (ln 3) / 2.
    kl, lsd = math.log(3) / 4, math.log(3) / 2
    g, h = np.array([[1.0, 3.0]]), np.array([2.0, 2.0])
    assert symmetric_kl(g, h)[0] == pytest.approx(kl)
    assert log_spectral_deviation(g, h)[0] == pytest.approx(lsd)
    assert kl_lsd_distance(g, h)[0] == pytest.approx(kl * (1 + lsd))
    assert kl_lsd_distance(g, h, lsd_weight=0.5)[0] == pytest.approx(kl * (1 + 0.5 * lsd))
    # Symmetric.
    assert symmetric_kl(h[None], g[0])[0] == pytest.approx(kl)


def test_statistic_is_the_variance_of_the_distances_to_the_mean_spectrum():
    frames = np.array([[1.0, 3.0], [3.0, 1.0], [2.0, 2.0], [2.0, 2.0]])
    # The mean spectrum is [2, 2]: c = kl*(1+lsd) for the first two frames (hand-worked
    # above, by symmetry the same for [3, 1]) and 0 for the others: variance c^2/4.
    c = math.log(3) / 4 * (1 + math.log(3) / 2)
    assert stationarity_statistic(frames) == pytest.approx(c * c / 4)
    assert stationarity_statistic(np.tile([1.0, 5.0, 2.0], (6, 1))) == 0.0


def test_gamma_threshold_matches_the_law_it_fits():
    samples = scipy.stats.gamma.rvs(4.0, scale=2.5, size=4000, random_state=5)
    shape, scale = gamma_parameters(samples)
    assert shape == pytest.approx(4.0, rel=0.05) and scale == pytest.approx(2.5, rel=0.05)
    # INS threshold: sqrt(95% quantile / mean); the mean of Gamma(4, s) is 4 s.
    expected = math.sqrt(scipy.stats.gamma.ppf(0.95, 4.0) / 4.0)
    assert stationarity_threshold(samples) == pytest.approx(expected, rel=0.02)
    with pytest.raises(ValueError):
        gamma_parameters([2.0, 2.0, 2.0])


def test_layout_keeps_enough_frames_and_refuses_short_windows():
    window, hop = analysis_layout(32000, 0.01)
    assert (window, hop) == (320, 160)
    window, hop = analysis_layout(32000, 0.5)
    assert window == 16000 and 1 + (32000 - window) // hop >= 32
    with pytest.raises(NotAnalysable, match="shorter than"):
        analysis_layout(1000, 0.01)
    with pytest.raises(ValueError, match="between 0 and 1"):
        analysis_layout(1000, 1.0)


def test_same_seed_same_ins_and_silence_is_refused():
    x = np.random.default_rng(6).standard_normal(4000)
    first = index_of_nonstationarity(x, [0.05], surrogates=5, rng=11)
    assert first == index_of_nonstationarity(x, [0.05], surrogates=5, rng=11)
    assert first != index_of_nonstationarity(x, [0.05], surrogates=5, rng=12)
    with pytest.raises(NotAnalysable, match="silent"):
        index_of_nonstationarity(np.zeros(4000), [0.05], surrogates=5, rng=0)
