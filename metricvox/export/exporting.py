"""A checkpoint to one exported file: build, trace, write, then check the file against the model.

The check runs the written file (onnxruntime or TorchScript) on waveforms of
other lengths than the tracing example, shorter and longer than the training crop, and
compares with the model run eagerly: a trace that froze a Python decision on
tensor values is refused there, naming where the tracer saw it, and nothing is
left at OUT.
"""

import tempfile

import numpy as np
import torch

from metricvox.errors import InputError
from metricvox.export.extractor import UtteranceExtractor
from metricvox.export.front_end import EXPORTABLE_TYPES, FeatureFrontEnd
from metricvox.export.loader import load_exported
from metricvox.export.metadata import export_metadata, export_options
from metricvox.export.tracing import trace_extractor
from metricvox.export.writers import exported_bytes
from metricvox.io.atomic import atomic_write
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint

# Lengths in training crops: the trace's example, then the checks on both sides of the crop.
EXAMPLE_CROPS = 1.5
CHECK_CROPS = (0.4, 2.3)


def extractor_from_checkpoint(path):
    """(UtteranceExtractor in eval mode, the checkpoint) of a metricvox-train checkpoint."""
    checkpoint = load_checkpoint(path)
    if checkpoint.features is None:
        raise InputError("the model was trained on stored features and its checkpoint holds no "
                         "feature settings: an export needs the front end it was trained with",
                         path)
    if checkpoint.features["type"] not in EXPORTABLE_TYPES:
        raise InputError(f"the model was trained on {checkpoint.features['type']} features, which "
                         f"cannot be exported (the front ends written as tensor ops are "
                         f"{', '.join(EXPORTABLE_TYPES)})", path)
    model = build_model(checkpoint.model_name, **checkpoint.model_config)
    model.load_state_dict(checkpoint.model_state)
    front_end = FeatureFrontEnd(checkpoint.features["type"], export_options(checkpoint))
    source = checkpoint.config["input"]
    extractor = UtteranceExtractor(front_end, model, checkpoint.crop_frames, source["short"],
                                   source["mean_norm"]).eval()
    return extractor, checkpoint


def probe_waveform(seconds, sample_rate, seed):
    """A reproducible noise waveform in [-1, 1] for tracing and checking, louder with ``seed``
    (so that a value the trace froze differs between the example and the checks)."""
    rng = np.random.default_rng(seed)
    return (0.05 * (1 + seed) * rng.standard_normal(int(seconds * sample_rate))).astype(np.float32)


def crop_seconds(extractor, crops):
    """``crops`` training crops in seconds, and never less than a few frames."""
    options = extractor.front_end.options
    return max(crops * extractor.crop_frames * options.frame_shift,
               4 * options.frame_length) / 1000.0


def _check_export(path, extractor, sample_rate, frozen):
    exported = load_exported(path)
    for i, seconds in enumerate(crop_seconds(extractor, crops) for crops in CHECK_CROPS):
        waveform = probe_waveform(seconds, sample_rate, seed=i + 1)
        with torch.inference_mode():
            expected = extractor(torch.from_numpy(waveform)).numpy()
        got = exported.embed(waveform)
        scale = max(1.0, float(np.abs(expected).max()))
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-3, atol=1e-3 * scale):
            where = f": the trace froze a value at {frozen[0]}" if frozen else ""
            raise InputError(f"the exported graph does not reproduce the model on a {seconds:g} s "
                             f"input (a Python decision on tensor values cannot be exported){where}")


def export_checkpoint(checkpoint_path, export_format, out):
    """Write the utterance-mode extractor of ``checkpoint_path`` to ``out``; returns its metadata."""
    extractor, checkpoint = extractor_from_checkpoint(checkpoint_path)
    sample_rate = int(extractor.front_end.options.sample_frequency)
    example = torch.from_numpy(probe_waveform(crop_seconds(extractor, EXAMPLE_CROPS),
                                             sample_rate, seed=0))
    with torch.inference_mode():
        embedding_dim = extractor(example).shape[-1]
    traced, frozen = trace_extractor(extractor, example)
    metadata = export_metadata(checkpoint, checkpoint_path, export_format, embedding_dim)
    # OUT's temporary file first (a directory that cannot be written fails before the work);
    # the content is checked from a file of its own, and OUT appears only if it passes.
    with atomic_write(out, "wb") as stream:
        content = exported_bytes(export_format, traced, example, metadata)
        with tempfile.NamedTemporaryFile(prefix="metricvox-export.", suffix=".tmp") as staged:
            staged.write(content)
            staged.flush()
            _check_export(staged.name, extractor, sample_rate, frozen)
        stream.write(content)
    return metadata
