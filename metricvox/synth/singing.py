"""A voice singing a melody: phrases of syllables on notes, breaths in between.

Each note carries one syllable (an optional consonant, then the vowel held for the
rest of the note). Pitch moves legato between notes (a short portamento) and
vibrato fades in on held notes, at the singer's own rate and depth. Phrases are a
few bars long; between them the singer rests and takes an audible breath. The
returned phrase times are exact: they are where the sung phones start and end.
"""
import numpy as np

from metricvox.synth import music, phones, vocal_tract
from metricvox.synth.voice import render

_PORTAMENTO_SECONDS = 0.05


def _syllables(rng, notes, beat_seconds):
    """Timed phones for ``notes`` (one syllable per note) and each note's (start, end) s."""
    timed, spans = [], []
    for _, _, beats in notes:
        seconds = beats * beat_seconds
        start = sum(d for _, d in timed)
        if rng.random() < 0.6 and seconds > 0.2:
            consonant = str(rng.choice(phones.CONSONANTS))
            onset = min(0.07, 0.3 * seconds)
            timed.append((consonant, onset))
            seconds -= onset
        timed.append((str(rng.choice(phones.VOWEL_NAMES)), seconds))
        spans.append((start, start + beats * beat_seconds))
    return timed, spans


def _pitch_track(notes, spans, voice, n_frames, frame_seconds):
    """f0 (Hz) per frame: each note over its span, held through rests, legato, vibrato."""
    times = np.arange(n_frames) * frame_seconds
    note_index = np.full(n_frames, -1)
    for i, (start, end) in enumerate(spans):
        note_index[(times >= start) & (times < end)] = i
    # Rests keep the pitch of the note before (after, for the intro).
    note_index = np.maximum.accumulate(note_index)
    note_index[note_index < 0] = 0
    semitones = np.array([n for n, _, _ in notes], dtype=float)[note_index]
    held = times - np.array([a for a, _ in spans])[note_index]
    vibrato_gain = np.clip((held - 0.15) / 0.2, 0.0, 1.0)
    width = max(int(_PORTAMENTO_SECONDS / frame_seconds), 1)
    kernel = np.hanning(2 * width + 1) / np.hanning(2 * width + 1).sum()
    semitones = np.convolve(np.pad(semitones, width, mode="edge"), kernel, mode="valid")
    semitones += vibrato_gain * voice.vibrato_depth * np.sin(2 * np.pi * voice.vibrato_rate * times)
    return music.midi_to_hz(semitones)


def sing(voice, song, seconds, sample_rate, rng):
    """(vocal waveform of ``seconds``, [(onset s, offset s)] of every sung phrase)."""
    bar_seconds = music.BEATS_PER_BAR * song.beat_seconds
    low = music.hz_to_midi(voice.f0_median) - 4
    high = music.hz_to_midi(voice.f0_median) + 9
    timed, phrase_times, all_notes, all_spans = [], [], [], []
    bar = int(rng.integers(0, 2)) if seconds > 3 * bar_seconds else 0  # instrumental intro
    if bar:
        timed.append((phones.PAUSE, bar * bar_seconds))
    while True:
        n_bars = int(rng.integers(1, 3))
        if (bar + n_bars) * bar_seconds > seconds:
            n_bars = 1
        if (bar + n_bars) * bar_seconds > seconds:
            break
        notes = music.melody(rng, song, bar, n_bars, low, high)
        start = sum(d for _, d in timed)
        sung, spans = _syllables(rng, notes, song.beat_seconds)
        timed += sung
        all_notes += notes
        all_spans += [(a + start, b + start) for a, b in spans]
        phrase_times.append((start, start + n_bars * bar_seconds))
        rest_bars = int(rng.integers(1, 3)) if rng.random() < 0.5 else 1
        rest = rest_bars * bar_seconds
        breath = min(rng.uniform(0.25, 0.5), 0.5 * rest)
        timed += [(phones.PAUSE, rest - breath - 0.05), (phones.BREATH, breath), (phones.PAUSE, 0.05)]
        bar += n_bars + rest_bars
    remaining = seconds - sum(d for _, d in timed)
    if remaining > 0:
        timed.append((phones.PAUSE, remaining))
    hop = vocal_tract.hop_for(sample_rate)
    n_samples = int(round(sum(d for _, d in timed) * sample_rate))
    n_frames = vocal_tract.frame_count(n_samples, hop)
    f0 = _pitch_track(all_notes, all_spans, voice, n_frames, hop / sample_rate)
    vocal = render(voice, timed, f0, sample_rate, rng)
    return vocal[:int(round(seconds * sample_rate))], phrase_times
