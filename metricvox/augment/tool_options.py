"""The command-line options metricvox-augment-wav and metricvox-augment-data-dir share:
which augmentation, its corpora, and its ranges (Kaldi v2's by default), turned into the
keyword options of :func:`metricvox.augment.recording.recording_transform`."""

import click

from metricvox.augment.recording import KINDS
from metricvox.errors import InputError

OPTIONS = [
    click.option("--kind", type=click.Choice(KINDS), required=True, help="Which augmentation."),
    click.option("--musan", type=click.Path(), help="MUSAN directory (noise, music, babble)."),
    click.option("--rirs", type=click.Path(), help="RIRS_NOISES directory (reverb)."),
    click.option("--snr", help="SNR range MIN:MAX in dB (default: the kind's Kaldi v2 range: "
                               "noise 0:15, music 5:15, babble 13:20)."),
    click.option("--speakers", help="Babble: MUSAN speech files summed, MIN:MAX (default 3:7)."),
    click.option("--rooms", help="Reverb: comma-separated room sets among smallroom, mediumroom, "
                                 "largeroom, real (default smallroom,mediumroom)."),
    click.option("--vocals/--no-vocals", default=None,
                 help="Music: also use music with vocals (default: not, as Kaldi v2)."),
]


def augment_options(command):
    """Decorator adding the shared options to a click command."""
    for option in reversed(OPTIONS):
        command = option(command)
    return command


def _range(text, option, convert):
    if text is None:
        return None
    try:
        low, high = (convert(part) for part in text.split(":"))
    except ValueError:
        raise InputError(f"{option} must be MIN:MAX, got {text!r}") from None
    return [low, high]


def transform_options(musan, rirs, snr, speakers, rooms, vocals):
    """The shared options' values as recording_transform's keyword options."""
    return {"musan": musan, "rirs": rirs, "snr": _range(snr, "--snr", float),
            "speakers": _range(speakers, "--speakers", int),
            "rooms": rooms.split(",") if rooms else None, "vocals": vocals}
