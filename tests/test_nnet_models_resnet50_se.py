"""ResNet-50 + SE of the multi-metric paper, and its initialisation from an ImageNet file."""
import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.models.resnet50_se import ResNet50SE, SqueezeExcitation


def torchvision_resnet50_shapes():
    """Key -> shape of torchvision's resnet50().state_dict(), written out from its definition."""
    shapes = {"conv1.weight": (64, 3, 7, 7)}

    def bn(prefix, channels):
        shapes.update({f"{prefix}.weight": (channels,), f"{prefix}.bias": (channels,),
                       f"{prefix}.running_mean": (channels,), f"{prefix}.running_var": (channels,),
                       f"{prefix}.num_batches_tracked": ()})
    bn("bn1", 64)
    in_channels = 64
    for layer, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), 1):
        for block in range(blocks):
            p = f"layer{layer}.{block}"
            shapes[f"{p}.conv1.weight"] = (width, in_channels, 1, 1)
            bn(f"{p}.bn1", width)
            shapes[f"{p}.conv2.weight"] = (width, width, 3, 3)
            bn(f"{p}.bn2", width)
            shapes[f"{p}.conv3.weight"] = (4 * width, width, 1, 1)
            bn(f"{p}.bn3", 4 * width)
            if block == 0:
                shapes[f"{p}.downsample.0.weight"] = (4 * width, in_channels, 1, 1)
                bn(f"{p}.downsample.1", 4 * width)
            in_channels = 4 * width
    shapes.update({"fc.weight": (1000, 2048), "fc.bias": (1000,)})
    return shapes


def fake_imagenet_file(tmp_path, shapes):
    gen = torch.Generator().manual_seed(1)
    state = {k: (torch.tensor(7) if s == () else torch.randn(s, generator=gen))
             for k, s in shapes.items()}
    path = tmp_path / "resnet50-imagenet.pth"
    torch.save(state, path)
    return path, state


def test_stage_sizes_for_a_3s_161_bin_spectrogram():
    model = ResNet50SE().eval()
    with torch.no_grad():
        rows = model.forward_stages(torch.randn(1, 161, 300))
    expected = {"stem": (64, 41, 75), "conv2": (256, 41, 75), "conv3": (512, 21, 38),
                "conv4": (1024, 11, 19), "conv5": (2048, 6, 10)}
    for name, shape in expected.items():
        assert tuple(rows[name].shape) == (1, *shape), name
    assert rows["embedding"].shape == (1, 512)
    with torch.no_grad():  # variable length at inference
        assert model(torch.randn(2, 161, 137)).shape == (2, 512)
    assert isinstance(model.layer4[-1].activation, torch.nn.PReLU)
    assert sum(isinstance(m, torch.nn.PReLU) for m in model.modules()) == 1
    assert [n for n, m in model.named_children() if isinstance(m, SqueezeExcitation)] == [
        "se_conv2", "se_conv3", "se_conv4"]


def test_se_block_is_input_times_mask_plus_input():
    se = SqueezeExcitation(4, reduction=2)
    x = torch.randn(2, 4, 3, 5)
    with torch.no_grad():
        # Eq. 6-7 by hand: 1x1 convolutions are per-position matrix products over channels.
        w1, b1 = se.squeeze.weight[:, :, 0, 0], se.squeeze.bias
        w2, b2 = se.excite.weight[:, :, 0, 0], se.excite.bias
        pixels = x.permute(0, 2, 3, 1)  # (batch, freq, time, channels)
        mask = torch.sigmoid(torch.relu(pixels @ w1.T + b1) @ w2.T + b2).permute(0, 3, 1, 2)
        torch.testing.assert_close(se(x), x * mask + x)


def test_imagenet_checkpoint_initialises_the_backbone(tmp_path):
    shapes = torchvision_resnet50_shapes()
    path, state = fake_imagenet_file(tmp_path, shapes)
    model = ResNet50SE()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = model.load_imagenet(path)
    assert sorted(report.loaded) == sorted(k for k in shapes if not k.startswith("fc."))
    assert report.ignored == ["fc.weight", "fc.bias"]
    assert {k.split(".")[0] for k in report.missing} == {"se_conv2", "se_conv3", "se_conv4",
                                                          "layer4", "embedding"}
    after = model.state_dict()
    for key in ("conv1.weight", "layer3.5.conv2.weight", "layer4.0.downsample.1.running_var"):
        torch.testing.assert_close(after[key], state[key])
    for key in report.missing:
        torch.testing.assert_close(after[key], before[key])
    assert len(shapes) == 320  # torchvision resnet50().state_dict() has 320 entries
    assert "loaded 318 " in report.summary()


def test_a_checkpoint_of_another_network_is_an_input_error(tmp_path):
    shapes = torchvision_resnet50_shapes()
    shapes["layer2.0.conv2.weight"] = (128, 128, 5, 5)
    path, _ = fake_imagenet_file(tmp_path, shapes)
    with pytest.raises(InputError, match="layer2.0.conv2.weight"):
        ResNet50SE().load_imagenet(path)
    other, _ = fake_imagenet_file(tmp_path, {"features.0.weight": (3, 3)})
    with pytest.raises(InputError, match="no tensor"):
        ResNet50SE().load_imagenet(other)
    garbage = tmp_path / "garbage.pth"
    garbage.write_text("not a checkpoint")
    with pytest.raises(InputError, match="garbage.pth"):
        ResNet50SE().load_imagenet(garbage)


def test_base_width_scales_every_stage():
    import torch

    from metricvox.nnet.models import build_model

    model = build_model("resnet50_se", freq_bins=40, embedding_dim=8, base_width=16)
    rows = model.forward_stages(torch.zeros(1, 40, 64))
    # Stage widths 16/32/64/128 x expansion 4; the strides are those of ResNet-50.
    assert [rows[f"conv{s}"].shape[1] for s in (2, 3, 4, 5)] == [64, 128, 256, 512]
    assert rows["conv5"].shape[2:] == (2, 2) and rows["embedding"].shape == (1, 8)
