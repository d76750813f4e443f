"""Speech-like test audio for the feature tests: voiced segments separated by near-silence."""

import numpy as np
import scipy.signal


def speech_like(seconds=3.0, rate=16000, seed=0):
    """A float32 waveform in [-1, 1]: glottal pulses through formant resonators, plus noise.

    Alternates voiced stretches (f0 gliding 100-220 Hz, formants changing per
    stretch) and silences holding only a faint noise floor, so features see
    both high-energy and low-energy frames.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = 160 + 60 * np.sin(2 * np.pi * 0.7 * t)
    phase = np.cumsum(f0 / rate)
    pulses = np.diff(np.floor(phase), prepend=0.0)  # one impulse per glottal period
    # A decaying glottal pulse shape, then formant resonators (two-pole filters).
    source = scipy.signal.lfilter([1.0], [1.0, -0.95], pulses)
    voiced = np.zeros(n)
    segment = int(0.4 * rate)
    formant_sets = [(700, 1200, 2600), (300, 2200, 3000), (500, 900, 2400)]
    for k, start in enumerate(range(0, n, 2 * segment)):
        piece = source[start:start + segment]
        for formant in formant_sets[k % len(formant_sets)]:
            if formant >= rate / 2:
                continue
            radius = np.exp(-np.pi * 80 / rate)
            a = [1.0, -2 * radius * np.cos(2 * np.pi * formant / rate), radius ** 2]
            piece = scipy.signal.lfilter([1.0 - radius], a, piece)
        voiced[start:start + len(piece)] = piece
    voiced *= 0.3 / np.max(np.abs(voiced))
    noise = 1e-3 * rng.standard_normal(n)
    return (voiced + noise).astype(np.float32)
