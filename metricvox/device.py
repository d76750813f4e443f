"""The torch device a tool runs on: cuda when present unless told; cuda without CUDA is an error."""

import torch

from metricvox.errors import InputError


def resolve_device(name=None):
    """torch.device for ``name`` ('cpu', 'cuda', 'cuda:N'; None: cuda when present, else cpu)."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise InputError(f"unknown device {name!r}; expected cpu or cuda")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {name} asked for, but this machine has no CUDA device")
    return torch.device(name)
