"""Spoken utterances: random phoneme-like sentences with natural intonation.

Syllables are (C)V(C) with occasional clusters, words one to three syllables,
phrases two to six words separated by pauses. The pitch contour declines over
each phrase, rises on accented vowels and ends in a fall (or, sometimes, a
question rise), all scaled by the speaker's pitch range.
"""
import numpy as np

from metricvox.synth import phones, vocal_tract
from metricvox.synth.voice import render

_DURATION = {  # (low, high) seconds at rate 1
    "vowel": (0.07, 0.16), "plosive": (0.06, 0.10), "fricative": (0.07, 0.13), "sonorant": (0.05, 0.08)}


def _consonant_duration(symbol, rng):
    if symbol in phones.PLOSIVES:
        kind = "plosive"
    elif symbol in phones.FRICATIVES:
        kind = "fricative"
    else:
        kind = "sonorant"
    return rng.uniform(*_DURATION[kind])


def _syllable(rng, stressed):
    out = []
    if rng.random() < 0.8:
        if rng.random() < 0.12:  # an s-cluster: "sp", "st", "sk"
            out.append(("s", rng.uniform(*_DURATION["fricative"])))
            onset = rng.choice(["p", "t", "k"])
        else:
            onset = rng.choice(phones.CONSONANTS)
        out.append((str(onset), _consonant_duration(onset, rng)))
    vowel = str(rng.choice(phones.VOWEL_NAMES))
    out.append((vowel, rng.uniform(*_DURATION["vowel"]) * (1.5 if stressed else 1.0)))
    if rng.random() < 0.4:
        coda = rng.choice(phones.CONSONANTS)
        out.append((str(coda), _consonant_duration(coda, rng)))
    return out


def random_phones(rng, seconds, rate=1.0):
    """Timed phones [(symbol, seconds)] of about ``seconds`` of speech with pauses."""
    timed = [(phones.PAUSE, rng.uniform(0.1, 0.3))]
    total = timed[0][1]
    while total < seconds - 0.3:
        for _word in range(rng.integers(2, 7)):
            n_syl = rng.integers(1, 4)
            stress = rng.integers(n_syl)
            for syllable in range(n_syl):
                for symbol, dur in _syllable(rng, syllable == stress):
                    timed.append((symbol, dur / rate))
            if rng.random() < 0.15:
                timed.append((phones.PAUSE, rng.uniform(0.02, 0.06)))
        timed.append((phones.PAUSE, rng.uniform(0.15, 0.45)))
        total = sum(d for _, d in timed)
    return timed


def intonation(rng, timed, f0_median, f0_range, n_frames, frame_seconds):
    """f0 (Hz) per frame for ``timed`` phones: declination, accents, final fall or rise."""
    times = np.arange(n_frames) * frame_seconds
    semitones = np.zeros(n_frames)
    t, phrase_start = 0.0, 0.0
    for symbol, dur in timed:
        if symbol in phones.VOWELS and dur > 0.14 and rng.random() < 0.6:
            centre = t + dur / 2
            semitones += f0_range * rng.uniform(0.3, 1.0) * np.exp(-0.5 * ((times - centre) / 0.08) ** 2)
        if symbol == phones.PAUSE and dur > 0.1 and t > phrase_start:
            inside = (times >= phrase_start) & (times < t)
            progress = (times[inside] - phrase_start) / (t - phrase_start)
            semitones[inside] += f0_range * (0.3 - 0.6 * progress)
            final = 1.0 if rng.random() < 0.15 else -1.0  # question rise or statement fall
            semitones[inside] += final * f0_range * 0.5 * np.clip((progress - 0.8) / 0.2, 0, 1)
            phrase_start = t + dur
        t += dur
    drift = np.convolve(rng.normal(0.0, 1.0, n_frames + 60), np.hanning(61) / np.hanning(61).sum(), "valid")
    semitones += 4.0 * drift
    return f0_median * 2.0 ** (semitones / 12.0)


def speak(voice, seconds, sample_rate, rng):
    """About ``seconds`` of random speech by ``voice`` (float waveform, unnormalised)."""
    timed = random_phones(rng, seconds, voice.rate)
    hop = vocal_tract.hop_for(sample_rate)
    n_samples = int(round(sum(d for _, d in timed) * sample_rate))
    n_frames = vocal_tract.frame_count(n_samples, hop)
    f0 = intonation(rng, timed, voice.f0_median, voice.f0_range, n_frames, hop / sample_rate)
    return render(voice, timed, f0, sample_rate, rng)
