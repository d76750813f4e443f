"""Phoneme-like units and their articulation tracks.

A phone is a symbol with a duration. Vowels, nasals and approximants are formant
targets (an adult-male reference scaled by the speaker's vocal-tract length, plus
the speaker's own per-vowel offsets); formants move linearly between targets, so
every transition is audible as in real speech. Fricatives and plosive bursts are
shaped noise bands; plosives have a closure (silent, or a voice bar when voiced)
before the burst. :func:`articulate` turns timed phones into frame-wise tracks
(one row per 5 ms frame) for :func:`metricvox.synth.voice.render`.
"""
from dataclasses import dataclass

import numpy as np

# Reference formants F1..F3 (Hz) of an adult male, after Peterson & Barney's averages.
VOWELS = {
    "i": (270, 2290, 3010), "I": (390, 1990, 2550), "E": (530, 1840, 2480),
    "ae": (660, 1720, 2410), "a": (730, 1090, 2440), "o": (570, 840, 2410),
    "U": (440, 1020, 2240), "u": (300, 870, 2240), "V": (640, 1190, 2390),
    "R": (490, 1350, 1690),
}
VOWEL_NAMES = tuple(VOWELS)
# Sonorant consonants: formant targets and voicing amplitude relative to a vowel.
SONORANTS = {
    "m": ((250, 1100, 2300), 0.35), "n": ((250, 1700, 2500), 0.35),
    "l": ((360, 1300, 2900), 0.6), "r": ((420, 1300, 1600), 0.6),
    "w": ((300, 700, 2200), 0.6), "j": ((280, 2200, 3000), 0.6),
}
# Noise bands (centre Hz, width Hz, gain) of fricatives and plosive bursts.
FRICATIVES = {"s": (6500, 1200, 0.5), "S": (3200, 900, 0.5), "f": (5000, 3000, 0.12),
              "h": (1500, 1500, 0.0), "z": (6500, 1200, 0.3), "v": (5000, 3000, 0.08)}
VOICED_FRICATIVES = {"z", "v"}
PLOSIVES = {"p": (1000, 800, 0.6), "t": (4500, 1500, 0.6), "k": (2200, 700, 0.7),
            "b": (1000, 800, 0.4), "d": (4500, 1500, 0.4), "g": (2200, 700, 0.5)}
VOICED_PLOSIVES = {"b", "d", "g"}
CONSONANTS = tuple(SONORANTS) + tuple(FRICATIVES) + tuple(PLOSIVES)
PAUSE = "_"
BREATH = "breath"

HIGHER_FORMANTS = (3500.0, 4500.0)  # F4, F5 of the reference male
BANDWIDTHS = np.array([60.0, 90.0, 120.0, 180.0, 250.0])
_BURST_FRACTION = 0.3  # the last 30% of a plosive is its burst, the rest the closure


@dataclass
class Tracks:
    """Frame-wise articulation: row i describes the 5 ms frame centred at i * hop."""
    voicing: np.ndarray       # (n,) amplitude of the glottal source
    aspiration: np.ndarray    # (n,) unvoiced glottal noise through the formants (h, breath)
    formants: np.ndarray      # (n, 5) Hz
    bandwidths: np.ndarray    # (n, 5) Hz
    noise_centre: np.ndarray  # (n, 1) Hz, frication / burst band
    noise_width: np.ndarray   # (n, 1) Hz
    noise_gain: np.ndarray    # (n, 1)


def _segment(symbol):
    """(voicing, aspiration, noise band or None, is_formant_target, bandwidth factor)."""
    if symbol in VOWELS:
        return 1.0, 0.0, None, True, 1.0
    if symbol in SONORANTS:
        return SONORANTS[symbol][1], 0.0, None, True, 2.0 if symbol in "mn" else 1.3
    if symbol in FRICATIVES:
        voicing = 0.3 if symbol in VOICED_FRICATIVES else 0.0
        aspiration = 0.5 if symbol == "h" else 0.0
        return voicing, aspiration, FRICATIVES[symbol], False, 1.0
    if symbol == BREATH:
        return 0.0, 0.25, None, True, 1.5
    if symbol == PAUSE:
        return 0.0, 0.0, None, False, 1.0
    raise ValueError(f"unknown phone {symbol!r}")


def _expand(phones):
    """Split each plosive into closure + burst; return (symbol, start, end, attrs) rows."""
    rows, t = [], 0.0
    for symbol, seconds in phones:
        if symbol in PLOSIVES:
            closure = seconds * (1.0 - _BURST_FRACTION)
            voice_bar = 0.15 if symbol in VOICED_PLOSIVES else 0.0
            rows.append((symbol, t, t + closure, (voice_bar, 0.0, None, False, 1.0)))
            rows.append((symbol, t + closure, t + seconds, (0.0, 0.0, PLOSIVES[symbol], False, 1.0)))
        else:
            rows.append((symbol, t, t + seconds, _segment(symbol)))
        t += seconds
    return rows


def _smooth(values, frames):
    kernel = np.hanning(2 * frames + 1)
    kernel /= kernel.sum()
    padded = np.pad(values, [(frames, frames)] + [(0, 0)] * (values.ndim - 1), mode="edge")
    if values.ndim == 1:
        return np.convolve(padded, kernel, mode="valid")
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(values.shape[1])], 1)


def articulate(phones, n_frames, frame_seconds, formant_targets, formant_scale, bandwidth_scale):
    """Frame tracks for timed ``phones`` [(symbol, seconds), ...].

    ``formant_targets(symbol)`` gives a speaker's F1..F3 for a vowel or sonorant;
    ``formant_scale`` scales F4/F5 and noise bands (vocal-tract length).
    """
    rows = _expand(phones)
    times = np.arange(n_frames) * frame_seconds
    starts = np.array([r[1] for r in rows])
    seg = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(rows) - 1)
    voicing = np.array([r[3][0] for r in rows])[seg]
    aspiration = np.array([r[3][1] for r in rows])[seg]
    band = np.array([r[3][2] or (1000.0, 1000.0, 0.0) for r in rows])
    bw_factor = np.array([r[3][4] for r in rows])[seg]

    knot_t, knot_f = [], []
    for symbol, start, end, attrs in rows:
        if attrs[3]:
            target = formant_targets("a" if symbol == BREATH else symbol)
            edge = 0.3 * (end - start)
            knot_t += [start + edge, end - edge]
            knot_f += [target, target]
    if not knot_t:  # no sonorant at all: a neutral tract
        knot_t, knot_f = [0.0], [formant_targets("V")]
    knot_f = np.array(knot_f)
    low = np.stack([np.interp(times, knot_t, knot_f[:, k]) for k in range(3)], 1)
    high = np.broadcast_to(np.array(HIGHER_FORMANTS) * formant_scale, (n_frames, 2))
    formants = np.concatenate([low, high], 1)
    bandwidths = BANDWIDTHS[None, :] * bandwidth_scale * _smooth(bw_factor, 2)[:, None]
    noise_scale = np.sqrt(formant_scale)
    return Tracks(
        voicing=_smooth(voicing, 3), aspiration=_smooth(aspiration, 3),
        formants=formants, bandwidths=bandwidths,
        noise_centre=(band[seg, 0] * noise_scale)[:, None],
        noise_width=(band[seg, 1] * noise_scale)[:, None],
        noise_gain=_smooth(band[seg, 2], 1)[:, None])
