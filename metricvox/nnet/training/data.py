"""The training examples an experiment config asks for, how they are batched, and the
feature settings behind them.

The sampler decides what an example is: ``pk`` batches N classes x M labelled crops
(labels from ``input.labels``); ``pairs`` and ``triplets`` batch crops of the mined
pairs or triplets of ``sampler.list``, with no labels (:mod:`metricvox.nnet.mined_datasets`).
``input.source: feats`` crops DATA/feats.scp; ``input.source: wav`` computes the
features of each crop from DATA/wav.scp. Either way the feature settings (type and
every option) are returned as plain data, so a checkpoint can carry them and
extraction can compute the same features from audio later. For feats.scp the
``input.features`` block states how the archive was made (it is optional, but
without it extraction can only read features, not audio).

The ``augment`` block (:mod:`metricvox.augment.config`) is built here: its corpora are
read at the features' sample rate, and speed as classes wraps the labelled dataset in a
:class:`metricvox.augment.speed_classes.SpeedClassDataset`.
"""

import dataclasses
import logging
import os

from metricvox.augment.augmenter import build_augmentation
from metricvox.augment.config import describe_augment
from metricvox.augment.speed_classes import SpeedClassDataset
from metricvox.errors import InputError
from metricvox.features.extraction import FeatureExtractor
from metricvox.features.feature_types import feature_type
from metricvox.features.options import FrameOptions
from metricvox.nnet.crop_dataset import LabelledCropDataset
from metricvox.nnet.crop_sources import FeatureCrops, WavCrops
from metricvox.nnet.mined_datasets import PairCropDataset, TripletCropDataset, collate_triplets
from metricvox.nnet.pk_sampler import PKBatchSampler
from metricvox.nnet.shuffled_sampler import ShuffledBatchSampler

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
    """(dataset, feature settings or None, crop length in frames)."""
    source = config["input"]
    settings = feature_settings(config)
    frames = crop_frames(config, settings)
    if source["source"] == "feats":
        augmentation = build_augmentation(config["augment"])
        crops = FeatureCrops(_data_file(data_dir, "feats.scp"), frames, source["short"],
                             source["mean_norm"], augmentation)
    else:
        extractor = extractor_from_settings(settings, seed)
        augmentation = build_augmentation(config["augment"], extractor.options.sample_frequency)
        crops = WavCrops(_data_file(data_dir, "wav.scp"), extractor, frames, source["short"],
                         source["mean_norm"], augmentation)
    sampler = config["sampler"]
    if sampler["name"] == "pairs":
        dataset = PairCropDataset(crops, sampler["list"])
    elif sampler["name"] == "triplets":
        dataset = TripletCropDataset(crops, sampler["list"])
    else:
        dataset = LabelledCropDataset(crops, _data_file(data_dir, source["labels"]))
        if augmentation.speed_classes:
            dataset = SpeedClassDataset(dataset, augmentation.speed_classes)
    if config["augment"]:
        log.info("augmentation on the fly: %s", describe_augment(config["augment"]))
    return dataset, settings, frames


def check_batch_fits(config, dataset, config_path=None):
    """InputError naming the config key to lower when one batch needs more classes (pk) or
    more mined pairs or triplets than the training data have: a small corpus run with a
    large corpus's settings fails here, before anything is trained."""
    sampler = config["sampler"]
    if sampler["name"] == "pk":
        key, needed = "classes_per_batch", sampler["classes_per_batch"]
        available, what = len(dataset.classes), f"classes (labels of {config['input']['labels']})"
    else:
        key, needed = "batch_size", sampler["batch_size"]
        available, what = len(dataset), f"{sampler['name']} in {sampler['list']}"
    if needed > available:
        raise InputError(f"config 'sampler.{key}' is {needed}, but the training data have only "
                         f"{available} {what}: set it to {available} or fewer", config_path)


def build_batches(config, dataset, seed=0):
    """(batch sampler, collate function or None for the default) of the configured sampler."""
    sampler = config["sampler"]
    if sampler["name"] == "pk":
        return PKBatchSampler(dataset.labels, sampler["classes_per_batch"], sampler["per_class"],
                              seed), None
    batches = ShuffledBatchSampler(len(dataset), sampler["batch_size"], seed)
    return batches, collate_triplets if sampler["name"] == "triplets" else None


def describe_batches(config):
    """The batch layout in words, for the training log."""
    sampler = config["sampler"]
    if sampler["name"] == "pk":
        return f"{sampler['classes_per_batch']} classes x {sampler['per_class']}"
    return f"{sampler['batch_size']} {sampler['name']} of {sampler['list']}"
