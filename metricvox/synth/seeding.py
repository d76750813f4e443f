"""Independent random streams derived from one corpus seed.

Every generated item (a speaker, a video, an utterance, a track) draws from its own
stream keyed by the corpus seed and the item's identity, so an item does not change
when the number or order of other items changes, and the same seed always gives
the same corpus. The first key names the stream's namespace: each corpus has its own
("voxceleb", "musan", "rirs", ...), and so have the test-condition degradations
(:mod:`metricvox.synth.test_condition`), whose noises and rooms are thereby never those
of the augmentation stand-ins.
"""
import zlib

import numpy as np


def _as_int(key):
    if isinstance(key, (int, np.integer)):
        return int(key)
    return zlib.crc32(str(key).encode("utf-8"))


def stream(seed, *keys):
    """A numpy Generator for the item named by ``keys`` (ints or strings) under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([_as_int(seed), *map(_as_int, keys)]))


def weighted_choice(rng, table):
    """One value of ``table``, a sequence of (value, weight), drawn with ``rng``."""
    values, weights = zip(*table)
    return values[rng.choice(len(values), p=np.array(weights) / sum(weights))]
