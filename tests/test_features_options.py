"""Options: Kaldi defaults, conf files, presets, and which layer wins."""
import pytest

from metricvox.errors import InputError
from metricvox.features import PRESET_TYPES, feature_options, preset_path
from metricvox.conf import read_conf


def test_kaldi_defaults():
    fbank = feature_options("fbank")
    assert (fbank.num_mel_bins, fbank.dither, fbank.window_type, fbank.preemphasis_coefficient,
            fbank.low_freq, fbank.high_freq, fbank.use_energy, fbank.snip_edges) == (
        23, 1.0, "povey", 0.97, 20.0, 0.0, False, True)
    mfcc = feature_options("mfcc")
    assert (mfcc.num_ceps, mfcc.use_energy, mfcc.cepstral_lifter, mfcc.num_mel_bins) == (
        13, True, 22.0, 23)


def test_conf_then_command_line_win_over_preset(tmp_path):
    conf = tmp_path / "fbank.conf"
    conf.write_text("# comment line\n--num-mel-bins=40   # trailing comment\n\n"
                    "--snip-edges=false\n--use-energy\n--window-type=hamming\n")
    options = feature_options("logmel", preset="siamese-logmel80", config=conf,
                              overrides={"window-type": "povey", "frame-shift": 15.0})
    assert options.num_mel_bins == 40          # conf over preset's 80
    assert options.snip_edges is False and options.use_energy is True
    assert options.window_type == "povey"      # command line over conf
    assert options.frame_shift == 15.0
    assert options.dither == 0.0               # from the preset


def test_unknown_option_in_conf_names_file_and_line(tmp_path):
    conf = tmp_path / "mfcc.conf"
    conf.write_text("--num-ceps=20\n# fine\n--num-ceeps=13\n")
    with pytest.raises(InputError) as error:
        feature_options("mfcc", config=conf)
    assert f"{conf}:3:" in str(error.value) and "--num-ceeps" in str(error.value)


def test_bad_value_and_bad_line_in_conf(tmp_path):
    conf = tmp_path / "x.conf"
    conf.write_text("--snip-edges=maybe\n")
    with pytest.raises(InputError, match=r"x.conf:1: --snip-edges"):
        feature_options("fbank", config=conf)
    conf.write_text("\nnum-mel-bins=3\n")
    with pytest.raises(InputError, match=r"x.conf:2: expected --option=value"):
        read_conf(conf)


@pytest.mark.parametrize("overrides,fragment", [
    ({"num-ceps": 40}, "--num-ceps=40"),
    ({"high-freq": 9000.0}, "bad mel range"),
    ({"window-type": "kaiser"}, "--window-type=kaiser"),
    ({"num-mel-bins": 200, "sample-frequency": 8000.0, "dither": 0.0}, "contains no FFT bin"),
])
def test_impossible_settings_are_input_errors(overrides, fragment):
    with pytest.raises(InputError, match=fragment):
        options = feature_options("mfcc", overrides=overrides)
        from metricvox.features import compute_mfcc
        import numpy as np
        compute_mfcc(np.zeros(8000, dtype=np.float32), options)


def test_option_of_another_type_is_rejected():
    with pytest.raises(InputError, match="unknown option --num-ceps for feature type fbank"):
        feature_options("fbank", overrides={"num-ceps": 13})


@pytest.mark.parametrize("name", sorted(PRESET_TYPES))
def test_every_preset_loads_and_cites_its_paper(name):
    text = preset_path(name).read_text()
    assert "# Paper:" in text and '"' in text   # which paper, and the quoted sentence
    options = feature_options(PRESET_TYPES[name], preset=name)
    assert options.dither == 0.0


def test_preset_numbers_are_the_papers():
    singer = feature_options("logmel", preset="singer-logmel64")
    assert (singer.num_mel_bins, singer.window_type, singer.frame_length, singer.frame_shift,
            singer.sample_frequency) == (64, "hamming", 25.0, 10.0, 16000.0)
    assert feature_options("logmel", preset="siamese-logmel80").num_mel_bins == 80
    spectrogram = feature_options("spectrogram", preset="multimetric-spectrogram161")
    assert int(spectrogram.sample_frequency * spectrogram.frame_length / 1000) // 2 + 1 == 161
    ivector = feature_options("mfcc", preset="ivector-mfcc20")
    assert ivector.num_ceps == 20
    stats = feature_options("mfcc-stats", preset="urbansound-mfcc-stats")
    assert (stats.num_ceps, stats.num_mel_bins, stats.stats_frames) == (25, 40, 5)
    assert int(stats.sample_frequency * 0.001 * stats.frame_length) == 1024   # 21.3 ms
    assert int(stats.sample_frequency * 0.001 * stats.frame_shift) == 512     # 50% overlap


def test_preset_of_another_type_is_rejected():
    with pytest.raises(InputError, match="is for --type mfcc"):
        feature_options("fbank", preset="ivector-mfcc20")
