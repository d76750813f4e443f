"""The feature types by name: their options class, defaults and compute function.

``feature_options`` builds the options of a run, each layer overriding the one
before: Kaldi defaults < the type's own defaults (logmel: the singer paper's
front end) < ``--preset`` < ``--config`` file < command-line options.
"""

from dataclasses import dataclass

from metricvox.conf import Setting, read_conf
from metricvox.errors import InputError
from metricvox.features.fbank import compute_fbank
from metricvox.features.mfcc import compute_mfcc
from metricvox.features.mfcc_stats import compute_mfcc_stats
from metricvox.features.options import (FbankOptions, FrameOptions, MfccOptions,
                                        MfccStatsOptions, SpectrogramOptions,
                                        apply_settings, option_fields, validate_options)
from metricvox.features.presets import preset_path, preset_type
from metricvox.features.spectrogram import compute_spectrogram


@dataclass(frozen=True)
class FeatureType:
    options_class: type
    compute: object  # compute(waveform, options, rng) -> (frames, dim) float32
    default_preset: str = None


FEATURE_TYPES = {
    "fbank": FeatureType(FbankOptions, compute_fbank),
    # A named alias of fbank whose defaults are the singer paper's log-mel front end.
    "logmel": FeatureType(FbankOptions, compute_fbank, default_preset="singer-logmel64"),
    "mfcc": FeatureType(MfccOptions, compute_mfcc),
    "spectrogram": FeatureType(SpectrogramOptions, compute_spectrogram),
    "mfcc-stats": FeatureType(MfccStatsOptions, compute_mfcc_stats),
}


def feature_type(name):
    if name not in FEATURE_TYPES:
        raise InputError(f"unknown feature type {name!r}; known: {', '.join(FEATURE_TYPES)}")
    return FEATURE_TYPES[name]


def resolve_type_name(type_name=None, preset=None):
    """The feature type asked for: ``type_name``, or else the preset's own type."""
    if type_name is None:
        if preset is None:
            raise InputError("give a feature type (--type) or a preset (--preset)")
        return preset_type(preset)
    feature_type(type_name)
    return type_name


def feature_options(type_name, preset=None, config=None, overrides=None):
    """Validated options for ``type_name`` from preset, conf file and {kaldi-name: value}."""
    kind = feature_type(type_name)
    if preset is not None and preset_type(preset) != type_name and not (
            {preset_type(preset), type_name} <= {"fbank", "logmel"}):
        raise InputError(f"preset {preset} is for --type {preset_type(preset)}, not {type_name}")
    options = kind.options_class()
    for conf in (kind.default_preset and preset_path(kind.default_preset),
                 preset and preset_path(preset), config):
        if conf:
            options = apply_settings(options, read_conf(conf), type_name)
    command_line = [Setting(name, value) for name, value in (overrides or {}).items()]
    options = apply_settings(options, command_line, type_name)
    return validate_options(options)


@dataclass(frozen=True)
class OptionDescription:
    """A command-line option of some feature types: its value type and help with defaults."""
    type: type
    help: str


def all_option_fields():
    """{kaldi name: OptionDescription} over every feature type, framing options first."""
    described = {name: (f, {}) for name, f in option_fields(FrameOptions).items()}
    for type_name, kind in FEATURE_TYPES.items():
        defaults = feature_options(type_name) if kind.default_preset else kind.options_class()
        for name, f in option_fields(kind.options_class).items():
            by_value = described.setdefault(name, (f, {}))[1]
            by_value.setdefault(getattr(defaults, f.name), []).append(type_name)
    result = {}
    for name, (f, by_value) in described.items():
        if len(by_value) == 1:
            default = f"default {next(iter(by_value))}"
        else:
            default = "; ".join(f"{', '.join(types)}: {value}" for value, types in by_value.items())
        result[name] = OptionDescription(f.type, f"{f.metadata['help']} [{default}]")
    return result
