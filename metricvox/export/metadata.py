"""What an exported extractor says about itself: one JSON document stored with the graph.

ONNX keeps it in the model's ``metadata_props`` (key ``metricvox``, and each field
under its own name for tools that list them); TorchScript as the extra file
``metricvox.json``. A model file without it was not written by metricvox-export.
"""

import json
import os

from metricvox.features.feature_types import feature_type

EXPORT_FORMAT = "metricvox-export-1"
METADATA_KEY = "metricvox"
TORCHSCRIPT_EXTRA_FILE = "metricvox.json"


def export_options(checkpoint):
    """The checkpoint's feature options with dither off (an export is deterministic)."""
    settings = checkpoint.features
    return feature_type(settings["type"]).options_class(**dict(settings["options"], dither=0.0))


def export_metadata(checkpoint, checkpoint_path, export_format, embedding_dim):
    options = export_options(checkpoint)
    source = checkpoint.config["input"]
    return {
        "format": EXPORT_FORMAT,
        "graph": export_format,
        "mode": "utterance",
        "input": "waveform: float32 mono samples in [-1, 1], shape (samples,) or (1, samples)",
        "output": f"embedding: float32, shape ({embedding_dim},)",
        "sample_rate": int(options.sample_frequency),
        "embedding_dim": int(embedding_dim),
        "features": {"type": checkpoint.features["type"],
                     "options": dict(checkpoint.features["options"], dither=0.0)},
        "dither": (f"off in the export (the training features had dither "
                   f"{checkpoint.features['options'].get('dither', 0.0):g})"),
        "crop_frames": int(checkpoint.crop_frames),
        "short": source["short"],
        "mean_norm": bool(source["mean_norm"]),
        "model_name": checkpoint.model_name,
        "model_config": checkpoint.model_config,
        "checkpoint": os.path.basename(os.fspath(checkpoint_path)),
        "epoch": checkpoint.epoch,
    }


def metadata_text(metadata):
    return json.dumps(metadata, sort_keys=True)


def onnx_properties(metadata):
    """{key: text} for ONNX metadata_props: the whole document, then each field."""
    properties = {METADATA_KEY: metadata_text(metadata)}
    for key, value in metadata.items():
        properties[key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return properties
