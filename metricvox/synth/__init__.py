"""Synthetic stand-in corpora in the real corpora's own layouts.

``make_corpus(kind, size, seed, out, nj)`` writes one of :data:`KINDS` ("voxceleb",
"singer", "urbansound") at size "mini" (seconds, for tests) or "small" (minutes,
for demos and recipes). The layouts are documented in
:mod:`metricvox.synth.voxceleb`, :mod:`metricvox.synth.singer` and
:mod:`metricvox.synth.urbansound`.
"""
from metricvox.errors import InputError
from metricvox.synth import corpus_dir, singer, urbansound, voxceleb

KINDS = {"voxceleb": voxceleb, "singer": singer, "urbansound": urbansound}


def make_corpus(kind, size, seed, out, nj=1):
    """Generate the corpus at ``out`` unless it is already there; True if written."""
    if kind not in KINDS:
        raise InputError(f"unknown corpus kind {kind!r}; expected one of {', '.join(KINDS)}")
    module = KINDS[kind]
    if size not in module.SIZES:
        raise InputError(f"unknown size {size!r}; expected one of {', '.join(module.SIZES)}")
    # nj changes only the time taken, not one byte, so it is not part of the stamp.
    parameters = {"kind": kind, "size": size, "seed": int(seed), "generation": module.GENERATION}
    return corpus_dir.build(out, parameters, lambda tmp: module.write_corpus(tmp, size, seed, nj))
