"""Small untrained checkpoints of every model family, saved as metricvox-train saves them.

The weights are random and each batch norm gets random running statistics, so that
no layer is an identity in eval mode; the configs go through the trainer's own
validation, so the checkpoints are what ``metricvox-train`` would write.
"""
import torch

from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import Checkpoint, save_checkpoint
from metricvox.nnet.training.config import validate_config
from metricvox.nnet.training.data import feature_settings


def save_untrained_checkpoint(path, model_name, model_config, features, crop_frames=40,
                              short="repeat", mean_norm=False, seed=0, model=None):
    """Write a checkpoint of ``model_name`` (or of ``model``, already built) to ``path``."""
    config = validate_config({
        "model": dict(model_config, name=model_name), "loss": {"name": "angleproto"},
        "input": {"source": "wav", "crop_frames": crop_frames, "short": short,
                  "mean_norm": mean_norm, "features": features},
        "sampler": {"classes_per_batch": 2, "per_class": 2}, "epochs": 1})
    torch.manual_seed(seed)
    if model is None:
        model = build_model(model_name, **model_config)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    save_checkpoint(Checkpoint(model_name, model_config, model.state_dict(), {}, {}, {}, {}, {},
                               1, {}, config, seed, feature_settings(config), crop_frames, [], []),
                    path)
    return path
