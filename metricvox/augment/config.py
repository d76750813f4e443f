"""The ``augment`` block of an experiment config: which augmentations, with which options.

::

    augment:
      musan: /data/musan              # MUSAN layout (musan.py): for noise, music and babble
      rirs: /data/RIRS_NOISES         # RIRS_NOISES layout (rirs.py): for reverb
      reverb: {probability: 0.2, rooms: [smallroom, mediumroom]}   # or largeroom, real
      noise: {probability: 0.2, snr: [0, 15]}                      # dB, uniform in [min, max]
      music: {probability: 0.2, snr: [5, 15], vocals: false}       # vocals: music with singing too
      babble: {probability: 0.2, snr: [13, 20], speakers: [3, 7]}  # MUSAN speech files summed
      speed: {probability: 0.2, factors: [0.9, 1.1], as_classes: false}
      specaugment: {probability: 0.5, time_masks: 1, max_frames: 10, freq_masks: 1, max_bins: 8}

Every augmentation left out is off; each one given needs its ``probability`` (0 to 1),
except ``speed`` with ``as_classes: true``, where every utterance is seen at its own speed
and at each factor and each (class, factor) is a class of its own (WeSpeaker's way).
The defaults of the ranges are Kaldi's voxceleb v2 recipe's; SpecAugment's are
WeSpeaker's. Waveform augmentations (all but specaugment) need ``input.source: wav``.
"""

import math

from metricvox.augment.rirs import ROOM_SETS
from metricvox.errors import InputError

# Each augmentation's options and defaults (None: no default, it must be given).
AUGMENTATIONS = {
    "reverb": {"probability": None, "rooms": ["smallroom", "mediumroom"]},
    "noise": {"probability": None, "snr": [0.0, 15.0]},
    "music": {"probability": None, "snr": [5.0, 15.0], "vocals": False},
    "babble": {"probability": None, "snr": [13.0, 20.0], "speakers": [3, 7]},
    "speed": {"probability": None, "factors": [0.9, 1.1], "as_classes": False},
    "specaugment": {"probability": None, "time_masks": 1, "max_frames": 10, "freq_masks": 1,
                    "max_bins": 8},
}
CORPORA = {"musan": ("noise", "music", "babble"), "rirs": ("reverb",)}
WAVEFORM = ("reverb", "noise", "music", "babble", "speed")


def augment_schema():
    """The block's keys, all off by default (the config schema's ``augment`` entry)."""
    return {**{corpus: None for corpus in CORPORA}, **{name: None for name in AUGMENTATIONS}}


def _number(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"config '{where}' must be a number, got {value!r}")
    return value


def _probability(value, where):
    if not 0 <= _number(value, where) <= 1:
        raise InputError(f"config '{where}' must be between 0 and 1, got {value!r}")
    return float(value)


def _range(value, where, integer=False):
    if not isinstance(value, list) or len(value) != 2:
        raise InputError(f"config '{where}' must be [min, max], got {value!r}")
    low, high = (_number(v, where) for v in value)
    if integer and not all(isinstance(v, int) and v >= 1 for v in value):
        raise InputError(f"config '{where}' must be [min, max] of positive integers, got {value!r}")
    if low > high:
        raise InputError(f"config '{where}' is [min, max] with min > max: {value!r}")
    return [low, high] if integer else [float(low), float(high)]


def _boolean(value, where):
    if not isinstance(value, bool):
        raise InputError(f"config '{where}' must be true or false, got {value!r}")
    return value


def _count(value, where, least=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InputError(f"config '{where}' must be an integer of at least {least}, got {value!r}")
    return value


def _rooms(value, where):
    if not isinstance(value, list) or not value or any(v not in ROOM_SETS for v in value):
        raise InputError(f"config '{where}' must be a list of {', '.join(ROOM_SETS)}, got {value!r}")
    return sorted(set(value), key=value.index)


def _factors(value, where):
    if not isinstance(value, list) or not value:
        raise InputError(f"config '{where}' must be a list of speed factors, got {value!r}")
    for factor in value:
        if not 0.5 <= _number(factor, where) <= 2 or factor == 1:
            raise InputError(f"config '{where}' takes factors from 0.5 to 2 other than 1, "
                             f"got {factor!r}")
    if len(set(value)) != len(value):
        raise InputError(f"config '{where}' names a factor twice: {value!r}")
    return [float(factor) for factor in value]


CHECKS = {
    "probability": _probability, "snr": _range, "vocals": _boolean, "as_classes": _boolean,
    "speakers": lambda value, where: _range(value, where, integer=True),
    "rooms": _rooms, "factors": _factors,
    "time_masks": _count, "freq_masks": _count,
    "max_frames": lambda value, where: _count(value, where, 1),
    "max_bins": lambda value, where: _count(value, where, 1),
}


def _check_one(name, given):
    where = f"augment.{name}"
    if not isinstance(given, dict):
        raise InputError(f"config '{where}' must be a mapping of its options, got {given!r}")
    valid = AUGMENTATIONS[name]
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise InputError(f"config '{where}' has no option {', '.join(repr(k) for k in unknown)}; "
                         f"valid options: {', '.join(valid)}")
    options = {**valid, **given}
    as_classes = name == "speed" and options["as_classes"] is True
    if as_classes and options["probability"] is not None:
        raise InputError(f"config '{where}.probability' does not apply with as_classes: true "
                         "(every utterance is seen at its own speed and at each factor)")
    if options["probability"] is None and not as_classes:
        raise InputError(f"config '{where}' needs 'probability' (0 to 1)")
    return {key: value if value is None else CHECKS[key](value, f"{where}.{key}")
            for key, value in options.items()}


def check_augment(section, source, sampler):
    """The validated ``augment`` block (defaults filled in), or None when nothing is on.

    ``source``: input.source; ``sampler``: sampler.name (speed as classes needs labels).
    Keys left out of ``section`` are off."""
    section = {**augment_schema(), **section}
    on = {name: _check_one(name, section[name]) for name in AUGMENTATIONS
          if section[name] is not None}
    if not on:
        return None
    for corpus, users in CORPORA.items():
        path = section[corpus]
        if path is not None and not isinstance(path, str):
            raise InputError(f"config 'augment.{corpus}' must be a directory path, got {path!r}")
        for name in users:
            if name in on and path is None:
                raise InputError(f"config 'augment.{name}' needs 'augment.{corpus}': the "
                                 f"{'MUSAN' if corpus == 'musan' else 'RIRS_NOISES'} directory")
    waveform = [name for name in WAVEFORM if name in on]
    if waveform and source != "wav":
        raise InputError(f"config 'augment.{waveform[0]}' changes the audio, which training on "
                         "precomputed features (input.source: feats) never reads: train from "
                         "wav, or compute features of augmented copies of the audio (only "
                         "specaugment applies to features)")
    if "speed" in on and on["speed"]["as_classes"] and sampler != "pk":
        raise InputError(f"config 'augment.speed.as_classes' makes new classes, which sampler "
                         f"{sampler} has none of: use sampler pk or as_classes: false")
    return {**{corpus: section[corpus] for corpus in CORPORA}, **on}


def describe_augment(section):
    """The augmentations a validated block turns on, in words, for the training log."""
    parts = []
    for name in AUGMENTATIONS:
        options = section.get(name) if section else None
        if options:
            drawn = "as classes" if options.get("as_classes") else f"p {options['probability']:g}"
            parts.append(f"{name} ({drawn})")
    return ", ".join(parts) or "none"
