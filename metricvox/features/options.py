"""Feature options: one flat dataclass per feature type, with Kaldi's names and defaults.

A field ``num_mel_bins`` is the Kaldi option ``--num-mel-bins``; the defaults are
those of Kaldi's compute-fbank-feats / compute-mfcc-feats (dither 1.0 included).
The option classes are built by inheritance from the shared groups (framing,
mel banks), so every feature type reads ``options.frame_length`` and so on.

:func:`build_options` layers settings, each layer overriding the previous one:
class defaults < the feature type's own defaults < preset < conf file < command line.
"""

import dataclasses
import math
from dataclasses import dataclass, field

from metricvox.errors import InputError

WINDOW_TYPES = ("povey", "hamming", "hanning", "hann", "rectangular", "blackman")


USE_ENERGY_HELP = "The frame's log energy: fbank prepends it as column 0, MFCC puts it in C0."
USE_POWER_HELP = "Power (true) or magnitude (false) spectrum, for mel bins or the spectrogram."


def _option(default, help):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class FrameOptions:
    sample_frequency: float = _option(16000.0, "Waveform sample rate in Hz.")
    frame_length: float = _option(25.0, "Frame length in milliseconds.")
    frame_shift: float = _option(10.0, "Frame shift in milliseconds.")
    dither: float = _option(1.0, "Gaussian dither added to each int16-scaled sample (0 = off).")
    preemphasis_coefficient: float = _option(0.97, "Pre-emphasis coefficient (0 = off).")
    remove_dc_offset: bool = _option(True, "Subtract each frame's mean before processing.")
    window_type: str = _option("povey", "Window: " + ", ".join(WINDOW_TYPES) + ".")
    round_to_power_of_two: bool = _option(True, "Zero-pad each frame to a power-of-two FFT size.")
    blackman_coeff: float = _option(0.42, "Constant of the generalised Blackman window.")
    snip_edges: bool = _option(
        True, "true: only frames that fit in the signal; false: frames centred on "
              "multiples of the shift, edges reflected (Kaldi semantics).")


@dataclass(frozen=True)
class MelOptions:
    num_mel_bins: int = _option(23, "Number of triangular mel bins.")
    low_freq: float = _option(20.0, "Low cut-off of the mel bins in Hz.")
    high_freq: float = _option(
        0.0, "High cut-off of the mel bins in Hz; 0 or negative means Nyquist plus this value.")


@dataclass(frozen=True)
class EnergyOptions:
    energy_floor: float = _option(
        0.0, "Floor on the frame energy; its log floors the energy coefficient (0 = no floor).")
    raw_energy: bool = _option(
        True, "Energy before pre-emphasis and windowing (true) or after them (false).")


@dataclass(frozen=True)
class FbankOptions(FrameOptions, MelOptions, EnergyOptions):
    use_energy: bool = _option(False, USE_ENERGY_HELP)
    use_log_fbank: bool = _option(True, "Take the log of the mel energies.")
    use_power: bool = _option(True, USE_POWER_HELP)


@dataclass(frozen=True)
class MfccOptions(FrameOptions, MelOptions, EnergyOptions):
    num_ceps: int = _option(13, "Number of cepstra kept (including C0).")
    use_energy: bool = _option(True, USE_ENERGY_HELP)
    cepstral_lifter: float = _option(22.0, "Cepstral liftering coefficient (0 = off).")


@dataclass(frozen=True)
class SpectrogramOptions(FrameOptions):
    use_power: bool = _option(False, USE_POWER_HELP)
    use_log_spectrogram: bool = _option(False, "Take the log of the spectrum.")


@dataclass(frozen=True)
class MfccStatsOptions(MfccOptions):
    stats_frames: int = _option(
        5, "Consecutive frames (centred, odd) over which the MFCC statistics are taken.")


def option_name(field_name):
    """``num_mel_bins`` -> ``num-mel-bins`` (the Kaldi option, without dashes)."""
    return field_name.replace("_", "-")


def option_fields(options_class):
    """{kaldi name: dataclass field} for every option of the class."""
    return {option_name(f.name): f for f in dataclasses.fields(options_class)}


def parse_value(field_type, text):
    """Convert the text of one option to the field's type; ValueError if it does not fit."""
    if field_type is bool:
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if field_type is int:
        return int(text)
    if field_type is float:
        return float(text)
    return text


def apply_settings(options, settings, feature_type):
    """Return ``options`` with each setting applied; InputError at the setting's location."""
    known = option_fields(type(options))
    changes = {}
    for setting in settings:
        if setting.name not in known:
            raise InputError(f"unknown option --{setting.name} for feature type {feature_type}",
                             setting.path, setting.line)
        target = known[setting.name]
        value = setting.value
        if isinstance(value, str):
            try:
                value = parse_value(target.type, value)
            except ValueError as error:
                raise InputError(f"--{setting.name}: {error}", setting.path, setting.line)
        changes[target.name] = value
    return dataclasses.replace(options, **changes)


def validate_options(options):
    """Reject option values no feature can be computed with (InputError)."""
    o = options
    for field in dataclasses.fields(o):   # NaN would pass every comparison below
        value = getattr(o, field.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"--{field.name.replace('_', '-')} must be a finite number, got {value}")
    if o.sample_frequency <= 0:
        raise InputError(f"--sample-frequency must be positive, got {o.sample_frequency}")
    if int(o.sample_frequency * 0.001 * o.frame_shift) < 1:
        raise InputError(f"--frame-shift={o.frame_shift} ms is less than one sample")
    if int(o.sample_frequency * 0.001 * o.frame_length) < 2:
        raise InputError(f"--frame-length={o.frame_length} ms is less than two samples")
    if o.window_type not in WINDOW_TYPES:
        raise InputError(f"--window-type={o.window_type}: expected one of "
                         f"{', '.join(WINDOW_TYPES)}")
    if o.dither < 0:
        raise InputError(f"--dither must be >= 0, got {o.dither}")
    if isinstance(o, MelOptions):
        nyquist = 0.5 * o.sample_frequency
        high = o.high_freq if o.high_freq > 0 else nyquist + o.high_freq
        if o.num_mel_bins < 3:
            raise InputError(f"--num-mel-bins must be at least 3, got {o.num_mel_bins}")
        if not (0.0 <= o.low_freq < nyquist and 0.0 < high <= nyquist and o.low_freq < high):
            raise InputError(f"bad mel range --low-freq={o.low_freq} --high-freq={o.high_freq} "
                             f"for Nyquist frequency {nyquist}")
    if isinstance(o, MfccOptions) and not 1 <= o.num_ceps <= o.num_mel_bins:
        raise InputError(f"--num-ceps={o.num_ceps} must be between 1 and "
                         f"--num-mel-bins={o.num_mel_bins}")
    if isinstance(o, MfccStatsOptions) and (o.stats_frames < 3 or o.stats_frames % 2 == 0):
        raise InputError(f"--stats-frames must be odd and at least 3, got {o.stats_frames}")
    return options

