"""Reading a model file by its content: a checkpoint, or an extractor exported to TorchScript/ONNX.

``model_file_kind(path)`` tells which (never by the file name's extension);
``load_exported(path)`` gives an :class:`ExportedModel`, which embeds a waveform
with onnxruntime or TorchScript. A TorchScript or ONNX file that another program
wrote (no metricvox metadata) is refused with one line: what its graph takes and
gives is unknown.
"""

import json
import os
import zipfile

import numpy as np
import torch

from metricvox.errors import InputError
from metricvox.export.metadata import EXPORT_FORMAT, METADATA_KEY, TORCHSCRIPT_EXTRA_FILE
from metricvox.features.checks import check_finite
from metricvox.features.feature_types import feature_type
from metricvox.features.framing import num_frames, window_size
from metricvox.nnet.training.checkpoints import load_checkpoint

NOT_OURS = "not written by metricvox-export: it has no metricvox metadata"


def _zip_names(path):
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None


def _onnx_model(path):
    """The ONNX ModelProto in ``path`` (weights included), or None when it is not one."""
    import onnx
    try:
        model = onnx.load_model(path)
    except Exception:  # protobuf's DecodeError and friends: not an ONNX file
        return None
    return model if model.ir_version > 0 and len(model.graph.node) > 0 else None


def model_file_kind(path):
    """'checkpoint', 'torchscript' or 'onnx', from the file's content; InputError if foreign."""
    if not os.path.isfile(path):
        raise InputError("no such model file", path)
    names = _zip_names(path)
    if names is not None:
        if any(name.endswith(f"/extra/{TORCHSCRIPT_EXTRA_FILE}") for name in names):
            return "torchscript"
        if any("/code/__torch__/" in name for name in names):
            raise InputError(f"a TorchScript model {NOT_OURS}", path)
        return "checkpoint"
    with open(path, "rb") as stream:
        if stream.read(2) == b"PK":   # a zip the zipfile module cannot read: a cut-off file
            return "checkpoint"
    model = _onnx_model(path)
    if model is None:
        return "checkpoint"
    if not any(prop.key == METADATA_KEY for prop in model.metadata_props):
        raise InputError(f"an ONNX model {NOT_OURS} (producer "
                         f"{model.producer_name or 'unknown'})", path)
    return "onnx"


def _checked_metadata(text, path):
    try:
        metadata = json.loads(text)
    except ValueError:
        raise InputError("damaged metricvox export metadata (not JSON)", path) from None
    if not isinstance(metadata, dict) or metadata.get("format") != EXPORT_FORMAT:
        raise InputError(f"not a metricvox export of format {EXPORT_FORMAT}", path)
    return metadata


class ExportedModel:
    """An exported extractor: ``embed(waveform)`` -> embedding, ``metadata`` as written."""

    has_pair_head = False   # an export holds the embedding extractor only, never a pair head

    def __init__(self, path, kind, metadata, run):
        self.path = os.fspath(path)
        self.kind = kind
        self.metadata = metadata
        self._run = run
        self.sample_rate = metadata["sample_rate"]
        features = metadata["features"]
        self.feature_options = feature_type(features["type"]).options_class(**features["options"])

    def embed(self, waveform, name="waveform"):
        """The (embedding_dim,) float32 embedding of a mono waveform at ``sample_rate``."""
        waveform = np.ascontiguousarray(waveform, dtype=np.float32)
        if waveform.ndim == 2 and waveform.shape[0] == 1:
            waveform = waveform[0]
        if waveform.ndim != 1:
            raise InputError(f"{name}: expected a mono waveform (samples,) or (1, samples), got "
                             f"shape {waveform.shape}")
        check_finite(waveform, name, what="samples")
        if num_frames(len(waveform), self.feature_options) == 0:
            raise InputError(f"{name}: {len(waveform)} samples give no frame (frame length "
                             f"{window_size(self.feature_options)} samples)")
        return np.asarray(self._run(waveform), dtype=np.float32)


def _torchscript(path):
    extra = {TORCHSCRIPT_EXTRA_FILE: ""}
    try:
        module = torch.jit.load(path, map_location="cpu", _extra_files=extra)
    except Exception as error:
        raise InputError(f"not a readable TorchScript file ({type(error).__name__})", path) from None
    metadata = _checked_metadata(extra[TORCHSCRIPT_EXTRA_FILE], path)

    @torch.inference_mode()
    def run(waveform):
        return module(torch.from_numpy(waveform)).numpy()
    return ExportedModel(path, "torchscript", metadata, run)


def onnx_session(path, threads=None):
    """An onnxruntime CPU session of ``path``; ``threads`` bounds its intra-op threads."""
    import onnxruntime
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(os.fspath(path), options,
                                            providers=["CPUExecutionProvider"])
    except Exception as error:
        raise InputError(f"onnxruntime cannot load the model ({type(error).__name__}: "
                         f"{str(error).strip().splitlines()[0]})", path) from None


def _onnx(path, threads=None):
    session = onnx_session(path, threads)
    metadata = _checked_metadata(session.get_modelmeta().custom_metadata_map[METADATA_KEY], path)
    input_name = session.get_inputs()[0].name

    def run(waveform):
        return session.run(None, {input_name: waveform})[0]
    return ExportedModel(path, "onnx", metadata, run)


def load_exported(path, threads=None):
    """The :class:`ExportedModel` in ``path``; InputError when it is no metricvox export."""
    kind = model_file_kind(path)
    if kind == "torchscript":
        return _torchscript(path)
    if kind == "onnx":
        return _onnx(path, threads)
    load_checkpoint(path)   # a file neither kind of export: its error says what is wrong with it
    raise InputError("not an exported model (a checkpoint: export it with metricvox-export)", path)
