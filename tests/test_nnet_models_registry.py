"""Models by name: the config contract, and the input contract every model shares."""
import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.models import MODELS, build_model

# Small settings so that every model runs in a fraction of a second.
SMALL = {
    "thin_resnet34": dict(freq_bins=40, embedding_dim=16),
    "vgg_encoder": dict(freq_bins=16, embedding_dim=16, hidden_dim=32, attention_dim=16),
    "siamese_pair": dict(freq_bins=16, embedding_dim=16, hidden_dim=32, attention_dim=16),
    "resnet50_se": dict(freq_bins=32, embedding_dim=16),
    "mobilenet_v1": dict(freq_bins=24, embedding_dim=16, width=0.25),
}


def test_every_name_is_built_with_its_config():
    assert sorted(MODELS) == sorted(SMALL)
    for name, config in SMALL.items():
        model = build_model(name, **config)
        assert isinstance(model, MODELS[name]) and model.embedding_dim == 16


@pytest.mark.parametrize("name", sorted(SMALL))
def test_two_different_lengths_at_inference(name):
    torch.manual_seed(0)
    model = build_model(name, **SMALL[name]).eval()
    bins = SMALL[name]["freq_bins"]
    with torch.no_grad():
        for frames in (23, 90):
            x = torch.randn(2, bins, frames)
            out = model(x, torch.randn(2, bins, 50)) if name == "siamese_pair" else model(x)
            assert out.shape == ((2,) if name == "siamese_pair" else (2, 16))
            assert torch.isfinite(out).all()


def test_unknown_names_and_keys_list_the_valid_ones():
    with pytest.raises(InputError, match="mobilenet_v1, resnet50_se, siamese_pair, thin_resnet34, "
                                         "vgg_encoder"):
        build_model("resnet18")
    with pytest.raises(InputError, match="emb_dim.*valid keys: freq_bins, embedding_dim, pooling"):
        build_model("thin_resnet34", emb_dim=256)
    with pytest.raises(InputError, match="bad config for model mobilenet_v1"):
        build_model("mobilenet_v1", embedding_dim="32")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_models_run_on_cuda():
    for name, config in SMALL.items():
        model = build_model(name, **config).cuda().eval()
        x = torch.randn(2, config["freq_bins"], 40, device="cuda")
        with torch.no_grad():
            assert (model(x, x) if name == "siamese_pair" else model(x)).is_cuda
