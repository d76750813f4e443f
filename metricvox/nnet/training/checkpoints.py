"""Checkpoints: everything needed to resume a run exactly, or to extract embeddings.

A :class:`Checkpoint` is written with ``torch.save`` as a dict of three entries:

- ``format``: ``CHECKPOINT_FORMAT``;
- ``metadata``: one JSON text of the plain values -- the model's registry name and
  options, the loss's options, the experiment config, the seed, the epochs completed,
  the feature settings, the crop length, the class names and the per-epoch history;
- ``tensors``: the state dicts of the model, the loss, the optimiser, the schedule and
  the gradient scaler, and the random generators' states, all as tensors and numbers.

It is read back with ``torch.load(weights_only=True)``, whose unpickler builds tensors,
numbers, strings and containers and nothing else: a file crafted to run code when
unpickled (or a checkpoint of metricvox format 1, which pickled numpy and Python objects)
is refused with a one-line error before anything in it runs. The model file formats
are listed together in ``docs/model-files.md``.
"""

import dataclasses
import json
import os
import pickle
import random
import re
import tempfile

import numpy as np
import torch

from metricvox.errors import InputError

CHECKPOINT_FORMAT = "metricvox-checkpoint-2"
# Plain values kept in the JSON metadata; the rest of the fields are tensor states.
_METADATA_FIELDS = ("model_name", "model_config", "loss_config", "epoch", "config", "seed",
                    "features", "crop_frames", "classes", "history")
_TENSOR_FIELDS = ("model_state", "loss_state", "optimiser_state", "schedule_state",
                  "scaler_state", "rng")


@dataclasses.dataclass
class Checkpoint:
    """One saved state of a training run."""

    model_name: str           # the model registry's name
    model_config: dict        # the model's options
    model_state: dict         # the model's state dict
    loss_config: dict         # the config's loss section (name and options)
    loss_state: dict          # margin and classification heads have parameters
    optimiser_state: dict
    schedule_state: dict
    scaler_state: dict
    epoch: int                # epochs completed
    rng: dict                 # see rng_states()
    config: dict              # the full, validated experiment config
    seed: int
    features: dict | None     # {type, options} of the input features, or None
    crop_frames: int
    classes: list             # class names, in the order of the classifier's outputs
    history: list             # one dict of figures per epoch


def rng_states():
    """The torch (CPU and CUDA), numpy and Python generator states, as tensors and numbers."""
    _, numpy_keys, numpy_pos, has_gauss, cached_gaussian = np.random.get_state()
    version, python_state, gauss_next = random.getstate()
    states = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(numpy_keys.astype(np.int64)), "pos": int(numpy_pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
        "python": {"version": version, "state": torch.tensor(python_state, dtype=torch.int64),
                   "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states):
    torch.set_rng_state(states["torch"])
    numpy = states["numpy"]
    np.random.set_state(("MT19937", numpy["keys"].numpy().astype(np.uint32), numpy["pos"],
                         numpy["has_gauss"], numpy["cached_gaussian"]))
    python = states["python"]
    random.setstate((python["version"], tuple(python["state"].tolist()), python["gauss_next"]))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _plain(value):
    """JSON for numpy scalars (a figure computed with numpy); anything else is a bug."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a plain value")


def save_checkpoint(checkpoint, path):
    """Write ``checkpoint`` to ``path`` atomically (a reader never sees half a file)."""
    metadata = {name: getattr(checkpoint, name) for name in _METADATA_FIELDS}
    tensors = {name: getattr(checkpoint, name) for name in _TENSOR_FIELDS}
    saved = {"format": CHECKPOINT_FORMAT, "metadata": json.dumps(metadata, default=_plain),
             "tensors": tensors}
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp_path = tempfile.mkstemp(prefix=".ckpt.", suffix=".tmp", dir=directory)
    try:
        # Through the file object: given a path, torch.save names the archive's inner folder
        # after the (random) temporary file, and equal checkpoints would differ byte-wise.
        with os.fdopen(fd, "wb") as stream:
            torch.save(saved, stream)
        os.replace(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)


def _read_saved(path, map_location):
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        needed = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if needed:
            raise InputError(
                f"refused: loading the file would call {needed.group(1)} (a file crafted to run "
                f"code, another program's pickle, or a checkpoint of metricvox before format 2, "
                f"which must be retrained); nothing was run", path) from None
        reason = re.search(r"WeightsUnpickler error:\s*(.+)", str(error))
        raise InputError(f"not a readable checkpoint "
                         f"({reason.group(1) if reason else _first_line(error)})", path) from None
    except Exception as error:  # torch raises many types for a file that is not a checkpoint
        raise InputError(f"not a readable checkpoint ({type(error).__name__}: "
                         f"{_first_line(error)})", path) from None


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def load_checkpoint(path, map_location="cpu"):
    """The :class:`Checkpoint` saved at ``path``, or InputError when it is not one.

    Nothing in the file runs while it is read (see the module's docstring).
    """
    if not os.path.isfile(path):
        raise InputError("no such checkpoint file", path)
    saved = _read_saved(path, map_location)
    if not isinstance(saved, dict) or saved.get("format") != CHECKPOINT_FORMAT:
        found = saved.get("format") if isinstance(saved, dict) else None
        older = f" (it is {found}: retrain with this version)" if isinstance(found, str) else ""
        raise InputError(f"not a metricvox checkpoint of format {CHECKPOINT_FORMAT}{older}", path)
    try:
        metadata = json.loads(saved["metadata"])
        tensors = saved["tensors"]
        fields = {name: metadata[name] for name in _METADATA_FIELDS}
        fields.update({name: tensors[name] for name in _TENSOR_FIELDS})
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"damaged metricvox checkpoint: {type(error).__name__} {error}",
                         path) from None
    return Checkpoint(**fields)


def load_model_weights(model, model_name, model_config, checkpoint, path):
    """Copy the checkpoint's model weights into ``model`` (``--init``): same model, or InputError."""
    if checkpoint.model_name != model_name or checkpoint.model_config != model_config:
        raise InputError(f"checkpoint holds model {checkpoint.model_name} "
                         f"{checkpoint.model_config}, not the configured {model_name} "
                         f"{model_config}", path)
    try:
        model.load_state_dict(checkpoint.model_state)
    except RuntimeError as error:
        raise InputError(f"checkpoint weights do not fit the model: {error}", path) from None
