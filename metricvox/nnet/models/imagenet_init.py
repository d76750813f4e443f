"""Initialise a model's ResNet-50 backbone from a user's ImageNet checkpoint file.

The file is a torchvision ResNet-50 ``state_dict`` saved with ``torch.save`` (nothing is
downloaded). Our backbone uses torchvision's parameter names, so a key is loaded when the model
has a parameter or buffer of that name and shape; torchvision's classifier (``fc.*``) is ignored,
and what ImageNet cannot provide (SE blocks, PReLU, the embedding layer) keeps its fresh
initialisation. The returned report lists the three groups.
"""
import logging
import pickle
from dataclasses import dataclass

import torch

from metricvox.errors import InputError

log = logging.getLogger(__name__)


@dataclass
class ImagenetInitReport:
    loaded: list    # our keys set from the file
    missing: list   # our keys the file does not have (left as initialised)
    ignored: list   # the file's keys we have no use for

    def summary(self):
        fresh = sorted({key.split(".")[0] for key in self.missing})
        ignored = ", ".join(self.ignored[:4]) + (", ..." if len(self.ignored) > 4 else "")
        return (f"loaded {len(self.loaded)} tensors from the ImageNet checkpoint; "
                f"{len(self.missing)} not in it ({', '.join(fresh)}); "
                f"ignored {len(self.ignored)} ({ignored})")


def read_state_dict(path):
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as err:
        raise InputError(f"cannot read an ImageNet checkpoint (a state_dict saved with "
                         f"torch.save): {err}", path=path) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise InputError("expected a state_dict (parameter name -> tensor) of a torchvision "
                         "ResNet-50", path=path)
    # Checkpoints saved from DataParallel/DDP prefix every name with "module.".
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_resnet50_imagenet(model, path):
    """Copy the matching tensors of the file at ``path`` into ``model``; return the report."""
    state = read_state_dict(path)
    ours = model.state_dict()
    loaded, missing = [], []
    for key, tensor in ours.items():
        if key not in state:
            missing.append(key)
        elif state[key].shape != tensor.shape:
            raise InputError(f"{key} has shape {tuple(state[key].shape)} in the checkpoint but "
                             f"{tuple(tensor.shape)} in the model: not a torchvision ResNet-50",
                             path=path)
        else:
            loaded.append(key)
    if not loaded:
        raise InputError("no tensor of the checkpoint matches the model: expected torchvision "
                         "ResNet-50 names (conv1.weight, layer1.0.conv1.weight, ...)", path=path)
    with torch.no_grad():
        for key in loaded:
            ours[key].copy_(state[key])
    report = ImagenetInitReport(loaded, missing, [k for k in state if k not in ours])
    log.info("%s: %s", path, report.summary())
    return report
