"""Metric-learning losses, chosen by name (see :mod:`.registry` and :mod:`.batch`)."""

from .batch import LossOutput
from .registry import LOSSES, build_loss, loss_options

__all__ = ["LOSSES", "LossOutput", "build_loss", "loss_options"]
