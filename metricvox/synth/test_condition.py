"""Noises and rooms for degrading test data, unseen by the training augmentation.

A noisy, reverberant test condition must not be made of the material the networks were
augmented with. The MUSAN and RIRS_NOISES stand-ins draw every file from streams under
their namespaces (:data:`metricvox.synth.musan.NAMESPACE`,
:data:`metricvox.synth.rirs_noises.NAMESPACE`); :func:`noise` and :func:`room_response`
use the same noise and room models but draw from :data:`NAMESPACE`, a seed namespace of
their own (the first key of :func:`metricvox.synth.seeding.stream`), so that no noise or
room of the test condition is one the training stand-ins hold, whatever the seeds.
"""
from metricvox.synth import musan, room_acoustics, seeding

NAMESPACE = "test-condition"
NOISE_KINDS = tuple(kind for kinds in musan.NOISE_KINDS.values() for kind in kinds)


def noise(seed, index, seconds, sample_rate=musan.SAMPLE_RATE):
    """The ``index``-th test-condition noise: (kind, ``seconds`` of it at unit RMS)."""
    rng = seeding.stream(seed, NAMESPACE, "noise", index)
    kind = str(rng.choice(NOISE_KINDS))
    return kind, musan.noise_clip(kind, seconds, sample_rate, rng)


def room_response(seed, index, sample_rate=musan.SAMPLE_RATE):
    """The ``index``-th test-condition room: (category, Room, distance m, impulse response
    with its direct path as the peak, unit energy)."""
    rng = seeding.stream(seed, NAMESPACE, "room", index)
    category = str(rng.choice(list(room_acoustics.CATEGORIES)))
    shoebox, distance, response = room_acoustics.random_impulse_response(rng, category, sample_rate)
    return category, shoebox, distance, response
