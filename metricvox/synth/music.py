"""Song plans: key, tempo, chord progression, and melodies that fit them.

Everything is in MIDI note numbers and beats; :mod:`accompaniment` and
:mod:`singing` turn a :class:`Song` into sound.
"""
from dataclasses import dataclass

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
# Common pop progressions, as scale degrees (0-based) of the chord roots, one per bar.
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 3), (0, 3, 0, 4), (1, 4, 0, 0))
BEATS_PER_BAR = 4


@dataclass(frozen=True)
class Song:
    tonic: int           # MIDI note of the key's tonic (bass octave)
    scale: tuple         # semitone offsets of the mode
    tempo: float         # beats per minute
    progression: tuple   # chord root degree per bar, repeated

    @property
    def beat_seconds(self):
        return 60.0 / self.tempo

    def chord(self, bar):
        """MIDI notes (root position triad, bass octave) of the chord in ``bar``."""
        degree = self.progression[bar % len(self.progression)]
        return tuple(self.tonic + 12 * ((degree + k) // 7) + self.scale[(degree + k) % 7] for k in (0, 2, 4))

    def in_scale(self, note):
        return (note - self.tonic) % 12 in self.scale


def random_song(rng):
    return Song(tonic=int(rng.integers(40, 52)), scale=MAJOR if rng.random() < 0.6 else MINOR,
                tempo=float(rng.uniform(70, 140)),
                progression=PROGRESSIONS[rng.integers(len(PROGRESSIONS))])


def melody(rng, song, first_bar, n_bars, low, high):
    """Notes [(midi, start beat, beats)] filling ``n_bars`` bars from ``first_bar``.

    A random walk over scale notes between ``low`` and ``high`` (MIDI), landing on
    a chord tone at each bar's downbeat; the last note is held.
    """
    candidates = [n for n in range(int(low), int(high) + 1) if song.in_scale(n)]
    notes, beat = [], first_bar * BEATS_PER_BAR
    end = (first_bar + n_bars) * BEATS_PER_BAR
    current = candidates[len(candidates) // 2]
    while beat < end:
        length = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        length = min(length, end - beat)
        if beat % BEATS_PER_BAR == 0:
            chord_classes = {n % 12 for n in song.chord(int(beat // BEATS_PER_BAR))}
            fitting = [n for n in candidates if n % 12 in chord_classes] or candidates
            current = min(fitting, key=lambda n: abs(n - current) + rng.random() * 4)
        else:
            index = candidates.index(current) + int(rng.choice([-2, -1, -1, 0, 1, 1, 2]))
            current = candidates[int(np.clip(index, 0, len(candidates) - 1))]
        notes.append((current, beat, length))
        beat += length
    return notes


def midi_to_hz(note):
    return 440.0 * 2.0 ** ((np.asarray(note, dtype=float) - 69.0) / 12.0)


def hz_to_midi(hz):
    return 69.0 + 12.0 * np.log2(np.asarray(hz, dtype=float) / 440.0)
