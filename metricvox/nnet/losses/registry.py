"""Losses by name: ``build_loss(name, embedding_dim=..., num_classes=..., **config)``.

Every loss is a ``torch.nn.Module`` called as ``loss(embeddings, labels)`` on a batch
laid out as described in :mod:`.batch` and returning a :class:`.batch.LossOutput`.
``config`` holds the loss's own options (e.g. ``margin``, ``mining``); an unknown
name or option is an InputError that lists the valid ones. ``multi`` takes
``losses``: a list of ``{name: ..., weight: ..., <options of that loss>}``; the
multi-metric paper's combination reads, in an experiment's YAML::

    loss:
      name: multi
      losses:
        - {name: npair, weight: 0.5}
        - {name: softmax, weight: 0.1}
        - {name: triplet, weight: 1.0, mining: semihard, distance: squared}
        - {name: angular, weight: 1.0, alpha: 45}

``ge2e`` is Wan et al.'s form by default (centroids of the L2-normalised embeddings,
softmax per utterance); ``centroids: raw`` averages the un-normalised outputs instead
(voxceleb_trainer's form, metricvox's before) and ``method: contrast`` takes the
paper's contrast loss (Eq. 7)::

    loss: {name: ge2e, centroids: raw, method: softmax, init_w: 10, init_b: -5}
"""

import inspect

from metricvox.errors import InputError

from . import margin_softmax
from .angular import AngularLoss
from .bce import PairBCELoss
from .ge2e import GE2ELoss
from .multi import MultiLoss
from .npair import NPairLoss
from .prototypical import AngularPrototypicalLoss, PrototypicalLoss
from .softmax import SoftmaxLoss
from .triplet import TripletLoss

# Arguments the caller supplies from the model and the data, not from the loss config.
SIZES = ("embedding_dim", "num_classes")


def _multi(embedding_dim=None, num_classes=None, losses=()):
    if not losses:
        raise InputError("loss 'multi' expects 'losses': a list of {name, weight, ...}")
    parts = []
    for position, spec in enumerate(losses, 1):
        if not isinstance(spec, dict) or "name" not in spec or "weight" not in spec:
            raise InputError(
                f"loss 'multi': entry {position} must be a mapping with 'name', 'weight' "
                f"and that loss's options, got {spec!r}")
        options = dict(spec)
        name, weight = options.pop("name"), options.pop("weight")
        if name == "multi":
            raise InputError("loss 'multi' cannot contain another 'multi'")
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise InputError(f"loss 'multi': weight of '{name}' must be a number, got {weight!r}")
        module = build_loss(name, embedding_dim=embedding_dim, num_classes=num_classes, **options)
        label = name if name not in [p[0] for p in parts] else f"{name}.{position}"
        parts.append((label, weight, module))
    return MultiLoss(parts)


LOSSES = {
    "softmax": SoftmaxLoss,
    "normsoftmax": margin_softmax.normsoftmax,
    "sphereface": margin_softmax.sphereface,
    "amsoftmax": margin_softmax.amsoftmax,
    "aamsoftmax": margin_softmax.aamsoftmax,
    "triplet": TripletLoss,
    "npair": NPairLoss,
    "angular": AngularLoss,
    "proto": PrototypicalLoss,
    "angleproto": AngularPrototypicalLoss,
    "ge2e": GE2ELoss,
    "bce": PairBCELoss,
    "multi": _multi,
}


def loss_options(name):
    """The config keys loss ``name`` accepts (besides embedding_dim and num_classes)."""
    parameters = inspect.signature(LOSSES[name]).parameters
    return [p for p in parameters if p not in SIZES]


def build_loss(name, embedding_dim=None, num_classes=None, **config):
    """The loss module called ``name``, configured by ``config``."""
    if name not in LOSSES:
        raise InputError(f"unknown loss '{name}'; expected one of: {', '.join(LOSSES)}")
    valid = loss_options(name)
    unknown = sorted(set(config) - set(valid))
    if unknown:
        raise InputError(
            f"loss '{name}' has no option {', '.join(repr(k) for k in unknown)}; "
            f"valid options: {', '.join(valid) if valid else 'none'}")
    parameters = inspect.signature(LOSSES[name]).parameters
    sizes = {"embedding_dim": embedding_dim, "num_classes": num_classes}
    for size in SIZES:
        if size not in parameters:
            continue
        value = sizes[size]
        required = parameters[size].default is inspect.Parameter.empty
        if required and (not isinstance(value, int) or value < 1):
            raise InputError(f"loss '{name}' needs {size} (a positive integer), got {value}")
        config[size] = value
    return LOSSES[name](**config)
