"""The torch device a tool runs on: cuda when present unless told; cuda without CUDA is an error."""

import re

import torch

from metricvox.errors import InputError

_DEVICE_NAME = re.compile(r"cpu|cuda(:\d+)?")


def default_device_name():
    """'cuda' when this machine has a CUDA device, else 'cpu'."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_device(name=None):
    """torch.device for ``name`` ('cpu', 'cuda', 'cuda:N' or a torch.device; None: the default)."""
    if name is None:
        return torch.device(default_device_name())
    name = str(name)
    if not _DEVICE_NAME.fullmatch(name):
        raise InputError(f"unknown device {name!r}; expected cpu, cuda or cuda:N")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(f"device {name} asked for, but this machine has no CUDA device")
        index = torch.device(name).index
        if index is not None and index >= torch.cuda.device_count():
            raise InputError(f"device {name} asked for, but this machine has only "
                             f"{torch.cuda.device_count()} CUDA device(s)")
    return torch.device(name)
