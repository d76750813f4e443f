"""VGG encoder against the Siamese paper's Table 1, and the double-branch Siamese head."""
import pytest
import torch
from torch import nn

from metricvox.errors import InputError
from metricvox.nnet.models.siamese_pair import SiamesePair
from metricvox.nnet.models.vgg_encoder import VGGEncoder

N = 352  # a multiple of 8, so that N/2, N/4, N/8 of the table are whole

# Table 1: layer -> (channels, freq, frames) of its output, for an 80 x N input.
TABLE_1 = {
    "conv1-1": (128, 80, N), "conv1-2": (128, 80, N), "mpool-1": (128, 40, N // 2),
    "conv2-1": (256, 40, N // 2), "conv2-2": (256, 40, N // 2), "mpool-2": (256, 20, N // 4),
    "conv3-1": (512, 20, N // 4), "conv3-2": (512, 20, N // 4), "mpool-3": (512, 10, N // 8),
}


def test_every_layer_of_table_1_has_the_listed_size():
    encoder = VGGEncoder().eval()
    with torch.no_grad():
        outputs = encoder.forward_layers(torch.randn(1, 80, N))
    assert list(outputs) == list(TABLE_1) + ["sap", "fc-1", "fc-2"]
    for name, (channels, freq, frames) in TABLE_1.items():
        assert tuple(outputs[name].shape) == (1, channels, freq, frames), name
    assert tuple(outputs["sap"].shape) == (1, 512 * 10)  # N/8 frames -> 1 vector of 512 x 10
    assert tuple(outputs["fc-1"].shape) == (1, 1024)
    assert tuple(outputs["fc-2"].shape) == (1, 400)
    kernels = [m for m in encoder.cnn.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.kernel_size, c.stride) for c in kernels] == [((3, 3), (1, 1))] * 6


def test_encoder_takes_variable_lengths_and_rejects_too_short_input():
    encoder = VGGEncoder(batch_norm=False).eval()
    with torch.no_grad():
        for frames in (8, 61):
            emb = encoder(torch.randn(2, 80, frames))
            assert emb.shape == (2, 400) and (emb >= 0).all()  # ReLU on the last FC too
    with pytest.raises(InputError, match="at least 8 frames"):
        encoder(torch.randn(1, 80, 7))


def test_siamese_head_concatenates_both_encodings_into_five_fc_layers():
    torch.manual_seed(0)
    model = SiamesePair(embedding_dim=16, hidden_dim=32, attention_dim=8).eval()
    fcs = [m for m in model.head if isinstance(m, nn.Linear)]
    assert [(fc.in_features, fc.out_features) for fc in fcs] == [
        (32, 512), (512, 256), (256, 128), (128, 64), (64, 1)]
    first, second = torch.randn(3, 80, 40), torch.randn(3, 80, 72)
    with torch.no_grad():
        score = model(first, second)
        # The same score by hand: shared encoder on both sides, concatenation, head, sigmoid.
        by_hand = torch.sigmoid(model.head(torch.cat(
            [model.encoder(first), model.encoder(second)], dim=1))).squeeze(1)
    assert score.shape == (3,) and ((score > 0) & (score < 1)).all()
    torch.testing.assert_close(score, by_hand)
    torch.testing.assert_close(torch.sigmoid(model.pair_logits(first, second)), score)


def test_siamese_trains_with_bce_and_rejects_unequal_sides():
    model = SiamesePair(embedding_dim=8, hidden_dim=16, attention_dim=8)
    logits = model.pair_logits(torch.randn(2, 80, 16), torch.randn(2, 80, 24))
    nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor([1.0, 0.0])).backward()
    assert model.encoder.cnn["conv1-1"][0].weight.grad.abs().sum() > 0
    with pytest.raises(InputError, match="both sides"):
        model(torch.randn(2, 80, 16), torch.randn(3, 80, 16))
    with pytest.raises(InputError, match="head_sizes"):
        SiamesePair(head_sizes=(8, 8))


def test_narrow_encoders_keep_the_table_shape_with_their_own_widths():
    import torch

    from metricvox.nnet.models import build_model

    vgg = build_model("vgg_encoder", freq_bins=16, embedding_dim=8, hidden_dim=12,
                      attention_dim=4, channels=[4, 6, 10])
    rows = vgg.forward_layers(torch.zeros(2, 16, 40))
    assert rows["conv3-2"].shape == (2, 10, 4, 10) and rows["fc-2"].shape == (2, 8)
    pair = build_model("siamese_pair", freq_bins=16, embedding_dim=8, hidden_dim=12,
                       attention_dim=4, channels=[4, 6, 10])
    assert pair(torch.zeros(2, 16, 40), torch.zeros(2, 16, 24)).shape == (2,)
