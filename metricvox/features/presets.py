"""The papers' front ends, shipped as Kaldi conf files in ``metricvox/features/presets/``.

Each conf file says which paper and which sentence it implements; recipes copy
them to their ``conf/`` directory (:func:`preset_path` tells where they are).
"""

from pathlib import Path

from metricvox.errors import InputError

PRESET_DIR = Path(__file__).resolve().parent / "presets"

# Preset name -> the feature type its options belong to.
PRESET_TYPES = {
    "singer-logmel64": "logmel",
    "siamese-logmel80": "logmel",
    "multimetric-spectrogram161": "spectrogram",
    "ivector-mfcc20": "mfcc",
    "urbansound-mfcc-stats": "mfcc-stats",
    "urbansound-logmel": "logmel",
}


def preset_path(name):
    """The conf file of preset ``name``; InputError for an unknown name."""
    if name not in PRESET_TYPES:
        raise InputError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESET_TYPES))}")
    return PRESET_DIR / f"{name}.conf"


def preset_type(name):
    """The feature type preset ``name`` is meant for."""
    preset_path(name)
    return PRESET_TYPES[name]
