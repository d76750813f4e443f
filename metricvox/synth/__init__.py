"""Synthetic stand-in corpora in the real corpora's own layouts.

``make_corpus(kind, size, seed, out, nj, overrides)`` writes one of :data:`KINDS`
("voxceleb", "singer", "urbansound", and the augmentation material "musan" and "rirs")
at size "mini" (seconds, for tests) or "small" (minutes, for demos and recipes), with
``overrides`` changing fields of that size (e.g. ``{"files_per_folder": 20}`` for musan).
The layouts are documented in :mod:`metricvox.synth.voxceleb`,
:mod:`metricvox.synth.singer`, :mod:`metricvox.synth.urbansound`,
:mod:`metricvox.synth.musan` and :mod:`metricvox.synth.rirs_noises`; noises and rooms for a
degraded test condition that those never hold come from :mod:`metricvox.synth.test_condition`.
"""
import dataclasses

from metricvox.errors import InputError
from metricvox.synth import corpus_dir, musan, rirs_noises, singer, urbansound, voxceleb

KINDS = {"voxceleb": voxceleb, "singer": singer, "urbansound": urbansound, "musan": musan,
         "rirs": rirs_noises}


def sized(kind, size, overrides=None):
    """The Size of ``kind`` called ``size``, with ``overrides`` ({count field: positive int}) applied."""
    module = KINDS[kind]
    if size not in module.SIZES:
        raise InputError(f"unknown size {size!r}; expected one of {', '.join(module.SIZES)}")
    overrides = dict(overrides or {})
    base = module.SIZES[size]
    counts = [f.name for f in dataclasses.fields(base) if type(getattr(base, f.name)) is int]
    for name, value in overrides.items():
        if name not in counts:
            raise InputError(f"corpus kind {kind!r} has no count setting {name!r}; its settings: "
                             f"{', '.join(counts)}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    return dataclasses.replace(base, **overrides)


def make_corpus(kind, size, seed, out, nj=1, overrides=None, test_condition=None):
    """Generate the corpus at ``out`` unless it is already there; True if written.
    ``test_condition`` (voxceleb only: "noisy") adds a degraded copy of the test set."""
    if kind not in KINDS:
        raise InputError(f"unknown corpus kind {kind!r}; expected one of {', '.join(KINDS)}")
    module = KINDS[kind]
    resolved = sized(kind, size, overrides)
    extra = {}
    if test_condition is not None:
        conditions = getattr(module, "TEST_CONDITIONS", ())
        if test_condition not in conditions:
            raise InputError(f"corpus kind {kind!r} has no test condition {test_condition!r}"
                             + (f"; expected one of {', '.join(conditions)}" if conditions else ""))
        extra = {"test_condition": test_condition}
    # nj changes only the time taken, not one byte, so it is not part of the stamp.
    parameters = {"kind": kind, "size": size, "seed": int(seed), "generation": module.GENERATION}
    if overrides:
        parameters["overrides"] = dict(sorted(overrides.items()))
    parameters.update(extra)  # absent without one: the clean corpora keep their stamps
    return corpus_dir.build(out, parameters, lambda tmp: module.write_corpus(tmp, resolved, seed, nj, **extra))
