"""fbank and MFCC against kaldi-native-fbank (an independent C++ port of Kaldi's front end).

Dither 0 on both sides; speech-like audio at 16 and 8 kHz; both snip-edges
settings; several option combinations. Log values must agree within 1e-3.
"""
import numpy as np
import pytest

knf = pytest.importorskip("kaldi_native_fbank")

from features_signals import speech_like
from metricvox.features import FbankOptions, MfccOptions, compute_fbank, compute_mfcc

TOLERANCE = 1e-3

FBANK_CASES = [
    dict(),
    dict(window_type="hamming", num_mel_bins=80, low_freq=40.0, high_freq=-400.0,
         use_energy=True),
    dict(num_mel_bins=64, high_freq=3800.0, use_energy=True, raw_energy=False,
         energy_floor=1.0),
    dict(window_type="hamming", frame_length=20.0, round_to_power_of_two=False,
         preemphasis_coefficient=0.0, remove_dc_offset=False, num_mel_bins=40),
]
MFCC_CASES = [
    dict(),
    dict(window_type="hamming", num_ceps=20, num_mel_bins=30, high_freq=-400.0,
         raw_energy=False),
    dict(num_ceps=25, num_mel_bins=40, use_energy=False, cepstral_lifter=0.0,
         window_type="hamming", energy_floor=0.0),
]


def _knf_options(knf_options, ours, rate):
    frame = knf_options.frame_opts
    frame.samp_freq = rate
    frame.dither = 0.0
    frame.frame_length_ms = ours.frame_length
    frame.frame_shift_ms = ours.frame_shift
    frame.preemph_coeff = ours.preemphasis_coefficient
    frame.remove_dc_offset = ours.remove_dc_offset
    frame.window_type = ours.window_type
    frame.round_to_power_of_two = ours.round_to_power_of_two
    frame.snip_edges = ours.snip_edges
    mel = knf_options.mel_opts
    mel.num_bins = ours.num_mel_bins
    mel.low_freq = ours.low_freq
    mel.high_freq = ours.high_freq
    knf_options.use_energy = ours.use_energy
    knf_options.raw_energy = ours.raw_energy
    knf_options.energy_floor = ours.energy_floor
    return knf_options


def _knf_features(computer, waveform, rate):
    computer.accept_waveform(rate, (waveform * 32768.0).tolist())
    computer.input_finished()
    return np.array([computer.get_frame(i) for i in range(computer.num_frames_ready)])


@pytest.fixture(scope="module", params=[16000, 8000])
def audio(request):
    return speech_like(seconds=2.5, rate=request.param, seed=1), request.param


@pytest.mark.parametrize("snip_edges", [True, False])
@pytest.mark.parametrize("case", FBANK_CASES)
def test_fbank_matches_kaldi_native_fbank(audio, snip_edges, case):
    waveform, rate = audio
    ours = FbankOptions(sample_frequency=rate, dither=0.0, snip_edges=snip_edges, **case)
    reference = _knf_features(knf.OnlineFbank(_knf_options(knf.FbankOptions(), ours, rate)),
                              waveform, rate)
    features = compute_fbank(waveform, ours)
    assert features.dtype == np.float32
    assert features.shape == reference.shape
    assert np.max(np.abs(features - reference)) <= TOLERANCE


@pytest.mark.parametrize("snip_edges", [True, False])
@pytest.mark.parametrize("case", MFCC_CASES)
def test_mfcc_matches_kaldi_native_fbank(audio, snip_edges, case):
    waveform, rate = audio
    ours = MfccOptions(sample_frequency=rate, dither=0.0, snip_edges=snip_edges, **case)
    knf_options = _knf_options(knf.MfccOptions(), ours, rate)
    knf_options.num_ceps = ours.num_ceps
    knf_options.cepstral_lifter = ours.cepstral_lifter
    reference = _knf_features(knf.OnlineMfcc(knf_options), waveform, rate)
    features = compute_mfcc(waveform, ours)
    assert features.shape == reference.shape
    assert np.max(np.abs(features - reference)) <= TOLERANCE


def test_magnitude_fbank_is_half_the_log_power_of_a_pure_tone_bin():
    # use-power=false takes the mel bins over |X| instead of |X|^2 (Kaldi): for a
    # mel bin fed by a single FFT bin the log is exactly half. Checked on the
    # reference: knf with use_power false.
    waveform, rate = speech_like(seconds=1.0, rate=16000, seed=2), 16000
    ours = FbankOptions(dither=0.0, use_power=False, num_mel_bins=40)
    knf_options = _knf_options(knf.FbankOptions(), ours, rate)
    knf_options.use_power = False
    reference = _knf_features(knf.OnlineFbank(knf_options), waveform, rate)
    assert np.max(np.abs(compute_fbank(waveform, ours) - reference)) <= TOLERANCE
