"""Energy voice activity detection as Kaldi's compute-vad.

Column 0 of the features is taken as the log energy (MFCC with use-energy).
A frame is voiced when, among the frames within +-frames_context of it (inside
the utterance), at least proportion_threshold of them have log energy above
energy_threshold + energy_mean_scale * (mean log energy of the utterance).
"""

import math

import numpy as np

from metricvox.errors import InputError


def check_vad_options(energy_threshold, energy_mean_scale, frames_context, proportion_threshold):
    """Options out of their range (NaN included) are an InputError: they would silently give
    an all-voiced or all-unvoiced decision."""
    if not (math.isfinite(energy_threshold) and math.isfinite(energy_mean_scale)):
        raise InputError(f"--vad-energy-threshold and --vad-energy-mean-scale must be finite, got "
                         f"{energy_threshold} and {energy_mean_scale}")
    if frames_context < 0:
        raise InputError(f"--vad-frames-context must be 0 or more, got {frames_context}")
    if not 0.0 <= proportion_threshold <= 1.0:
        raise InputError(f"--vad-proportion-threshold must lie between 0 and 1, got {proportion_threshold}")


def compute_vad(features, energy_threshold=5.0, energy_mean_scale=0.5,
                frames_context=0, proportion_threshold=0.6):
    """1.0 for voiced frames, 0.0 otherwise, as a float32 vector of length frames."""
    check_vad_options(energy_threshold, energy_mean_scale, frames_context, proportion_threshold)
    log_energy = np.asarray(features, dtype=np.float64)[:, 0]
    num_frames = len(log_energy)
    threshold = energy_threshold
    if energy_mean_scale != 0.0 and num_frames > 0:
        threshold += energy_mean_scale * log_energy.mean()
    above = np.concatenate([[0], np.cumsum(log_energy > threshold)])
    t = np.arange(num_frames)
    start = np.maximum(t - frames_context, 0)
    end = np.minimum(t + frames_context + 1, num_frames)
    voiced = (above[end] - above[start]) >= (end - start) * proportion_threshold
    return voiced.astype(np.float32)


def voiced_runs(vad, frame_shift):
    """[(start, end)] in seconds of the runs of voiced frames (``frame_shift`` seconds apart)."""
    voiced = np.asarray(vad) > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    return [(start * frame_shift, end * frame_shift) for start, end in zip(edges[::2], edges[1::2])]


def select_voiced_frames(features, vad):
    """The rows of ``features`` whose VAD value is non-zero."""
    return np.asarray(features)[np.asarray(vad) != 0.0]
