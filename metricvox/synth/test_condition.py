"""Noises and rooms for degrading test data, unseen by the training augmentation.

A noisy, reverberant test condition must not be made of the material the networks were
augmented with. The MUSAN and RIRS_NOISES stand-ins draw every file from streams under
their namespaces (:data:`metricvox.synth.musan.NAMESPACE`,
:data:`metricvox.synth.rirs_noises.NAMESPACE`); :func:`noise` and :func:`room_response`
use the same noise and room models but draw from :data:`NAMESPACE`, a seed namespace of
their own (the first key of :func:`metricvox.synth.seeding.stream`), so that no noise or
room of the test condition is one the training stand-ins hold, whatever the seeds.
"""
import numpy as np

from metricvox.augment.reverberation import reverberate
from metricvox.augment.snr import noise_at_snr
from metricvox.synth import audio_files, musan, room_acoustics, seeding

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


# The noisy condition's SNR, uniform in this range (dB) against the reverberated recording:
# Kaldi v2's range for MUSAN noise, so the condition is as hard as the hardest augmentation.
NOISY_SNR = (0.0, 15.0)


def degrade(recording, seed, key, sample_rate=musan.SAMPLE_RATE):
    """``recording`` in the noisy condition: reverberated in the test-condition room ``key``
    (aligned on its direct path, so as long as the recording), plus the test-condition noise
    ``key`` at an SNR uniform in :data:`NOISY_SNR` against the reverberated recording, the
    mix scaled to the recording's peak (its level kept, nothing clipped). ``key`` (an int or
    a string such as the file's relative path) names the recording's room, noise and SNR."""
    recording = np.asarray(recording, dtype=np.float64)
    reverberated = reverberate(recording, room_response(seed, key, sample_rate)[3]).astype(np.float64)
    _, clip = noise(seed, key, len(recording) / sample_rate, sample_rate)
    snr = seeding.stream(seed, NAMESPACE, "snr", key).uniform(*NOISY_SNR)
    mix = reverberated + noise_at_snr(reverberated, clip.astype(np.float64), snr)
    return audio_files.scaled_to_peak(mix, np.max(np.abs(recording)))
