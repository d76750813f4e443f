"""Ten procedurally generated urban sound sources, the UrbanSound8K classes.

Each generator draws its own variety (pitch, rhythm, duration of events, timbre)
from ``rng`` and is non-stationary the way the real source is: sirens sweep,
dogs bark in bursts, drills and jackhammers start and stop, engines waver, shots
ring out and decay. :func:`ambience` is the street behind them.
"""
from dataclasses import replace

import numpy as np
from scipy.signal import butter, resample_poly, sosfilt

from metricvox.synth import accompaniment, music, noise, room, speech, voice

CLASSES = ("air_conditioner", "car_horn", "children_playing", "dog_bark", "drilling",
           "engine_idling", "gun_shot", "jackhammer", "siren", "street_music")


def _harmonic(f0_track, sample_rate, weights):
    """A harmonic tone following a per-sample f0 track; harmonics above Nyquist are left out."""
    phase = 2 * np.pi * np.cumsum(f0_track) / sample_rate
    out = np.zeros(len(f0_track))
    for k, weight in enumerate(weights, start=1):
        audible = k * f0_track < 0.45 * sample_rate
        out += weight * np.sin(k * phase) * audible
    return out


def _bandpass(x, low, high, sample_rate, order=2):
    """Band-pass; a band edge past what the sample rate can hold is pulled below Nyquist."""
    high = min(high, 0.45 * sample_rate)
    return sosfilt(butter(order, [low, high], "bandpass", fs=sample_rate, output="sos"), x)


def _lowpass(x, cutoff, sample_rate, order=2):
    cutoff = min(cutoff, 0.45 * sample_rate)
    return sosfilt(butter(order, cutoff, "lowpass", fs=sample_rate, output="sos"), x)


def _on_off(n, sample_rate, rng, on_seconds, off_seconds, ramp=0.02):
    """A 0/1 gate of alternating on and off stretches with soft edges."""
    gate = np.zeros(n)
    starts_on = rng.random() < 0.5
    t = 0 if starts_on else int(rng.uniform(*off_seconds) * sample_rate)
    while t < n:
        length = int(rng.uniform(*on_seconds) * sample_rate)
        gate[t:t + length] = 1.0
        t += length + int(rng.uniform(*off_seconds) * sample_rate)
    width = max(int(ramp * sample_rate), 1)
    return np.convolve(gate, np.hanning(2 * width + 1) / (width + 1), mode="same")


def air_conditioner(n, sr, rng):
    hum = rng.uniform(45, 120) * (1 + 0.003 * noise.smooth_random(n, rng, sr))
    motor = _harmonic(hum, sr, rng.uniform(0.1, 1.0, 6) / np.arange(1, 7))
    fan = noise.coloured_noise(n, sr, rng, rng.uniform(-6, -2),
                               [(rng.uniform(200, 2000), rng.uniform(50, 400), rng.uniform(5, 15))])
    swell = 1 + 0.15 * noise.smooth_random(n, rng, sr)
    return (rng.uniform(0.2, 1.0) * motor + fan) * swell


def car_horn(n, sr, rng):
    base = rng.uniform(330, 520)
    pitch = np.full(n, base)
    tone = _harmonic(pitch, sr, [1, 0.8, 0.6, 0.5, 0.35, 0.25, 0.15]) + \
        _harmonic(pitch * rng.choice([1.19, 1.26, 1.33]), sr, [1, 0.7, 0.5, 0.3])
    return tone * _on_off(n, sr, rng, (0.15, 1.5), (0.1, 1.0), ramp=0.01)


def children_playing(n, sr, rng):
    synthesis_rate = 16000
    out = np.zeros(n)
    for _ in range(rng.integers(2, 5)):
        child = replace(voice.random_voice(rng), f0_median=float(rng.uniform(260, 400)),
                        formant_scale=float(rng.uniform(1.3, 1.5)), f0_range=float(rng.uniform(5, 10)),
                        tilt=float(rng.uniform(0.0, 0.3)))
        talk = speech.speak(child, n / sr, synthesis_rate, rng)
        talk = resample_poly(talk, sr, synthesis_rate)[:n]
        start = int(rng.uniform(0, 0.3) * n)
        out[start:start + len(talk)] += (talk * rng.uniform(0.3, 1.0) / (np.std(talk) + 1e-9))[:n - start]
    return out + 0.1 * noise.coloured_noise(n, sr, rng, -3.0)


def dog_bark(n, sr, rng):
    out = np.zeros(n)
    t = int(rng.uniform(0, 0.5) * sr)
    base = rng.uniform(350, 900)
    while t < n:
        length = int(rng.uniform(0.08, 0.3) * sr)
        tt = np.arange(length) / sr
        pitch = base * rng.uniform(0.85, 1.15) * (1.2 - 0.5 * tt / tt[-1])
        bark = _harmonic(pitch, sr, rng.uniform(0.2, 1.0, 8)) + 0.5 * rng.standard_normal(length)
        bark = _bandpass(bark, 300, rng.uniform(2500, 5000), sr)
        bark *= np.sin(np.pi * tt / tt[-1]).clip(0, None) ** 0.5 * np.exp(-tt / 0.15)
        out[t:t + length] += bark[:n - t]
        t += length + int(rng.exponential(0.4) * sr + 0.05 * sr)
    return out


def drilling(n, sr, rng):
    speed = rng.uniform(80, 300) * (1 + 0.08 * noise.smooth_random(n, rng, 0.3 * sr))
    whine = _harmonic(speed, sr, rng.uniform(0.2, 1.0, 12))
    grind = _bandpass(rng.standard_normal(n), 1000, rng.uniform(4000, 10000), sr)
    return (whine + rng.uniform(0.5, 2.0) * grind) * _on_off(n, sr, rng, (0.5, 3.0), (0.1, 0.8))


def engine_idling(n, sr, rng):
    firing = rng.uniform(18, 50) * (1 + 0.02 * noise.smooth_random(n, rng, 0.2 * sr))
    engine = _harmonic(firing, sr, rng.uniform(0.2, 1.0, 16) / np.sqrt(np.arange(1, 17)))
    rumble = _lowpass(rng.standard_normal(n), 300, sr)
    return engine + rng.uniform(0.5, 3.0) * rumble


def gun_shot(n, sr, rng):
    out = np.zeros(n)
    for _ in range(rng.integers(1, 4)):
        start = int(rng.uniform(0, 0.7) * n)
        length = min(int(0.5 * sr), n - start)
        tt = np.arange(length) / sr
        blast = rng.standard_normal(length) * np.exp(-tt / rng.uniform(0.01, 0.06))
        out[start:start + length] += _lowpass(blast, rng.uniform(2000, 8000), sr)
    return room.reverberate(out, sr, rng.uniform(0.4, 1.5), rng.uniform(-3, 6), rng)


def jackhammer(n, sr, rng):
    rate = rng.uniform(12, 25)
    ring_hz, ring_decay = rng.uniform(800, 3000), rng.uniform(0.005, 0.02)
    hit_length = int(0.04 * sr)
    tt = np.arange(hit_length) / sr
    hit = (rng.standard_normal(hit_length) + 2 * np.sin(2 * np.pi * ring_hz * tt)) * np.exp(-tt / ring_decay)
    beats = np.arange(0, n / sr, 1 / rate)
    starts = ((beats + rng.uniform(0, 0.005, len(beats))) * sr).astype(int)
    out = np.zeros(n + hit_length)
    for start in starts[starts < n]:
        out[start:start + hit_length] += hit * rng.uniform(0.6, 1.0)
    return out[:n] * _on_off(n, sr, rng, (0.5, 3.0), (0.2, 1.0))


def siren(n, sr, rng):
    t = np.arange(n) / sr
    low, high = rng.uniform(500, 800), rng.uniform(1100, 1700)
    pattern = rng.integers(3)
    if pattern == 0:    # wail: slow rise and fall
        sweep = 0.5 - 0.5 * np.cos(2 * np.pi * t / rng.uniform(2.5, 6.0))
    elif pattern == 1:  # yelp: fast sweeps
        sweep = (t / rng.uniform(0.15, 0.4)) % 1.0
    else:               # hi-lo: two alternating tones
        sweep = ((t / rng.uniform(0.4, 0.8)) % 2.0 >= 1.0).astype(float)
    pitch = low + (high - low) * sweep
    passing = np.exp(-0.5 * ((t - rng.uniform(0, n / sr)) / rng.uniform(1.0, 4.0)) ** 2)
    return _harmonic(pitch * (1 + 0.01 * (0.5 - passing)), sr, [1, 0.5, 0.3, 0.15]) * (0.3 + passing)


def street_music(n, sr, rng):
    song = music.random_song(rng)
    band = accompaniment.render(song, n / sr + 0.01, sr, rng)[:n]
    notes = music.melody(rng, song, 0, int(np.ceil(n / sr / (4 * song.beat_seconds))) + 1, 60, 79)
    pitch = np.zeros(n)
    for note, start, beats in notes:
        a = int(start * song.beat_seconds * sr)
        pitch[a:a + int(beats * song.beat_seconds * sr)] = music.midi_to_hz(note)
    lead = _harmonic(np.maximum(pitch, 1.0), sr, rng.uniform(0.1, 1.0, 6)) * (pitch > 0)
    return band + rng.uniform(0.2, 0.6) * lead / (np.max(np.abs(lead)) + 1e-9)


GENERATORS = dict(zip(CLASSES, (air_conditioner, car_horn, children_playing, dog_bark, drilling,
                                engine_idling, gun_shot, jackhammer, siren, street_music)))


def source(class_name, n, sample_rate, rng):
    """``n`` samples of ``class_name`` at ``sample_rate``, unit RMS."""
    x = GENERATORS[class_name](n, sample_rate, rng)
    return x / (np.std(x) + 1e-12)


def ambience(n, sample_rate, rng):
    """Unit-RMS street background: traffic rumble, a hum of the city, a passing swell."""
    bed = noise.coloured_noise(n, sample_rate, rng, rng.uniform(-6.0, -3.0),
                               [(rng.uniform(60, 400), rng.uniform(30, 200), rng.uniform(3, 12))])
    bed *= 1 + 0.3 * noise.smooth_random(n, rng, 2 * sample_rate).clip(-2, 2) / 2
    return bed / (np.std(bed) + 1e-12)
