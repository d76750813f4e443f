"""Acoustic features with Kaldi's semantics, vectorised over frames with numpy/scipy.

One concept per module: framing, frame_processing (dither, DC, pre-emphasis,
window), windows, spectrum (FFT size, power spectrum), mel, fbank, mfcc,
spectrogram, mfcc_stats, deltas, cmvn, vad, checks (NaN/inf); options / conf /
presets / feature_types for settings; extraction (wav table -> features) and
tables (feature table -> feature table), which the bin/ tools call.
"""

from metricvox.features.cmvn import CmvnStats, apply_cmvn, sliding_cmvn
from metricvox.features.deltas import add_deltas
from metricvox.features.fbank import compute_fbank
from metricvox.features.feature_types import FEATURE_TYPES, feature_options
from metricvox.features.mfcc import compute_mfcc
from metricvox.features.mfcc_stats import compute_mfcc_stats, frame_statistics
from metricvox.features.options import (FbankOptions, FrameOptions, MfccOptions, MfccStatsOptions,
                                        SpectrogramOptions)
from metricvox.features.presets import PRESET_TYPES, preset_path
from metricvox.features.spectrogram import compute_spectrogram
from metricvox.features.vad import compute_vad, select_voiced_frames, voiced_runs

__all__ = [
    "CmvnStats", "apply_cmvn", "sliding_cmvn", "add_deltas", "compute_fbank", "FEATURE_TYPES",
    "feature_options", "compute_mfcc", "compute_mfcc_stats", "frame_statistics", "FbankOptions",
    "FrameOptions", "MfccOptions", "MfccStatsOptions", "SpectrogramOptions", "PRESET_TYPES",
    "preset_path", "compute_spectrogram", "compute_vad", "select_voiced_frames", "voiced_runs",
]
