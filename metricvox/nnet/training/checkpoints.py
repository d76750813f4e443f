"""Checkpoints: everything needed to resume a run exactly, or to extract embeddings.

A checkpoint is a dict saved with ``torch.save``:

- ``format``: ``CHECKPOINT_FORMAT``;
- ``model``: {name, config, state} (the registry name, its options, the weights);
- ``loss``: {config, state} (margin and classification heads have parameters);
- ``optimiser``, ``schedule``: their state dicts; ``epoch``: epochs completed;
- ``rng``: the torch (CPU and CUDA), numpy and Python generator states;
- ``config``: the full experiment config; ``seed``: the run's seed;
- ``features``: the feature settings ({type, options}) or None; ``crop_frames``;
- ``classes``: the class names, in the order of the classifier's outputs;
- ``history``: one dict of figures per epoch.

It holds Python objects besides tensors, so it is loaded with ``weights_only=False``:
load checkpoints you trust only, as with any pickle.
"""

import os
import random
import tempfile

import numpy as np
import torch

from metricvox.errors import InputError

CHECKPOINT_FORMAT = "metricvox-checkpoint-1"


def rng_states():
    states = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
              "python": random.getstate()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states):
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(checkpoint, path):
    """Write ``checkpoint`` to ``path`` atomically (a reader never sees half a file)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp_path = tempfile.mkstemp(prefix=".ckpt.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        torch.save({"format": CHECKPOINT_FORMAT, **checkpoint}, temp_path)
        os.replace(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)


def load_checkpoint(path, map_location="cpu"):
    """The checkpoint dict saved at ``path``, or InputError when it is not one."""
    if not os.path.isfile(path):
        raise InputError("no such checkpoint file", path)
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:  # torch raises many types for a file that is not a checkpoint
        raise InputError(f"not a readable checkpoint ({type(error).__name__}: {error})",
                         path) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"not a metricvox checkpoint (expected format {CHECKPOINT_FORMAT})", path)
    return checkpoint


def load_model_weights(model, model_name, model_config, checkpoint, path):
    """Copy the checkpoint's model weights into ``model`` (``--init``): same model, or InputError."""
    saved = checkpoint["model"]
    if saved["name"] != model_name or saved["config"] != model_config:
        raise InputError(f"checkpoint holds model {saved['name']} {saved['config']}, not the "
                         f"configured {model_name} {model_config}", path)
    try:
        model.load_state_dict(saved["state"])
    except RuntimeError as error:
        raise InputError(f"checkpoint weights do not fit the model: {error}", path) from None
