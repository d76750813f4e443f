"""The index of non-stationarity (INS) of a signal at several time scales.

Borgnat, Flandrin et al., "Testing stationarity with surrogates: a time-frequency
approach" (IEEE TSP 2010), as used in the acoustic-source paper (section II): at a
scale Th/T (analysis window Th relative to the signal's duration T) the multitaper
spectrogram of the signal gives the statistic theta (the variance over time of
the local spectra's distances to the global one); J phase-randomised surrogates
give theta_1..theta_J, samples of it under stationarity. Then

    INS = sqrt(theta / mean_j theta_j),

about 1 for a stationary signal, and the signal is called non-stationary at that
scale when INS exceeds the 95% threshold gamma fitted to the surrogates.

Frames: windows of round(Th/T * length) samples, half a window apart, or closer
when that would give fewer than ``min_frames`` frames (at large scales), so that
every variance is taken over enough frames. Signal and surrogates share the
frame layout and the tapers.
"""

from collections import namedtuple

import numpy as np

from metricvox.analysis.gamma_threshold import DEFAULT_LEVEL, stationarity_threshold
from metricvox.analysis.hermite_tapers import hermite_tapers
from metricvox.analysis.multitaper import multitaper_spectrogram
from metricvox.analysis.spectral_distance import DEFAULT_LSD_WEIGHT
from metricvox.analysis.stationarity_statistic import stationarity_statistic
from metricvox.analysis.surrogates import phase_randomised_surrogates

DEFAULT_SCALES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
DEFAULT_SURROGATES = 50
DEFAULT_TAPERS = 5
DEFAULT_MIN_FRAMES = 32
# Below this many samples (or 4 per taper) a window cannot hold the tapers' shapes.
MIN_WINDOW = 32


class NotAnalysable(ValueError):
    """The signal has no INS at the scales asked: too short for a window, or silent."""


class InsPoint(namedtuple("InsPoint", "scale window ins threshold")):
    """The INS at one scale: Th/T, the window in samples, the index and its 95% threshold."""

    __slots__ = ()

    @property
    def stationary(self):
        return self.ins <= self.threshold


def analysis_layout(length, scale, tapers=DEFAULT_TAPERS, min_frames=DEFAULT_MIN_FRAMES):
    """(window, hop) in samples for scale Th/T on a signal of ``length`` samples.

    ValueError when the scale is outside (0, 1); NotAnalysable when the window would be
    too short for the tapers or too long to leave ``min_frames`` frames.
    """
    if not 0 < scale < 1:
        raise ValueError(f"scale Th/T must be between 0 and 1, got {scale:g}")
    window = int(round(scale * length))
    shortest = max(MIN_WINDOW, 4 * tapers)
    if window < shortest:
        raise NotAnalysable(f"at scale {scale:g} the window is {window} samples, shorter than the "
                         f"{shortest} that {tapers} tapers need (the signal has {length} samples)")
    if length - window < min_frames - 1:
        raise NotAnalysable(f"at scale {scale:g} the window of {window} samples leaves fewer than "
                         f"{min_frames} frames in {length} samples")
    hop = max(1, min(window // 2, (length - window) // (min_frames - 1)))
    return window, hop


def index_of_nonstationarity(signal, scales=DEFAULT_SCALES, *, surrogates=DEFAULT_SURROGATES,
                             tapers=DEFAULT_TAPERS, rng=None, min_frames=DEFAULT_MIN_FRAMES,
                             lsd_weight=DEFAULT_LSD_WEIGHT, level=DEFAULT_LEVEL):
    """A list of :class:`InsPoint`, one per scale, for a real 1-d ``signal``.

    ``rng`` (a numpy Generator, or a seed) draws the surrogates' phases.
    NotAnalysable for a signal too short for a scale or silent; ValueError for a
    scale outside (0, 1) or fewer than 2 surrogates.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"expected a 1-d signal, got shape {signal.shape}")
    if surrogates < 2:
        raise ValueError(f"need at least 2 surrogates for a threshold, got {surrogates}")
    if signal.size == 0 or np.all(signal == signal[0]):
        raise NotAnalysable("the signal is constant (silent): it has no INS")
    rng = np.random.default_rng(rng)
    layouts = [analysis_layout(len(signal), float(s), tapers, min_frames) for s in scales]
    taper_sets = {window: hermite_tapers(window, tapers) for window, _ in layouts}

    def statistics(x):
        return [stationarity_statistic(multitaper_spectrogram(x, window, hop, taper_sets[window]),
                                       lsd_weight)
                for window, hop in layouts]

    theta = np.array(statistics(signal))
    # Surrogate by surrogate, every scale: memory stays one signal long.
    theta_surrogates = np.array([statistics(s) for s in
                                 phase_randomised_surrogates(signal, surrogates, rng)])
    points = []
    for i, (scale, (window, _)) in enumerate(zip(scales, layouts)):
        reference = theta_surrogates[:, i]
        if not reference.mean() > 0:
            raise NotAnalysable(f"the surrogates' statistic is zero at scale {scale:g}")
        try:
            threshold = stationarity_threshold(reference, level)
        except ValueError:
            raise NotAnalysable(f"the surrogates' statistics are all equal at scale {scale:g}") from None
        points.append(InsPoint(float(scale), window, float(np.sqrt(theta[i] / reference.mean())),
                               threshold))
    return points
