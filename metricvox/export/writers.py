"""The two file formats of an exported extractor, each written as bytes from the traced graph.

- TorchScript: ``torch.jit.save`` with the metadata as the extra file ``metricvox.json``;
- ONNX: the traced graph through torch's TorchScript-based exporter (the graph's
  size arithmetic becomes Shape/Gather/Div nodes, so the time axis stays dynamic),
  the metadata in ``metadata_props``, and the input's rank left open so that a
  (samples,) and a (1, samples) waveform both run.
"""

import contextlib
import io
import os
import re
import sys
import tempfile
import warnings

import torch

from metricvox.errors import InputError
from metricvox.export.metadata import TORCHSCRIPT_EXTRA_FILE, metadata_text, onnx_properties

FORMATS = ("torchscript", "onnx")
ONNX_OPSET = 17
INPUT_NAME, OUTPUT_NAME = "waveform", "embedding"


def torchscript_bytes(traced, metadata):
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer, _extra_files={TORCHSCRIPT_EXTRA_FILE: metadata_text(metadata)})
    return buffer.getvalue()


def _unsupported_op(error):
    """The op an ONNX export error names ('aten::stft'), or the error's first line."""
    text = str(error)
    named = re.search(r"operator '?([a-z_]+::[A-Za-z0-9_.]+)'?", text)
    return named.group(1) if named else text.strip().splitlines()[0]


@contextlib.contextmanager
def _native_output_discarded():
    """Discard what native code writes to stdout and stderr meanwhile: on a failed export,
    torch's ONNX exporter prints the whole graph, which would bury the one-line error."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


def onnx_bytes(traced, example, metadata):
    import onnx

    buffer = io.BytesIO()
    with warnings.catch_warnings(), _native_output_discarded():
        warnings.simplefilter("ignore")   # the legacy exporter's deprecation notice
        try:
            torch.onnx.export(traced, (example,), buffer, dynamo=False, opset_version=ONNX_OPSET,
                              input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                              dynamic_axes={INPUT_NAME: {0: "samples"}})
        except Exception as error:  # torch raises several types, each naming the op
            raise InputError(f"the model cannot be exported to ONNX: op "
                             f"{_unsupported_op(error)} has no ONNX equivalent "
                             f"(opset {ONNX_OPSET})") from None
    model = onnx.load_from_string(buffer.getvalue())
    for key, value in onnx_properties(metadata).items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    # After the check, which wants every input shaped: no shape at all means any rank.
    model.graph.input[0].type.tensor_type.ClearField("shape")
    return model.SerializeToString()


def exported_bytes(export_format, traced, example, metadata):
    if export_format == "torchscript":
        return torchscript_bytes(traced, metadata)
    if export_format == "onnx":
        return onnx_bytes(traced, example, metadata)
    raise InputError(f"unknown export format {export_format!r}; expected one of {', '.join(FORMATS)}")
