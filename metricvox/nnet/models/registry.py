"""Models chosen by name, as in a training config: ``build_model(name, **config)``.

Every model takes features (batch, freq_bins, frames) and returns embeddings
(batch, embedding_dim), except ``siamese_pair``, which scores two feature batches.
The config keys of a model are the arguments of its constructor.
"""
import inspect

from metricvox.errors import InputError
from metricvox.nnet.models.mobilenet_v1 import MobileNetV1
from metricvox.nnet.models.resnet50_se import ResNet50SE
from metricvox.nnet.models.siamese_pair import SiamesePair
from metricvox.nnet.models.thin_resnet34 import ThinResNet34
from metricvox.nnet.models.vgg_encoder import VGGEncoder

MODELS = {
    "thin_resnet34": ThinResNet34,
    "vgg_encoder": VGGEncoder,
    "siamese_pair": SiamesePair,
    "resnet50_se": ResNet50SE,
    "mobilenet_v1": MobileNetV1,
}


def config_keys(name):
    """The config keys model ``name`` accepts, with their defaults."""
    signature = inspect.signature(MODELS[name].__init__)
    return {k: p.default for k, p in signature.parameters.items() if k != "self"}


def build_model(name, **config):
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; expected one of {', '.join(sorted(MODELS))}")
    valid = config_keys(name)
    unknown = sorted(set(config) - set(valid))
    if unknown:
        raise InputError(f"unknown config key(s) {', '.join(unknown)} for model {name}; "
                         f"valid keys: {', '.join(valid)}")
    try:
        return MODELS[name](**config)
    except (TypeError, ValueError) as err:  # e.g. a string where a size is expected
        raise InputError(f"bad config for model {name} ({config}): {err}") from None
