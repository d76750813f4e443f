"""metricvox.augment: noise at an SNR, reverberation, speed, SpecAugment masks, the MUSAN
and RIRS_NOISES readers and the config's augment block, against references worked here."""
import numpy as np
import pytest
import scipy.signal
import soundfile

from augment_corpora import RATE, decaying_response, write_musan, write_rirs
from conftest import input_error_text
from metricvox.augment.additive_noise import AdditiveNoise
from metricvox.augment.audio_files import AudioFiles
from metricvox.augment.musan import musan_files
from metricvox.augment.reverberation import reverberate
from metricvox.augment.rirs import RoomResponses, room_response_files
from metricvox.augment.snr import noise_at_snr
from metricvox.augment.spec_augment import SpecAugment
from metricvox.augment.speed import change_speed
from metricvox.nnet.training.config import validate_config


def test_noise_at_snr_by_hand_and_measured_from_the_mixture():
    # Signal power 1 (amplitude 1), noise power 4 (amplitude 2): at 0 dB the noise must have
    # power 1, a gain of 1/2; at 20 dB power 1/100, amplitude 0.1.
    signal, noise = np.ones(100, np.float32), np.full(100, 2.0, np.float32)
    np.testing.assert_allclose(noise_at_snr(signal, noise, 0.0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(noise_at_snr(signal, noise, 20.0), 0.1, rtol=1e-6)
    rng = np.random.default_rng(1)
    speech = np.sin(2 * np.pi * 200 * np.arange(RATE) / RATE).astype(np.float32) * rng.uniform(0, 1, RATE).astype(np.float32)
    for snr in (0.0, 7.3, 15.0):
        mixture = speech + noise_at_snr(speech, rng.normal(0, 3, RATE).astype(np.float32), snr)
        added = mixture.astype(np.float64) - speech
        measured = 10 * np.log10(np.sum(speech.astype(np.float64) ** 2) / np.sum(added ** 2))
        assert measured == pytest.approx(snr, abs=1e-3)


def test_silent_crops_and_silent_noise_give_no_nan_or_inf(tmp_path):
    silent, loud = np.zeros(800, np.float32), np.ones(800, np.float32)
    assert not noise_at_snr(silent, loud, 5.0).any()     # no level to set the noise against
    assert not noise_at_snr(loud, silent, 5.0).any()     # silence cannot be raised
    assert np.isfinite(noise_at_snr(loud, np.full(800, 1e-40, np.float32), 0.0)).all()  # denormal noise
    soundfile.write(tmp_path / "silence.wav", np.zeros(RATE), RATE)
    noise = AdditiveNoise(AudioFiles([tmp_path / "silence.wav"], RATE), snr=(0, 15))
    rng = np.random.default_rng(0)
    for crop in (silent, loud):
        out = noise(crop, rng)
        assert np.isfinite(out).all() and np.array_equal(out, crop)
    assert np.array_equal(reverberate(silent, decaying_response(rng, 400, 10)), silent)


def test_additive_noise_mixes_files_at_the_drawn_snr(tmp_path):
    musan = write_musan(tmp_path / "musan")
    files = AudioFiles(musan_files(musan, "noise"), RATE)
    crop = np.random.default_rng(3).normal(0, 0.5, 4000).astype(np.float32)
    mixture = AdditiveNoise(files, snr=(6.0, 6.0))(crop, np.random.default_rng(4))
    added = mixture.astype(np.float64) - crop
    assert 10 * np.log10(np.sum(crop.astype(np.float64) ** 2) / np.sum(added ** 2)) == pytest.approx(6.0, abs=1e-3)
    # Babble: 3 speech files, each at 13 dB; independent noises add their powers, so the
    # sum is near 13 - 10 log10(3) = 8.2 dB.
    babble = AdditiveNoise(AudioFiles(musan_files(musan, "speech"), RATE), snr=(13.0, 13.0), count=(3, 3))
    added = babble(crop, np.random.default_rng(5)).astype(np.float64) - crop
    assert 10 * np.log10(np.sum(crop.astype(np.float64) ** 2) / np.sum(added ** 2)) == pytest.approx(8.2, abs=1.5)


@pytest.mark.parametrize("length", [300, 12000], ids=["shorter-than-crop", "longer-than-crop"])
def test_reverberation_is_the_convolution_with_the_response_aligned_on_its_peak(length):
    rng = np.random.default_rng(0)
    crop = rng.normal(size=4000).astype(np.float32)
    response = decaying_response(rng, length, peak=37)
    response[5] = 0.2   # an early reflection-like sample before the direct path
    unit = response / np.sqrt(np.sum(response ** 2))
    expected = np.convolve(crop.astype(np.float64), unit)[37:37 + 4000]
    out = reverberate(crop, response)
    assert out.shape == crop.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, atol=1e-5)
    np.testing.assert_allclose(out, scipy.signal.fftconvolve(crop, unit)[37:4037], atol=1e-5)
    # Not delayed: an impulse at sample 1000 comes out with the direct path at sample 1000.
    impulse = np.zeros(4000, np.float32)
    impulse[1000] = 1
    assert int(np.argmax(np.abs(reverberate(impulse, response)))) == 1000


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_changes_length_and_frequency_by_the_factor(factor):
    time = np.arange(RATE) / RATE
    sine = np.sin(2 * np.pi * 1000 * time).astype(np.float32)
    faster = change_speed(sine, factor)
    assert abs(len(faster) - RATE / factor) <= 1
    spectrum = np.abs(np.fft.rfft(faster * np.hanning(len(faster))))
    peak_hz = np.argmax(spectrum) * RATE / len(faster)
    assert peak_hz == pytest.approx(1000 * factor, abs=2)


def test_spec_augment_zeroes_exactly_the_drawn_bands():
    features = np.random.default_rng(0).uniform(1, 2, (50, 20)).astype(np.float32)
    masks = SpecAugment(probability=1.0, time_masks=2, max_frames=7, freq_masks=2, max_bins=4)
    out = masks(features, np.random.default_rng(9))
    replay = np.random.default_rng(9)
    replay.random()   # the probability draw
    time_bands, freq_bands = masks.draw(50, 20, replay)
    expected_zero = np.zeros((50, 20), bool)
    for start, stop in time_bands:
        assert 1 <= stop - start <= 7 and 0 <= start and stop <= 50
        expected_zero[start:stop, :] = True
    for start, stop in freq_bands:
        assert 1 <= stop - start <= 4 and 0 <= start and stop <= 20
        expected_zero[:, start:stop] = True
    assert np.array_equal(out == 0, expected_zero)
    assert np.array_equal(out[~expected_zero], features[~expected_zero])
    assert masks(features, np.random.default_rng(9)) is not features
    assert SpecAugment(probability=0.0)(features, np.random.default_rng(9)) is features


def test_musan_reader_takes_every_subfolder_and_leaves_vocal_music_out_on_request(tmp_path):
    musan = write_musan(tmp_path / "musan")
    assert [p.split("/")[-1] for p in musan_files(musan, "music")] == ["music-fma-0000.wav", "music-fma-0001.wav"]
    assert [p.split("/")[-1] for p in musan_files(musan, "music", vocals=False)] == ["music-fma-0001.wav"]
    assert len(musan_files(musan, "speech")) == 3
    (musan / "music/fma/ANNOTATIONS").write_text("music-fma-0000 Rock maybe\n")
    assert "ANNOTATIONS:1: expected 'file genre Y|N" in input_error_text(musan_files, musan, "music", vocals=False)
    (tmp_path / "empty/noise/free-sound").mkdir(parents=True)
    assert input_error_text(musan_files, tmp_path / "empty", "noise") == \
        f"{tmp_path / 'empty'}: no .wav files in noise/<subfolder>/ of the MUSAN directory"
    assert "has no speech/ folder" in input_error_text(musan_files, tmp_path / "empty", "speech")


def test_audio_files_resample_other_rates_and_name_unreadable_files(tmp_path):
    time = np.arange(8000) / 8000
    soundfile.write(tmp_path / "n8k.wav", np.sin(2 * np.pi * 500 * time), 8000)
    files = AudioFiles([tmp_path / "n8k.wav"], RATE)
    whole = files.whole(0)
    assert len(whole) == RATE
    assert np.argmax(np.abs(np.fft.rfft(whole))) == 500   # 1 s: bin = Hz
    stretch = files.stretch(0, 4000, np.random.default_rng(0))
    assert len(stretch) == 4000
    (tmp_path / "bad.wav").write_bytes(b"RIFF not really a wav file")
    assert input_error_text(AudioFiles, [tmp_path / "n8k.wav", tmp_path / "bad.wav"], RATE).startswith(
        f"{tmp_path / 'bad.wav'}: cannot read audio")


def test_rirs_reader_follows_the_layout_and_its_lists(tmp_path):
    rirs = write_rirs(tmp_path / "RIRS_NOISES")
    small = room_response_files(rirs, "smallroom")
    assert [p.split("RIRS_NOISES/")[1] for p in small] == [
        "simulated_rirs/smallroom/Room001/Room001-00001.wav", "simulated_rirs/smallroom/Room001/Room001-00002.wav"]
    real = room_response_files(rirs, "real")   # the rir_list's response, not the isotropic noise
    assert [p.split("/")[-1] for p in real] == ["RVB2014_type1_rir_largeroom1_near_angla.wav"]
    (rirs / "real_rirs_isotropic_noises/rir_list").unlink()   # then: every wav noise_list leaves
    assert room_response_files(rirs, "real") == real
    (rirs / "real_rirs_isotropic_noises/rir_list").write_text("--rir-id x RIRS_NOISES/real_rirs_isotropic_noises/gone.wav\n")
    assert "rir_list:1: lists gone.wav, which is not in" in input_error_text(room_response_files, rirs, "real")
    assert input_error_text(room_response_files, rirs, "largeroom") == \
        f"{rirs}: no room responses (.wav files) in simulated_rirs/largeroom/RoomNNN/ of the RIRS_NOISES directory"
    soundfile.write(rirs / "simulated_rirs/smallroom/Room001/Room001-00001.wav", np.zeros(100), RATE)
    soundfile.write(rirs / "simulated_rirs/smallroom/Room001/Room001-00002.wav", np.zeros(100), RATE)
    responses = RoomResponses(rirs, ["smallroom"], RATE)
    assert "the room response is silent" in input_error_text(responses.draw, np.random.default_rng(0))


def _config(augment, source="wav", sampler=None):
    features = {"type": "fbank", "options": {"num-mel-bins": 40}}
    return {"model": {"name": "thin_resnet34"}, "loss": {"name": "softmax"},
            "input": {"source": source, "crop_frames": 30, "features": features},
            "sampler": sampler or {"classes_per_batch": 2, "per_class": 2}, "epochs": 1,
            "augment": augment}


@pytest.mark.parametrize("augment, source, sampler, message", [
    ({"musan": "m", "noise": {"probability": 0.5, "snr": [15, 0]}}, "wav", None,
     "config 'augment.noise.snr' is [min, max] with min > max: [15, 0]"),
    ({"musan": "m", "babble": {"probability": 0.5, "speakers": [3, 2.5]}}, "wav", None,
     "config 'augment.babble.speakers' must be [min, max] of positive integers"),
    ({"noise": {"probability": 0.5}}, "wav", None,
     "config 'augment.noise' needs 'augment.musan': the MUSAN directory"),
    ({"rirs": "r", "reverb": {"probability": 0.5}}, "feats", None,
     "config 'augment.reverb' changes the audio, which training on precomputed features "
     "(input.source: feats) never reads"),
    ({"rirs": "r", "reverb": {"probability": 1.5}}, "wav", None,
     "config 'augment.reverb.probability' must be between 0 and 1, got 1.5"),
    ({"rirs": "r", "reverb": {"probability": 0.5, "rooms": ["hall"]}}, "wav", None,
     "config 'augment.reverb.rooms' must be a list of smallroom, mediumroom, largeroom, real"),
    ({"music": {"snr": [5, 15]}, "musan": "m"}, "wav", None,
     "config 'augment.music' needs 'probability' (0 to 1)"),
    ({"specaugment": {"probability": 0.5, "max_time": 3}}, "feats", None,
     "config 'augment.specaugment' has no option 'max_time'; valid options: probability, "
     "time_masks, max_frames, freq_masks, max_bins"),
    ({"speed": {"as_classes": True, "probability": 0.3}}, "wav", None,
     "config 'augment.speed.probability' does not apply with as_classes: true"),
    ({"speed": {"as_classes": True}}, "wav", {"name": "pairs", "list": "p", "batch_size": 2},
     "config 'augment.speed.as_classes' makes new classes, which sampler pairs has none of"),
    ({"speed": {"probability": 0.3, "factors": [1.0]}}, "wav", None,
     "config 'augment.speed.factors' takes factors from 0.5 to 2 other than 1"),
    ({"reverb_all": {}}, "wav", None, "unknown config key 'reverb_all' in 'augment'"),
])
def test_bad_augment_blocks_are_named(augment, source, sampler, message):
    assert message in input_error_text(validate_config, _config(augment, source, sampler))


def test_a_valid_block_gets_kaldi_v2s_ranges_and_specaugment_alone_suits_features():
    config = validate_config(_config({"musan": "m", "noise": {"probability": 0.2}, "music": {"probability": 0.2},
                                      "babble": {"probability": 0.2}}))["augment"]
    assert config["noise"]["snr"] == [0.0, 15.0] and config["music"]["snr"] == [5.0, 15.0]
    assert config["babble"] == {"probability": 0.2, "snr": [13.0, 20.0], "speakers": [3, 7]}
    assert config["music"]["vocals"] is False and config["rirs"] is None
    assert validate_config(_config({"specaugment": {"probability": 1}}, "feats"))["augment"]["specaugment"][
        "max_frames"] == 10
    assert validate_config(_config({}))["augment"] is None
