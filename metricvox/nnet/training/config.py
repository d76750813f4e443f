"""The experiment config (YAML): its schema, defaults and validation.

One file per experiment, copied into the experiment directory::

    model: {name: thin_resnet34, embedding_dim: 512}     # name + that model's options
    loss: {name: angleproto}                              # name + that loss's options, or multi
    input:
      source: feats            # feats: DATA/feats.scp; wav: features computed on the fly from DATA/wav.scp
      features: {preset: singer-logmel64}   # type / preset / config / options (Kaldi names);
                                            # how feats.scp was made, or what to compute from wav
      crop_seconds: 3.5        # or crop_frames: 350
      short: repeat            # utterances shorter than the crop: repeat or pad
      mean_norm: false         # subtract, per dimension, the mean over the frames the model
                               # sees (each training crop; each utterance, segment or crop
                               # at extraction): cepstral mean normalisation at the input
      labels: utt2spk          # the DATA file holding each utterance's class
    sampler: {classes_per_batch: 32, per_class: 2}   # the GLOBAL batch is N x M, whatever the process count
                               # (name: pk, the default: N classes x M utterances of input.labels);
                               # or {name: pairs|triplets, list: FILE, batch_size: B}: B mined pairs
                               # or triplets per batch from a metricvox-mine-pairs list, no labels
    optimiser: {name: adam, lr: 0.001, weight_decay: 0.0}   # sgd also takes momentum
    schedule: {name: step, every_epochs: 10, factor: 0.95}  # the singer paper's 5% every 10 epochs;
                                                            # cosine (min_lr) or none
    epochs: 30                 # 0: save the initialised model untrained (a random-init baseline)
    batches_per_epoch: 200     # optional: stop each epoch after this many (global) batches, for a
                               # timing or smoke run (bench/scale_rehearsal.py); default: all
    micro_batch: 16            # optional: run each batch's forward and backward in chunks of at
                               # most this many crops (a pair counts two) to bound the memory;
                               # the step is the batch's (accumulated, or a gradient cache for
                               # losses that couple the batch: micro_batch.py); batch norm in
                               # train mode then normalises by each chunk's statistics. Default
                               # 0: the whole batch at once. Not under torchrun
    workers: 2                 # data loader processes
    validation: {data: data/vox1_test, metric: eer, trials: data/vox1_test/trials, patience: 5}
                               # optional; see validation.py
    augment:                   # optional, on-the-fly augmentation; see metricvox/augment/config.py
      musan: /data/musan       # MUSAN layout, for noise, music and babble
      rirs: /data/RIRS_NOISES  # RIRS_NOISES layout, for reverb
      reverb: {probability: 0.2}             # rooms: [smallroom, mediumroom] (largeroom, real)
      noise: {probability: 0.2}              # snr: [0, 15] dB (Kaldi voxceleb v2's ranges)
      music: {probability: 0.2}              # snr: [5, 15], vocals: false
      babble: {probability: 0.2}             # snr: [13, 20], speakers: [3, 7]
      speed: {probability: 0.2}              # factors: [0.9, 1.1]; or {as_classes: true}:
                                             # each speaker x speed a class (WeSpeaker)
      specaugment: {probability: 0.5}        # time_masks: 1, max_frames: 10, freq_masks: 1,
                                             # max_bins: 8
                               # all but specaugment change the audio: input.source wav only

A key that does not exist anywhere in the schema is an InputError that names it and the
valid keys; model and loss options are checked by their registries.
"""

import copy
import math

import yaml

from metricvox.augment.config import augment_schema, check_augment
from metricvox.errors import InputError
from metricvox.nnet.training.validation import check_validation

# Every section's keys and defaults; None marks a key with no default.
SCHEMA = {
    "model": None,        # free mapping: name + model options
    "loss": None,         # free mapping: name + loss options
    "input": {
        "source": "feats",
        "features": {},
        "crop_seconds": None,
        "crop_frames": None,
        "short": "repeat",
        "mean_norm": False,
        "labels": "utt2spk",
    },
    "sampler": {"name": "pk", "classes_per_batch": None, "per_class": None, "list": None,
                "batch_size": None},
    "optimiser": {"name": "adam", "lr": 0.001, "weight_decay": 0.0, "momentum": 0.0},
    "schedule": {"name": "none", "every_epochs": 10, "factor": 0.95, "min_lr": 0.0},
    "epochs": None,
    "batches_per_epoch": 0,
    "micro_batch": 0,
    "workers": 0,
    "validation": {"data": None, "metric": None, "trials": None, "patience": None},
    "augment": augment_schema(),
}
FEATURE_KEYS = ("type", "preset", "config", "options")
# Loss sizes no config sets: the run takes them from the model and from the data.
LOSS_SIZES = {"num_classes": "it is the number of distinct labels in the training data's "
                             "input.labels file (utt2spk), counted when training starts",
              "embedding_dim": "it is the model's embedding_dim"}
SOURCES = ("feats", "wav")
# Each sampler's keys; the others of the section must be left out.
SAMPLERS = {"pk": ("classes_per_batch", "per_class"), "pairs": ("list", "batch_size"),
            "triplets": ("list", "batch_size")}


def _unknown(section, given, valid):
    unknown = sorted(set(given) - set(valid))
    if unknown:
        where = f" in '{section}'" if section else ""
        raise InputError(f"unknown config key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(repr(k) for k in unknown)}{where}; "
                         f"valid keys: {', '.join(valid)}")


def _mapping(value, section):
    if not isinstance(value, dict):
        raise InputError(f"config '{section}' must be a mapping, got {value!r}")
    return value


def _named(value, section):
    value = dict(_mapping(value, section))
    if not isinstance(value.get("name"), str):
        raise InputError(f"config '{section}' needs a 'name'")
    return value


def _positive(value, what, kind=int):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise InputError(f"config '{what}' must be a positive number, got {value!r}") from None
    if not 0 < number < math.inf or (kind is int and number != value):   # NaN fails too
        raise InputError(f"config '{what}' must be a positive {'integer' if kind is int else 'number'}, "
                         f"got {value!r}")
    return number


def _check_no_loss_sizes(loss):
    parts = [("loss", loss)] + [(f"loss.losses[{i}]", spec) for i, spec in
                                enumerate(loss.get("losses") or [], 1) if isinstance(spec, dict)]
    for where, spec in parts:
        for size, source in LOSS_SIZES.items():
            if size in spec:
                raise InputError(f"config '{where}.{size}' cannot be set: {source}")


# The most values a config may stand for once YAML aliases are expanded: far above any real
# experiment, far below what an alias "bomb" (aliases of aliases) expands to.
MAX_VALUES = 100_000


def _check_plain(value, where, sizes=None):
    """Only values a checkpoint keeps as JSON: strings, finite numbers, booleans, null, and
    lists and string-keyed mappings of them (no dates, sets, binary, NaN or infinity), and
    at most MAX_VALUES of them. Returns how many values ``value`` stands for.

    A container shared through YAML aliases is checked once (``sizes`` remembers it), so
    the check takes time in the size of the file, not of its expansion."""
    sizes = {} if sizes is None else sizes
    if id(value) in sizes:
        return sizes[id(value)]
    if isinstance(value, dict):
        size = 1
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"config key {key!r} in '{where or 'the top level'}' must be a "
                                 f"string")
            size += _check_plain(item, f"{where}.{key}" if where else key, sizes)
    elif isinstance(value, list):
        size = 1 + sum(_check_plain(item, f"{where}[{index}]", sizes)
                       for index, item in enumerate(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"config '{where}' must be a finite number, got {value}")
        return 1
    elif value is None or isinstance(value, (str, bool, int)):
        return 1
    else:
        raise InputError(f"config '{where}' must be a string, number, boolean, list or mapping, "
                         f"got a {type(value).__name__} ({value!r})")
    if size > MAX_VALUES:
        raise InputError(f"config '{where or 'the file'}' stands for more than {MAX_VALUES} "
                         f"values once its YAML aliases are expanded")
    sizes[id(value)] = size
    return size


def _check_sampler(sampler):
    name = sampler["name"]
    if name not in SAMPLERS:
        raise InputError(f"config 'sampler.name' must be one of {', '.join(SAMPLERS)}, got {name!r}")
    foreign = sorted(k for k in SCHEMA["sampler"] if k != "name" and k not in SAMPLERS[name]
                     and sampler[k] is not None)
    if foreign:
        raise InputError(f"config 'sampler.{foreign[0]}' is not an option of sampler {name} "
                         f"(its options: {', '.join(SAMPLERS[name])})")
    for key in SAMPLERS[name]:
        if key == "list":
            if not isinstance(sampler[key], str):
                raise InputError(f"config sampler {name} needs 'list': the mined {name} file")
        else:
            sampler[key] = _positive(sampler[key], f"sampler.{key}")


def validate_config(raw):
    """The complete config (defaults filled in) from a parsed YAML mapping, or InputError."""
    raw = _mapping(raw if raw is not None else {}, "the config file")
    _check_plain(raw, "")
    _unknown("", raw, SCHEMA)
    config = {}
    for key, default in SCHEMA.items():
        if isinstance(default, dict):
            given = _mapping(raw.get(key, {}), key)
            _unknown(key, given, default)
            config[key] = {**copy.deepcopy(default), **copy.deepcopy(given)}
        elif key in raw:
            config[key] = copy.deepcopy(raw[key])
        elif default is not None:
            config[key] = default
        else:
            raise InputError(f"config needs '{key}'")
    config["model"] = _named(config["model"], "model")
    config["loss"] = _named(config["loss"], "loss")
    _check_no_loss_sizes(config["loss"])
    if config["epochs"] != 0:
        config["epochs"] = _positive(config["epochs"], "epochs")
    if config["workers"] != 0:
        config["workers"] = _positive(config["workers"], "workers")
    for key in ("batches_per_epoch", "micro_batch"):
        if config[key] != 0:
            config[key] = _positive(config[key], key)

    source = config["input"]
    if source["source"] not in SOURCES:
        raise InputError(f"config 'input.source' must be one of {', '.join(SOURCES)}, "
                         f"got {source['source']!r}")
    _unknown("input.features", _mapping(source["features"], "input.features"), FEATURE_KEYS)
    if source["source"] == "wav" and not ({"type", "preset"} & set(source["features"])):
        raise InputError("config 'input.features' needs a 'type' or a 'preset' to compute "
                         "features from wav.scp")
    if not isinstance(source["mean_norm"], bool):
        raise InputError(f"config 'input.mean_norm' must be true or false, got {source['mean_norm']!r}")
    if (source["crop_seconds"] is None) == (source["crop_frames"] is None):
        raise InputError("config 'input' needs exactly one of 'crop_seconds' and 'crop_frames'")
    if source["crop_frames"] is not None:
        source["crop_frames"] = _positive(source["crop_frames"], "input.crop_frames")
    else:
        source["crop_seconds"] = _positive(source["crop_seconds"], "input.crop_seconds", float)

    _check_sampler(config["sampler"])

    optimiser = config["optimiser"]
    if optimiser["name"] not in ("adam", "sgd"):
        raise InputError(f"config 'optimiser.name' must be adam or sgd, got {optimiser['name']!r}")
    optimiser["lr"] = _positive(optimiser["lr"], "optimiser.lr", float)
    for key in ("weight_decay", "momentum"):
        optimiser[key] = float(optimiser[key])
    if optimiser["name"] == "adam" and optimiser["momentum"]:
        raise InputError("config 'optimiser.momentum' is for sgd; adam has no momentum option")
    config["validation"] = check_validation(config["validation"])
    config["augment"] = check_augment(config["augment"], source["source"], config["sampler"]["name"])
    return config


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error: PyYAML keeps
    the last silently, so a config edited by appending would train something else."""

    path = None

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise InputError(f"config key {key!r} is given twice (first on line {seen[key]})",
                                 self.path, line)
            seen[key] = line
        return super().construct_mapping(node, deep)


def load_config(path):
    """The validated config of a YAML file."""
    try:
        with open(path, "rb") as stream:
            text = stream.read().decode("utf-8")
    except OSError as error:
        raise InputError(f"cannot read config: {error.strerror}", path) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not a YAML text file: byte {error.start} is not UTF-8", path) from None
    loader = _UniqueKeyLoader(text)
    loader.path = str(path)
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}", path) from None
    finally:
        loader.dispose()
    try:
        return validate_config(raw)
    except InputError as error:
        if error.path is None:
            error.path = str(path)
        raise
