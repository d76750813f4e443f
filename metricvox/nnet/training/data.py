"""The training examples an experiment config asks for, and the feature settings behind them.

``input.source: feats`` crops DATA/feats.scp; ``input.source: wav`` computes the
features of each crop from DATA/wav.scp. Either way the feature settings (type and
every option) are returned as plain data, so a checkpoint can carry them and
extraction can compute the same features from audio later. For feats.scp the
``input.features`` block states how the archive was made (it is optional, but
without it extraction can only read features, not audio).
"""

import dataclasses
import logging
import os

from metricvox.errors import InputError
from metricvox.features.extraction import FeatureExtractor
from metricvox.features.feature_types import feature_type
from metricvox.features.options import FrameOptions
from metricvox.nnet.crop_dataset import FeatureCropDataset, WavCropDataset

log = logging.getLogger(__name__)


def feature_settings(config):
    """{'type', 'options'} of ``input.features`` (options as a plain dict), or None if absent."""
    features = config["input"]["features"]
    if not features:
        return None
    overrides = {str(k): v for k, v in (features.get("options") or {}).items()}
    extractor = FeatureExtractor.from_settings(features.get("type"), features.get("preset"),
                                               features.get("config"), overrides)
    return {"type": extractor.type_name, "options": dataclasses.asdict(extractor.options)}


def extractor_from_settings(settings, seed=0):
    """The FeatureExtractor that ``feature_settings`` described."""
    options = feature_type(settings["type"]).options_class(**settings["options"])
    return FeatureExtractor(settings["type"], options, seed)


def crop_frames(config, settings):
    """The crop length in frames: given, or from seconds and the features' frame shift."""
    source = config["input"]
    if source["crop_frames"] is not None:
        return source["crop_frames"]
    shift_ms = settings["options"]["frame_shift"] if settings else FrameOptions.frame_shift
    if settings is None:
        log.info("no input.features in the config: assuming a %g ms frame shift", shift_ms)
    return max(1, round(source["crop_seconds"] * 1000.0 / shift_ms))


def _data_file(data_dir, name):
    path = os.path.join(data_dir, name)
    if not os.path.isfile(path):
        raise InputError(f"the data dir has no {name}", path)
    return path


def build_dataset(config, data_dir, seed=0):
    """(dataset of labelled crops, feature settings or None, crop length in frames)."""
    source = config["input"]
    settings = feature_settings(config)
    frames = crop_frames(config, settings)
    labels = _data_file(data_dir, source["labels"])
    if source["source"] == "feats":
        dataset = FeatureCropDataset(_data_file(data_dir, "feats.scp"), labels, frames,
                                     source["short"], source["mean_norm"])
    else:
        extractor = extractor_from_settings(settings, seed)
        dataset = WavCropDataset(_data_file(data_dir, "wav.scp"), labels, extractor, frames,
                                 source["short"], source["mean_norm"])
    return dataset, settings, frames
