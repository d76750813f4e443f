"""Recording conditions: microphone/channel colouring, room and background noise.

:func:`random_channel` draws one recording set-up (one per video in VoxCeleb:
a camera or phone microphone, a room, a background); :func:`apply_channel`
puts a clean signal through it.
"""
from dataclasses import dataclass

import numpy as np
from scipy.signal import sosfilt, butter

from metricvox.synth import noise, room


@dataclass(frozen=True)
class Channel:
    highpass_hz: float        # microphone / handling low cut
    lowpass_hz: float         # band limit of the device or codec
    eq: tuple                 # ((centre Hz, gain dB, Q), ...) peaking filters
    rt60: float               # s, 0 = no room
    direct_to_reverberant_db: float
    snr_db: float
    noise_slope: float        # dB/octave
    noise_peaks: tuple        # ((centre, width, gain dB), ...)


def random_channel(rng, sample_rate, severity=1.0):
    """A recording set-up; ``severity`` scales how far it strays from clean studio sound."""
    nyquist = sample_rate / 2
    n_eq = rng.integers(2, 5)
    eq = tuple((float(np.exp(rng.uniform(np.log(150), np.log(0.8 * nyquist)))),
                float(rng.normal(0.0, 5.0 * severity)), float(rng.uniform(0.7, 3.0)))
               for _ in range(n_eq))
    peaks = tuple((float(rng.uniform(50, 3000)), float(rng.uniform(20, 400)), float(rng.uniform(0, 15)))
                  for _ in range(rng.integers(0, 3)))
    return Channel(
        highpass_hz=float(rng.uniform(40, 60 + 200 * severity)),
        lowpass_hz=float(min(rng.uniform(3400, 9000 + 20000 * (1 - severity)), 0.95 * nyquist)),
        eq=eq,
        rt60=float(rng.uniform(0.0, 0.7 * severity)) if rng.random() < 0.8 else 0.0,
        direct_to_reverberant_db=float(rng.uniform(0.0, 12.0)),
        snr_db=float(rng.uniform(30.0 - 25.0 * severity, 35.0)),
        noise_slope=float(rng.uniform(-6.0, 0.0)), noise_peaks=peaks)


def _peaking_sos(centre, gain_db, q, sample_rate):
    """Second-order peaking EQ section (the audio-EQ-cookbook biquad)."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2 * np.pi * centre / sample_rate
    alpha = np.sin(w0) / (2 * q)
    b = [1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a]
    return np.array(b + den) / den[0]


def apply_channel(clean, sample_rate, channel, rng):
    """``clean`` as recorded through ``channel`` (same length)."""
    x = clean
    if channel.rt60 > 0.05:
        x = room.reverberate(x, sample_rate, channel.rt60, channel.direct_to_reverberant_db, rng)
    sections = [butter(2, channel.highpass_hz, "highpass", fs=sample_rate, output="sos"),
                butter(4, channel.lowpass_hz, "lowpass", fs=sample_rate, output="sos")]
    sections += [_peaking_sos(c, g, q, sample_rate)[None, :] for c, g, q in channel.eq]
    x = sosfilt(np.concatenate(sections), x)
    active = np.abs(x) > 0.05 * np.abs(x).max()  # speech power, not the pauses'
    power = np.mean(x[active] ** 2) if active.any() else np.mean(x ** 2)
    background = noise.coloured_noise(len(x), sample_rate, rng, channel.noise_slope, channel.noise_peaks)
    return x + background * np.sqrt(power / 10.0 ** (channel.snr_db / 10.0))
