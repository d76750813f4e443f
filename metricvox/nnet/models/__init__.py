"""Embedding networks of the four papers, chosen by name with :func:`build_model`."""
from metricvox.nnet.models.registry import MODELS, build_model, config_keys

__all__ = ["MODELS", "build_model", "config_keys"]
