"""A synthesised backing band for a :class:`~metricvox.synth.music.Song`.

Bass (a plucked, low-passed harmonic tone on every beat), a chord pad (detuned
harmonic tones with slow attack, one chord per bar) and drums (kick: a falling
sine with a fast decay; snare: a noise burst with a tonal body; hi-hat: a very
short high-passed noise tick) on a steady beat. Timbres are drawn per song.
"""
import numpy as np
from scipy.signal import butter, sosfilt

from metricvox.synth.music import BEATS_PER_BAR, midi_to_hz


_TABLE_SIZE = 4096


def _tone(freq, seconds, sample_rate, harmonics, attack, decay):
    """A harmonic tone read from a one-period wavetable (cheaper than summing sines)."""
    cycle = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    table = sum(weight * np.sin(2 * np.pi * (k + 1) * cycle) for k, weight in enumerate(harmonics))
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave = table[(t * freq * _TABLE_SIZE).astype(np.int64) % _TABLE_SIZE]
    envelope = np.minimum(t / attack, 1.0) * np.exp(-t / decay)
    return wave * envelope


def _add(out, sound, start_sample):
    stop = min(len(out), start_sample + len(sound))
    if stop > start_sample:
        out[start_sample:stop] += sound[:stop - start_sample]


def render(song, seconds, sample_rate, rng, drums=True):
    """``seconds`` of accompaniment at ``sample_rate``, peak about 1; ``drums=False`` leaves
    out kick, snare and hi-hat (bass and pad only, as in classical music)."""
    n = int(round(seconds * sample_rate))
    out = np.zeros(n)
    beat = song.beat_seconds
    bass_harmonics = rng.uniform(0.1, 1.0, 5) / np.arange(1, 6)
    pad_harmonics = rng.uniform(0.1, 1.0, 6) / np.arange(1, 7) ** 1.5
    levels = {"bass": rng.uniform(0.4, 0.8), "pad": rng.uniform(0.1, 0.3), "kick": rng.uniform(0.5, 0.9),
              "snare": rng.uniform(0.2, 0.5), "hat": rng.uniform(0.03, 0.12)}
    n_beats = int(np.ceil(seconds / beat))
    for b in range(n_beats):
        start = int(b * beat * sample_rate)
        bar, in_bar = divmod(b, BEATS_PER_BAR)
        chord = song.chord(bar)
        root = chord[0] if in_bar % 2 == 0 else chord[2] - 12
        _add(out, levels["bass"] * _tone(midi_to_hz(root), beat, sample_rate, bass_harmonics, 0.005, beat / 2),
             start)
        if in_bar == 0:
            for note in chord:
                for detune in (-0.08, 0.08):
                    _add(out, levels["pad"] * _tone(midi_to_hz(note + 12 + detune), BEATS_PER_BAR * beat,
                                                    sample_rate, pad_harmonics, 0.2, 2.0 * beat), start)
        if drums:
            _drums(out, levels, in_bar, start, beat, sample_rate, rng)
    highpass = butter(2, 20.0, "highpass", fs=sample_rate, output="sos")
    out = sosfilt(highpass, out)
    return out / (np.max(np.abs(out)) + 1e-12)


def _drums(out, levels, in_bar, start, beat, sample_rate, rng):
    """Kick on beats 1 and 3, snare on 2 and 4, hi-hat on every half beat, from ``start``."""
    if in_bar in (0, 2):
        t = np.arange(int(0.3 * sample_rate)) / sample_rate
        sweep = 2 * np.pi * np.cumsum(50.0 + 100.0 * np.exp(-t / 0.03)) / sample_rate
        _add(out, levels["kick"] * np.sin(sweep) * np.exp(-t / 0.08), start)
    else:
        t = np.arange(int(0.25 * sample_rate)) / sample_rate
        body = np.sin(2 * np.pi * 190.0 * t) * np.exp(-t / 0.03)
        _add(out, levels["snare"] * (rng.standard_normal(len(t)) * np.exp(-t / 0.05) + body), start)
    for half in (0, 1):
        t = np.arange(int(0.05 * sample_rate)) / sample_rate
        tick = np.diff(rng.standard_normal(len(t) + 1))  # differencing = high-pass
        _add(out, levels["hat"] * tick * np.exp(-t / 0.01),
             start + int(half * beat / 2 * sample_rate))
