"""Singer catalogue stand-in (the singer-recognition paper's tracks per singer)::

    catalogue.csv                            singer,track,album,set  (one row per track)
    audio/<singer>/<track>.mp3               the mix: 44.1 kHz mono MP3
    phrases/<singer>/<track>.txt             one sung phrase per line: "onset offset" (s)
    stems/<singer>/<track>/vocals.wav        clean vocal, 44.1 kHz 16-bit WAV
    stems/<singer>/<track>/accompaniment.wav the backing band, same format

Singers are ``singer0001``, ``singer0002``, ...; tracks ``track01`` ... Every
*seen* singer has 10 tracks with set ``train`` (track01..track10; a recipe splits
them 8:2 into training and validation, as the paper). Some seen singers have 10
more tracks (track11..track20) with set ``test``; *unseen* singers have only
10 ``test`` tracks. Tracks are spread over a few albums per singer.

The mix is exactly vocals + accompaniment (up to MP3 coding), at a vocal-to-
accompaniment ratio drawn per track; the phrase files are the true onsets and
offsets of the sung phrases (lyric-aligned time stamps in the paper), with
breaths and instrumental rests outside them. The stems are kept for checking
vocal separation (e.g. Spleeter) against the truth.
"""
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from metricvox.progress import progress
from metricvox.synth import accompaniment, audio_files, music, seeding, singing, voice
from metricvox.worker_pool import ordered_map

SAMPLE_RATE = 44100
VOICE_RATE = 22050  # vocals are synthesised here, then upsampled to SAMPLE_RATE
SINGER_SPREAD = 1.5  # singers differ more than a random pair of speakers would
CSV_HEADER = "singer,track,album,set\n"


@dataclass(frozen=True)
class Size:
    seen: int          # singers with 10 training tracks
    seen_tested: int   # of which this many also have 10 test tracks
    unseen: int        # singers with 10 test tracks only
    seconds: float     # track length
    tracks_per_set: int = 10  # as the paper; fewer only for unit tests


# Bumped whenever a size's content changes, so an older corpus is not taken for this one.
GENERATION = 4
# mini has three test singers per set: with fewer, identification is trivially right and
# a verification list has no non-target trial. small has eight per set, so that top-5
# identification is not trivially 100% as among four or five. small's tracks fit in one
# 11.9 s segment of Spleeter's (512 frames), which a 15 s track would double, with its
# separation time.
SIZES = {"mini": Size(seen=4, seen_tested=3, unseen=3, seconds=6.0),
         "small": Size(seen=16, seen_tested=8, unseen=8, seconds=11.5)}


def render_track(person, seed, singer, track, seconds):
    """(vocals, accompaniment, phrases) of one track, both stems at SAMPLE_RATE, mix peak <= 0.9."""
    rng = seeding.stream(seed, "singer", singer, track)
    song = music.random_song(rng)
    session = voice.session_voice(person, rng, amount=0.5)
    vocals, phrases = singing.sing(session, song, seconds, VOICE_RATE, rng)
    vocals = resample_poly(vocals, SAMPLE_RATE // VOICE_RATE, 1)
    band = accompaniment.render(song, seconds, SAMPLE_RATE, rng)[:len(vocals)]
    sung = np.zeros(len(vocals), dtype=bool)
    for onset, offset in phrases:
        sung[int(onset * SAMPLE_RATE):int(offset * SAMPLE_RATE)] = True
    vocal_rms = np.sqrt(np.mean(vocals[sung] ** 2))
    band_rms = np.sqrt(np.mean(band ** 2))
    ratio_db = rng.uniform(-3.0, 6.0)
    vocals = vocals * (band_rms / vocal_rms) * 10.0 ** (ratio_db / 20.0)
    gain = 0.9 / np.max(np.abs(vocals + band))
    return vocals * gain, band * gain, phrases


def _singer_tracks(size):
    """[(singer, [(track, set)])] for the whole catalogue."""
    out = []
    n_singers = size.seen + size.unseen
    for s in range(n_singers):
        singer = f"singer{s + 1:04d}"
        sets = []
        if s < size.seen:
            sets += [(f"track{t + 1:02d}", "train") for t in range(size.tracks_per_set)]
        if s < size.seen_tested or s >= size.seen:
            first = size.tracks_per_set if s < size.seen else 0
            sets += [(f"track{first + t + 1:02d}", "test") for t in range(size.tracks_per_set)]
        out.append((singer, sets))
    return out


def _write_singer(job):
    """Write one singer's tracks, stems and phrase files; returns their catalogue rows."""
    out, singer, tracks, seed, seconds = job
    rng = seeding.stream(seed, "singer", singer)
    person = voice.random_voice(rng, SINGER_SPREAD)
    n_albums = int(rng.integers(2, 5))
    rows = []
    for track, subset in tracks:
        vocals, band, phrases = render_track(person, seed, singer, track, seconds)
        audio_files.write_mp3(out / "audio" / singer / f"{track}.mp3", vocals + band, SAMPLE_RATE)
        audio_files.write_audio(out / "stems" / singer / track / "vocals.wav", vocals, SAMPLE_RATE)
        audio_files.write_audio(out / "stems" / singer / track / "accompaniment.wav", band, SAMPLE_RATE)
        phrase_file = out / "phrases" / singer / f"{track}.txt"
        phrase_file.parent.mkdir(parents=True, exist_ok=True)
        phrase_file.write_text("".join(f"{a:.3f} {b:.3f}\n" for a, b in phrases))
        rows.append(f"{singer},{track},album{int(rng.integers(n_albums)) + 1},{subset}\n")
    return rows


def write_corpus(out, size, seed, nj=1):
    """Write the catalogue into ``out`` with ``nj`` processes; ``size`` is a name in SIZES or a
    :class:`Size`."""
    size = SIZES.get(size, size)
    jobs = [(out, singer, tracks, seed, size.seconds) for singer, tracks in _singer_tracks(size)]
    rows = [row for rows in progress(ordered_map(_write_singer, jobs, nj), desc="singers",
                                     total=len(jobs), unit="singer")
            for row in rows]
    (out / "catalogue.csv").write_text(CSV_HEADER + "".join(rows))
