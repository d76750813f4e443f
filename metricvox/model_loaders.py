"""Which loader opens a model file, chosen by what the file holds (not by its name).

A loader is registered with a test that recognises its files from their content and a
function that opens one as an :class:`EmbeddingModel`: an object with ``sample_rate``
(the rate its waveforms must have), ``embed(samples)`` (a float32 mono waveform in
[-1, 1] at that rate to a (D,) embedding), ``has_pair_head`` (a Siamese network that
scores pairs itself) and ``path``. The first loader whose test accepts the file opens
it. metricvox's own training checkpoints and the extractors metricvox-export writes
(TorchScript or ONNX, :mod:`metricvox.export.loader`) are registered here; another format
registers its own loader the same way (:func:`register_loader`).
"""

import os
import zipfile

import numpy as np

from metricvox.errors import InputError

_LOADERS = []


def register_loader(name, recognises, load):
    """Add a loader: ``recognises(path)`` says whether it opens the file, ``load(path,
    device)`` returns the EmbeddingModel. Loaders registered later are tried first."""
    _LOADERS.insert(0, (name, recognises, load))


def load_embedding_model(path, device="cpu"):
    """The EmbeddingModel in the file ``path``, by the first loader that recognises it."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError("no such model file", path)
    for _name, recognises, load in _LOADERS:
        if recognises(path):
            return load(path, device)
    known = ", ".join(name for name, _, _ in reversed(_LOADERS))
    raise InputError(f"not a model file metricvox can load (it loads: {known})", path)


def _is_torch_archive(path):
    """torch.save's zip archive with a pickled object, not a TorchScript module (which
    carries its code and constants)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = [name.split("/", 1)[-1] for name in archive.namelist()]
    return "data.pkl" in names and "constants.pkl" not in names


class CheckpointModel:
    """A training checkpoint's network with the feature front end it was trained with."""

    def __init__(self, path, device="cpu"):
        # Imported here: torch and the networks only when a checkpoint is opened.
        from metricvox.nnet.extraction import Embedder
        from metricvox.nnet.training.data import extractor_from_settings
        self.path = str(path)
        self._embedder = Embedder.from_checkpoint(self.path, device)
        if self._embedder.features is None:
            raise InputError("the model was trained on stored features and its checkpoint "
                             "holds no feature settings: it cannot embed audio", self.path)
        self._extractor = extractor_from_settings(self._embedder.features, self._embedder.seed)
        self.sample_rate = int(self._extractor.options.sample_frequency)
        self.has_pair_head = hasattr(self._embedder.model, "head_logits")

    def embed(self, samples, key="waveform"):
        """The (D,) embedding of the whole waveform, as metricvox-extract computes it."""
        features = self._extractor(key, samples)
        return self._embedder.utterance(np.asarray(features, dtype=np.float32))


register_loader("metricvox checkpoint", _is_torch_archive, CheckpointModel)


def _is_metricvox_export(path):
    """A TorchScript or ONNX file of metricvox-export; a foreign one is a one-line error here."""
    from metricvox.export.loader import model_file_kind   # onnx and torch only when asked
    return model_file_kind(path) != "checkpoint"


def _load_export(path, device):
    from metricvox.export.loader import load_exported     # exports run on the CPU
    return load_exported(path)


register_loader("metricvox export (TorchScript or ONNX)", _is_metricvox_export, _load_export)
