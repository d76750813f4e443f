"""One whole recording augmented offline, as one of the four copies Kaldi's voxceleb v2
recipe makes of its training set: ``reverb`` (a simulated small or medium room), ``noise``,
``music`` (without vocals) or ``babble`` (3 to 7 MUSAN speakers summed), each at Kaldi v2's
SNR ranges (:mod:`.config`'s defaults).

The transform is the one on-the-fly training uses (:func:`.augmenter.build_transform`),
applied with probability 1 to the whole recording, its draws (room response, noise files,
stretches, SNRs) from a generator seeded with ``seed`` only: the output depends on the
seed and the input alone. Reverberation keeps the length and the time alignment.
"""

import numpy as np

from metricvox.augment.augmenter import build_transform
from metricvox.augment.config import check_augment
from metricvox.errors import InputError

KINDS = ("reverb", "noise", "music", "babble")
CORPUS_OF = {"reverb": "rirs", "noise": "musan", "music": "musan", "babble": "musan"}


def recording_transform(kind, rate, *, musan=None, rirs=None, **options):
    """The transform of ``kind`` reading its corpus at ``rate`` Hz; ``options`` are the
    kind's options of the ``augment`` block (snr, speakers, rooms, vocals), checked as there."""
    if kind not in KINDS:
        raise InputError(f"unknown augmentation kind {kind!r}; expected one of {', '.join(KINDS)}")
    corpus = CORPUS_OF[kind]
    if {"musan": musan, "rirs": rirs}[corpus] is None:
        name = "MUSAN" if corpus == "musan" else "RIRS_NOISES"
        raise InputError(f"augmentation kind {kind} needs the {name} directory (--{corpus})")
    given = {key: value for key, value in options.items() if value is not None}
    section = check_augment({"musan": musan, "rirs": rirs, kind: {"probability": 1.0, **given}},
                            "wav", None)
    return build_transform(kind, section[kind], section, rate)


def augment_recording(samples, transform, seed):
    """``samples`` through ``transform`` with draws from a generator seeded by ``seed``."""
    rng = np.random.default_rng(int(seed))
    return np.asarray(transform(np.asarray(samples, dtype=np.float32), rng), dtype=np.float32)
