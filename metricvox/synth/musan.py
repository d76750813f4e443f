"""MUSAN stand-in in MUSAN's own layout (Snyder et al. 2015, openslr.org/17)::

    noise/free-sound/noise-free-sound-NNNN.wav        ANNOTATIONS: "<id>" per line
    noise/sound-bible/noise-sound-bible-NNNN.wav      ANNOTATIONS: "<id>" per line
    music/<folder>/music-<folder>-NNNN.wav            ANNOTATIONS: "<id> <genre>[,<genre>...] Y|N <artist>"
        folders fma, fma-western-art, hd-classical, jamendo, rfm
    speech/librivox/speech-librivox-NNNN.wav          ANNOTATIONS: "<id> m|f <language>"
    speech/us-gov/speech-us-gov-NNNN.wav              no ANNOTATIONS (the real corpus has none here)

16 kHz, 16-bit mono WAV, numbered from 0000 in each folder. ANNOTATIONS have no header
line and one space between fields, one line per file of the folder; Y|N says whether the
music has vocals (Kaldi's make_musan.py reads ``utt, genres, vocals, musician =
line.split()[:4]`` and leaves out music files its ANNOTATIONS do not list); artist names
join their words with underscores.

Noise is the synth package's noise sources (:mod:`urban_sources`: machines, engines,
sirens, street ambience for free-sound; horns, barks, shots for sound-bible), music its
songs (:mod:`music`, :mod:`accompaniment`, sung by :mod:`singing` when the vocals flag is
Y; classical folders without drums), speech its voices (:mod:`speech`).

Unseen by construction: every file draws from its own stream under the namespace
:data:`NAMESPACE` ("musan"); the noises of a degraded test condition draw from
:data:`metricvox.synth.test_condition.NAMESPACE`, so the training augmentation never
sees them.
"""
from dataclasses import dataclass

import numpy as np

from metricvox.progress import progress
from metricvox.synth import accompaniment, audio_files, music, seeding, singing, speech, urban_sources, voice
from metricvox.worker_pool import ordered_map

NAMESPACE = "musan"
SAMPLE_RATE = 16000
NOISE_KINDS = {"free-sound": ("air_conditioner", "drilling", "engine_idling", "jackhammer", "siren", "ambience"),
               "sound-bible": ("car_horn", "dog_bark", "gun_shot", "siren")}
# Per folder: the genres its tracks draw one or two of, the share sung (vocals Y), drums.
MUSIC_STYLES = {
    "fma": (("pop", "rock", "electronica", "hiphop", "folk"), 0.4, True),
    "fma-western-art": (("classical", "baroque", "romantic"), 0.0, False),
    "hd-classical": (("classical", "romantic"), 0.0, False),
    "jamendo": (("pop", "rock", "jazz", "reggae"), 0.4, True),
    "rfm": (("ambient", "cinematic", "lounge"), 0.0, True),
}
SPEECH_FOLDERS = ("librivox", "us-gov")
LANGUAGES = (("english", 0.7), ("german", 0.1), ("french", 0.1), ("spanish", 0.1))  # librivox readings
_ARTIST_WORDS = ("Quiet", "Glass", "Harbour", "Velvet", "North", "Paper", "Echo", "Lantern", "Copper",
                 "Orchard", "Signal", "Drift", "Meadow", "Static", "Tiny", "Robots", "Ensemble", "Trio")


@dataclass(frozen=True)
class Size:
    files_per_folder: int
    seconds: tuple   # (min, max) per file


# Bumped whenever a size's content changes, so an older corpus is not taken for this one.
GENERATION = 1
SIZES = {"mini": Size(files_per_folder=2, seconds=(2.0, 3.0)),
         "small": Size(files_per_folder=8, seconds=(4.0, 8.0))}


def noise_clip(kind, seconds, sample_rate, rng):
    """``seconds`` of the noise ``kind`` (a name in NOISE_KINDS' lists), unit RMS."""
    n = int(round(seconds * sample_rate))
    if kind == "ambience":
        return urban_sources.ambience(n, sample_rate, rng)
    return urban_sources.source(kind, n, sample_rate, rng)


def music_clip(seconds, sample_rate, rng, sung, drums):
    """``seconds`` of a random song; a random singer sings its melody when ``sung``."""
    song = music.random_song(rng)
    band = accompaniment.render(song, seconds, sample_rate, rng, drums=drums)
    if not sung:
        return band
    vocals, _ = singing.sing(voice.random_voice(rng), song, seconds, sample_rate, rng)
    vocals = vocals[:len(band)]
    vocals = vocals * 10.0 ** (rng.uniform(-3.0, 6.0) / 20.0) * np.std(band) / (np.std(vocals) + 1e-12)
    return band[:len(vocals)] + vocals


def _artist(rng):
    words = rng.choice(_ARTIST_WORDS, size=int(rng.integers(1, 4)), replace=False)
    return "_".join(str(w) for w in words)


def _write_file(job):
    """Write one file; returns its ANNOTATIONS line (None for folders without one)."""
    out, category, folder, number, seed, size = job
    utt = f"{category}-{folder}-{number:04d}"
    rng = seeding.stream(seed, NAMESPACE, category, folder, number)
    seconds = rng.uniform(*size.seconds)
    if category == "noise":
        audio = noise_clip(str(rng.choice(NOISE_KINDS[folder])), seconds, SAMPLE_RATE, rng)
        line = utt
    elif category == "music":
        genres, sung_share, drums = MUSIC_STYLES[folder]
        sung = bool(rng.random() < sung_share)
        audio = music_clip(seconds, SAMPLE_RATE, rng, sung, drums)
        chosen = rng.choice(genres, size=int(rng.integers(1, 3)), replace=False)
        line = f"{utt} {','.join(str(g) for g in chosen)} {'Y' if sung else 'N'} {_artist(rng)}"
    else:
        speaker = voice.random_voice(rng)
        audio = speech.speak(speaker, seconds, SAMPLE_RATE, rng)
        line = None
        if folder == "librivox":
            line = f"{utt} {'f' if speaker.female else 'm'} {seeding.weighted_choice(rng, LANGUAGES)}"
    audio = audio[:int(round(seconds * SAMPLE_RATE))]   # speech runs to the end of its phrase
    audio_files.write_audio(out / category / folder / f"{utt}.wav",
                            audio_files.scaled_to_peak(audio, rng.uniform(0.3, 0.9)), SAMPLE_RATE)
    return folder, line


def folders():
    """[(category, folder)] of the layout, in order."""
    return ([("noise", f) for f in NOISE_KINDS] + [("music", f) for f in MUSIC_STYLES]
            + [("speech", f) for f in SPEECH_FOLDERS])


def write_corpus(out, size, seed, nj=1):
    """Write the corpus into ``out`` with ``nj`` processes; ``size`` is a name in SIZES or a
    :class:`Size`."""
    size = SIZES.get(size, size)
    jobs = [(out, category, folder, number, seed, size)
            for category, folder in folders() for number in range(size.files_per_folder)]
    lines = {}
    for folder, line in progress(ordered_map(_write_file, jobs, nj), desc="musan files", total=len(jobs),
                                 unit="file"):
        if line is not None:
            lines.setdefault(folder, []).append(line + "\n")
    for category, folder in folders():
        if folder in lines:
            (out / category / folder / "ANNOTATIONS").write_text("".join(lines[folder]))
