"""A speaker's voice: the traits that make it recognisable, and rendering.

:class:`Voice` holds per-speaker traits drawn by :func:`random_voice`: pitch level
and range, vocal-tract length (formant scaling) plus the speaker's own vowel
quality, glottal open quotient and spectral tilt, breathiness, jitter, shimmer,
speaking rate and (for singers) vibrato. :func:`session_voice` perturbs them per
recording, because the same person sounds different from one day, room and mood
to the next. :func:`render` runs the source-filter synthesis.
"""
from dataclasses import dataclass, replace

import numpy as np

from metricvox.synth import glottal, phones, vocal_tract


@dataclass(frozen=True)
class Voice:
    f0_median: float          # Hz
    f0_range: float           # semitones of intonation excursion
    formant_scale: float      # >1: shorter vocal tract, higher formants
    vowel_offsets: tuple      # per vowel, multiplicative offsets of F1..F3
    bandwidth_scale: float
    open_quotient: float
    tilt: float               # one-pole low-pass coefficient of the source
    breathiness: float
    jitter: float
    shimmer: float
    rate: float               # speaking-rate factor (>1 faster)
    vibrato_rate: float       # Hz
    vibrato_depth: float      # semitones
    female: bool = False      # the speaker's gender (corpus metadata, e.g. vox1_meta.csv)

    def formant_targets(self, symbol):
        if symbol in phones.VOWELS:
            index = phones.VOWEL_NAMES.index(symbol)
            return np.array(phones.VOWELS[symbol]) * self.formant_scale * np.array(self.vowel_offsets[index])
        return np.array(phones.SONORANTS[symbol][0]) * self.formant_scale


def random_voice(rng, spread=1.0):
    """A new speaker; ``spread`` scales how different speakers are from each other."""
    female = rng.random() < 0.5
    f0 = (200.0 if female else 115.0) * 2.0 ** (spread * rng.normal(0.0, 2.5) / 12.0)
    scale = (1.15 if female else 1.0) * np.exp(spread * rng.normal(0.0, 0.045))
    offsets = np.exp(spread * rng.normal(0.0, 0.06, size=(len(phones.VOWELS), 3)))
    return Voice(
        f0_median=float(f0), f0_range=float(rng.uniform(2.0, 6.0)), formant_scale=float(scale),
        vowel_offsets=tuple(map(tuple, offsets)),
        bandwidth_scale=float(np.exp(spread * rng.normal(0.0, 0.2))),
        open_quotient=float(np.clip(rng.normal(0.65 if female else 0.55, 0.07 * spread), 0.35, 0.85)),
        tilt=float(np.clip(rng.normal(0.45, 0.18 * spread), 0.0, 0.9)),
        breathiness=float(np.exp(rng.normal(np.log(0.06 if female else 0.03), 0.6 * spread))),
        jitter=float(np.exp(rng.normal(np.log(0.008), 0.4))),
        shimmer=float(np.exp(rng.normal(np.log(0.05), 0.4))),
        rate=float(np.exp(rng.normal(0.0, 0.12 * spread))),
        vibrato_rate=float(rng.uniform(4.5, 6.5)), vibrato_depth=float(rng.uniform(0.2, 0.8)),
        female=bool(female))


def session_voice(voice, rng, amount=1.0):
    """The same speaker in another recording: pitch, effort, tempo drift."""
    return replace(
        voice,
        f0_median=voice.f0_median * 2.0 ** (amount * rng.normal(0.0, 1.0) / 12.0),
        tilt=float(np.clip(voice.tilt + amount * rng.normal(0.0, 0.08), 0.0, 0.9)),
        breathiness=voice.breathiness * float(np.exp(amount * rng.normal(0.0, 0.3))),
        rate=voice.rate * float(np.exp(amount * rng.normal(0.0, 0.08))))


def render(voice, timed_phones, f0_frames, sample_rate, rng):
    """Waveform of ``timed_phones`` [(symbol, seconds)] sung or spoken on ``f0_frames``.

    ``f0_frames`` gives f0 (Hz) per 5 ms frame; the length of the output is the
    sum of the phone durations. Peak level is left to the caller.
    """
    hop = vocal_tract.hop_for(sample_rate)
    n_samples = int(round(sum(s for _, s in timed_phones) * sample_rate))
    n_frames = vocal_tract.frame_count(n_samples, hop)
    tracks = phones.articulate(timed_phones, n_frames, hop / sample_rate, voice.formant_targets,
                               voice.formant_scale, voice.bandwidth_scale)
    frame_pos = np.arange(n_frames) * hop
    samples = np.arange(n_samples)
    f0 = np.interp(samples, np.arange(len(f0_frames)) * hop, f0_frames)
    pulses, aspiration = glottal.glottal_source(
        f0, sample_rate, rng, open_quotient=voice.open_quotient, tilt=voice.tilt,
        jitter=voice.jitter, shimmer=voice.shimmer)
    voicing = np.interp(samples, frame_pos, tracks.voicing)
    breath = np.interp(samples, frame_pos, tracks.aspiration)
    source = voicing * (pulses + voice.breathiness * aspiration) + breath * aspiration
    freqs = vocal_tract.bin_frequencies(sample_rate)
    voiced = vocal_tract.filter_by_frames(
        source, hop, lambda a, b: vocal_tract.formant_envelope(
            freqs, tracks.formants[a:b], tracks.bandwidths[a:b]))
    frication = vocal_tract.filter_by_frames(
        rng.standard_normal(n_samples), hop, lambda a, b: vocal_tract.band_envelope(
            freqs, tracks.noise_centre[a:b], tracks.noise_width[a:b], tracks.noise_gain[a:b]))
    return voiced + frication
