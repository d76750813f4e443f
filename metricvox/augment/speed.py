"""Speed perturbation as Kaldi's and WeSpeaker's (sox ``speed``): the audio played ``factor``
times faster, so it lasts 1/factor as long and every frequency is multiplied by ``factor``.

Done by resampling: the samples are taken as if recorded at ``factor`` times the rate and
resampled to the rate (:func:`metricvox.data.audio.resample`, anti-aliased), with the
factor as a fraction of denominator at most 1000 (0.9 = 9/10 exactly).
"""

import math
from fractions import Fraction

from metricvox.data.audio import resample


def speed_fraction(factor):
    return Fraction(factor).limit_denominator(1000)


def change_speed(samples, factor):
    """``samples`` played ``factor`` times faster."""
    ratio = speed_fraction(factor)
    if ratio == 1:
        return samples
    return resample(samples, ratio.numerator, ratio.denominator)


def samples_before_speed(length, factor):
    """How many samples ``change_speed(..., factor)`` turns into at least ``length``."""
    return math.ceil(length * speed_fraction(factor))
