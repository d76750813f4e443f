"""Reverberation: a crop convolved with a room impulse response.

The response is scaled to unit energy and aligned on its direct path, taken to be its
largest absolute sample: the output sample n is the response's peak applied to input
sample n, so the reverberated crop is not delayed and stays as long as the crop (what
labels or frame positions say of the crop still holds). The response may be longer than
the crop: the tail past the crop's end is cut.
"""

import numpy as np
import scipy.signal


def reverberate(samples, response):
    """``samples`` convolved with ``response`` (unit energy, aligned on its peak)."""
    response = np.asarray(response, dtype=np.float64)
    response = response / np.sqrt(np.sum(np.square(response)))
    peak = int(np.argmax(np.abs(response)))
    full = scipy.signal.fftconvolve(np.asarray(samples, dtype=np.float64), response)
    return full[peak:peak + len(samples)].astype(np.float32)


class Reverberation:
    """Reverberation with responses drawn from a :class:`metricvox.augment.rirs.RoomResponses`."""

    def __init__(self, responses):
        self.responses = responses

    def __call__(self, samples, rng):
        return reverberate(samples, self.responses.draw(rng))
