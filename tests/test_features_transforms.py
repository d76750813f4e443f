"""Deltas, CMVN, VAD, mfcc-stats, spectrogram, framing and windows against plain references.

Each reference is written here the slow obvious way (loops over frames, numpy.fft
on one frame, scipy.stats), from the Kaldi definitions.
"""
import numpy as np
import pytest
import scipy.signal
import scipy.stats

from features_signals import speech_like
from metricvox.features import (CmvnStats, MfccStatsOptions, SpectrogramOptions, add_deltas,
                                apply_cmvn, compute_mfcc, compute_mfcc_stats, compute_spectrogram,
                                compute_vad, frame_statistics, select_voiced_frames, sliding_cmvn,
                                voiced_runs)
from metricvox.features.framing import frame_signal
from metricvox.features.options import FrameOptions
from metricvox.features.windows import window_function

RNG = np.random.default_rng(7)


# --- deltas -----------------------------------------------------------------

def _reference_deltas(x, order, window):
    """Kaldi's recursion written out: delta_k(t) = sum_j j * delta_{k-1}(t+j) / sum_j j^2,
    with frames outside the utterance replaced by the nearest edge frame at every level
    of the full combined filter (Kaldi clamps indices of the combined filter)."""
    T = x.shape[0]
    # Build the combined filters by hand (same definition as Kaldi's DeltaFeatures).
    scales = [np.array([1.0])]
    for _ in range(order):
        prev = scales[-1]
        prev_off = (len(prev) - 1) // 2
        cur_off = prev_off + window
        cur = np.zeros(2 * cur_off + 1)
        norm = sum(j * j for j in range(-window, window + 1))
        for j in range(-window, window + 1):
            for k in range(-prev_off, prev_off + 1):
                cur[j + k + cur_off] += j * prev[k + prev_off] / norm
        scales.append(cur)
    out = np.zeros((T, x.shape[1] * (order + 1)))
    for t in range(T):
        for i, s in enumerate(scales):
            off = (len(s) - 1) // 2
            for j in range(-off, off + 1):
                src = min(max(t + j, 0), T - 1)
                out[t, i * x.shape[1]:(i + 1) * x.shape[1]] += s[j + off] * x[src]
    return out


@pytest.mark.parametrize("order,window", [(2, 2), (1, 3), (3, 1), (0, 2)])
def test_deltas_match_kaldi_definition(order, window):
    x = RNG.standard_normal((37, 4)).astype(np.float32)
    np.testing.assert_allclose(add_deltas(x, order, window), _reference_deltas(x, order, window),
                               atol=1e-5)


@pytest.mark.parametrize("order,window", [(2, 2), (1, 4)])
def test_deltas_match_kaldi_native_fbank(order, window):
    knf = pytest.importorskip("kaldi_native_fbank")
    x = RNG.standard_normal((50, 6)).astype(np.float32)
    options = knf.DeltaOptions()
    options.order, options.window = order, window
    np.testing.assert_allclose(add_deltas(x, order, window), knf.compute_deltas(options, x),
                               atol=1e-5)


def test_first_delta_of_a_ramp_is_its_slope():
    # Worked by hand: for x(t) = 3t, sum_j j*3(t+j) / sum_j j^2 = 3 away from the edges.
    x = (3.0 * np.arange(20, dtype=np.float32))[:, None]
    delta = add_deltas(x, order=1, window=2)[:, 1]
    np.testing.assert_allclose(delta[2:-2], 3.0, rtol=1e-6)
    # At t=0 with replicated edges: (-2*0 - 1*0 + 1*3 + 2*6) / 10 = 1.5
    assert delta[0] == pytest.approx(1.5)


# --- CMVN -------------------------------------------------------------------

def _reference_sliding(x, cmn_window, min_window, center, norm_vars):
    """Kaldi's SlidingWindowCmnInternal window rules, one frame at a time."""
    T = x.shape[0]
    out = np.zeros_like(x, dtype=np.float64)
    for t in range(T):
        if center:
            start = t - cmn_window // 2
            end = start + cmn_window
        else:
            start = t - cmn_window
            end = t + 1
        if start < 0:
            end -= start
            start = 0
        if not center and end > t:
            end = max(t + 1, min_window)
        if end > T:
            start -= end - T
            end = T
            start = max(start, 0)
        window = x[start:end].astype(np.float64)
        mean = window.mean(axis=0)
        out[t] = x[t] - mean
        if norm_vars:
            if len(window) == 1:
                out[t] = 0.0
            else:
                var = np.maximum((window ** 2).mean(axis=0) - mean ** 2, 1e-10)
                out[t] /= np.sqrt(var)
    return out


@pytest.mark.parametrize("T", [1, 7, 40, 130])
@pytest.mark.parametrize("cmn_window,min_window,center,norm_vars", [
    (600, 100, False, False), (20, 5, False, True), (20, 5, True, False), (9, 3, True, True),
    (15, 15, False, True)])
def test_sliding_cmvn_matches_kaldi_window_rules(T, cmn_window, min_window, center, norm_vars):
    x = (RNG.standard_normal((T, 3)) * 2 + 5).astype(np.float32)
    got = sliding_cmvn(x, cmn_window, min_window, center, norm_vars)
    np.testing.assert_allclose(got, _reference_sliding(x, cmn_window, min_window, center,
                                                       norm_vars), atol=1e-4)


def test_sliding_cmvn_worked_by_hand():
    x = np.arange(10, dtype=np.float32)[:, None]
    # Not centred, window 4, min 2: t=0,1 use frames [0,2) (mean 0.5); t=2 [0,3); t=3 [0,4);
    # from t=4 on the 5 frames [t-4, t] (mean t-2).
    got = sliding_cmvn(x, cmn_window=4, min_cmn_window=2, center=False, norm_vars=False)[:, 0]
    np.testing.assert_allclose(got, [-0.5, 0.5, 1, 1.5, 2, 2, 2, 2, 2, 2])
    # Centred, window 4: [t-2, t+2) shifted inside [0, 10): t=0,1 -> [0,4); t=9,8 -> [6,10).
    got = sliding_cmvn(x, cmn_window=4, min_cmn_window=2, center=True, norm_vars=False)[:, 0]
    np.testing.assert_allclose(got, [-1.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.5])


def test_utterance_and_global_cmvn():
    a = RNG.standard_normal((30, 4)) * 3 + 1
    b = RNG.standard_normal((50, 4)) * 0.5 - 2
    normalized = apply_cmvn(a, CmvnStats.of(a), norm_vars=True)
    np.testing.assert_allclose(normalized.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(normalized.std(axis=0), 1.0, atol=1e-5)
    stats = CmvnStats.of(a)
    stats.add(CmvnStats.of(b))
    both = np.concatenate([a, b])
    np.testing.assert_allclose(apply_cmvn(b, stats), b - both.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(apply_cmvn(b, stats, norm_vars=True),
                               (b - both.mean(axis=0)) / both.std(axis=0), atol=1e-5)


# --- VAD --------------------------------------------------------------------

def _reference_vad(energy, threshold, mean_scale, context, proportion):
    T = len(energy)
    thr = threshold + mean_scale * np.mean(energy)
    out = np.zeros(T)
    for t in range(T):
        num = den = 0
        for t2 in range(t - context, t + context + 1):
            if 0 <= t2 < T:
                den += 1
                num += energy[t2] > thr
        out[t] = 1.0 if num >= den * proportion else 0.0
    return out


@pytest.mark.parametrize("threshold,mean_scale,context,proportion", [
    (5.0, 0.5, 0, 0.6), (5.5, 0.5, 2, 0.6), (0.0, 1.0, 5, 0.3), (12.0, 0.0, 1, 0.9)])
def test_vad_matches_kaldi_definition(threshold, mean_scale, context, proportion):
    features = RNG.standard_normal((200, 5)) * 3
    features[:, 0] = 10 + 4 * np.sin(np.arange(200) / 9.0) + RNG.standard_normal(200)
    got = compute_vad(features, threshold, mean_scale, context, proportion)
    np.testing.assert_array_equal(got, _reference_vad(features[:, 0], threshold, mean_scale,
                                                      context, proportion))
    kept = select_voiced_frames(features, got)
    assert kept.shape == (int(got.sum()), 5)


def test_vad_separates_speech_from_silence():
    waveform = speech_like(seconds=3.2, rate=16000, seed=3)
    from metricvox.features import MfccOptions
    vad = compute_vad(compute_mfcc(waveform, MfccOptions(dither=0.0)))
    # The generator voices [0, 0.4) s, [0.8, 1.2) s, ...: frame t starts at t*10 ms.
    voiced_truth = (np.arange(len(vad)) * 10 + 12) % 800 < 400
    assert np.mean(vad == voiced_truth) > 0.9


def test_voiced_runs_are_the_voiced_stretches_in_seconds():
    # Frames 10 ms apart: voiced 1-2, 5 and 8-9 (the last run reaches the end).
    vad = np.array([0, 1, 1, 0, 0, 1, 0, 0, 1, 1], dtype=np.float32)
    assert voiced_runs(vad, 0.01) == pytest.approx([(0.01, 0.03), (0.05, 0.06), (0.08, 0.10)])
    assert voiced_runs(np.zeros(4), 0.01) == []
    assert voiced_runs(np.ones(3), 0.02) == pytest.approx([(0.0, 0.06)])


# --- mfcc-stats -------------------------------------------------------------

def _reference_stats(mfcc, context):
    T, D = mfcc.shape
    half = context // 2
    out = np.zeros((T, 11 * D))
    for t in range(T):
        rows = [min(max(t + k, 0), T - 1) for k in range(-half, half + 1)]
        w = mfcc[rows].astype(np.float64)
        d1, d2 = np.diff(w, n=1, axis=0), np.diff(w, n=2, axis=0)
        out[t] = np.concatenate([
            mfcc[t], w.min(0), w.max(0), np.median(w, 0), w.mean(0),
            scipy.stats.skew(w, axis=0), scipy.stats.kurtosis(w, axis=0),
            d1.mean(0), d1.var(0), d2.mean(0), d2.var(0)])
    return out


def test_mfcc_stats_is_275_dims_and_matches_scipy_statistics():
    waveform = speech_like(seconds=1.0, rate=48000, seed=4)
    from metricvox.features import feature_options
    options = feature_options("mfcc-stats", preset="urbansound-mfcc-stats")
    features = compute_mfcc_stats(waveform, options)
    assert features.shape[1] == 275
    mfcc = compute_mfcc(waveform, options)
    # 1024-sample window, 512-sample shift at 48 kHz: the paper's 21.3 ms, 50% overlap.
    assert features.shape[0] == mfcc.shape[0] == 1 + (len(waveform) - 1024) // 512
    np.testing.assert_allclose(features, _reference_stats(mfcc, 5), rtol=1e-4, atol=1e-3)


def test_frame_statistics_of_constant_windows_are_finite():
    features = np.ones((6, 2), dtype=np.float32)
    stats = frame_statistics(features, 5)
    assert np.isfinite(stats).all()
    np.testing.assert_array_equal(stats[:, 10:14], 0.0)  # skewness and kurtosis


# --- spectrogram, framing, windows -------------------------------------------

def test_spectrogram_is_numpy_fft_magnitude_of_each_frame():
    waveform = speech_like(seconds=0.5, rate=16000, seed=5)
    from metricvox.features import feature_options
    options = feature_options("spectrogram", preset="multimetric-spectrogram161")
    spec = compute_spectrogram(waveform, options)
    assert spec.shape == (1 + (len(waveform) - 320) // 160, 161)
    hamming = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(320) / 319)
    for t in (0, 13, spec.shape[0] - 1):
        frame = waveform[t * 160: t * 160 + 320].astype(np.float64) * 32768
        np.testing.assert_allclose(spec[t], np.abs(np.fft.rfft(frame * hamming)), rtol=1e-4,
                                   atol=1e-2)
    log_options = SpectrogramOptions(**{**options.__dict__, "use_log_spectrogram": True,
                                        "use_power": True})
    np.testing.assert_allclose(compute_spectrogram(waveform, log_options),
                               np.log(np.maximum(spec.astype(np.float64) ** 2, 1.1920929e-07)),
                               atol=1e-3)


@pytest.mark.parametrize("num_samples", [1, 5, 399, 400, 401, 1000, 1234])
@pytest.mark.parametrize("snip_edges", [True, False])
def test_framing_follows_kaldi_extract_window(num_samples, snip_edges):
    options = FrameOptions(snip_edges=snip_edges)
    x = np.arange(num_samples, dtype=np.float32)
    frames = frame_signal(x, options)
    assert frames.flags.writeable  # later steps (dither, DC removal) work in place
    if snip_edges:
        expected_count = 0 if num_samples < 400 else 1 + (num_samples - 400) // 160
    else:
        expected_count = (num_samples + 80) // 160
    assert frames.shape == (expected_count, 400)
    for t in range(expected_count):
        first = t * 160 if snip_edges else t * 160 + 80 - 200
        for i in (0, 1, 199, 398, 399):
            s = first + i
            while s < 0 or s >= num_samples:  # Kaldi's reflection loop
                s = -s - 1 if s < 0 else 2 * num_samples - 1 - s
            assert frames[t, i] == x[s]


def test_windows_match_scipy():
    n = 400
    np.testing.assert_allclose(window_function("hamming", n), scipy.signal.windows.hamming(n),
                               atol=1e-6)
    np.testing.assert_allclose(window_function("hanning", n), scipy.signal.windows.hann(n),
                               atol=1e-6)
    np.testing.assert_allclose(window_function("blackman", n),
                               scipy.signal.windows.blackman(n), atol=1e-6)
    np.testing.assert_allclose(window_function("povey", n),
                               scipy.signal.windows.hann(n) ** 0.85, atol=1e-6)
    np.testing.assert_array_equal(window_function("rectangular", n), np.ones(n))
