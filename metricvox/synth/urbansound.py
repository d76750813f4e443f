"""UrbanSound8K stand-in in UrbanSound8K's own layout::

    audio/fold1 .. fold10/<fsID>-<classID>-<occurrenceID>-<sliceID>.wav
    metadata/UrbanSound8K.csv   slice_file_name,fsID,start,end,salience,fold,classID,class

As in the real corpus: ten classes with the real ids (0 air_conditioner ...
9 street_music); each fsID is one source recording of one class, cut into
slices of at most 4 s (start/end are seconds within that recording), and all
slices of an fsID sit in the same fold; salience 1 = foreground (the source well
above the street ambience), 2 = background (distant: quieter, duller,
reverberant). Each recording has its own sample rate, sample format and channel
count, drawn from the mix found in the real corpus, so loaders must cope with
8/16/24-bit integer and 32-bit float WAV, mono and stereo, 8 kHz to 96 kHz.
"""
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfilt

from metricvox.progress import progress
from metricvox.synth import audio_files, room, seeding
from metricvox.synth.urban_sources import CLASSES, ambience, source
from metricvox.worker_pool import ordered_map

CSV_HEADER = "slice_file_name,fsID,start,end,salience,fold,classID,class\n"
N_FOLDS = 10
SLICE_SECONDS = 4.0
# (value, weight): roughly the real corpus's proportions.
SAMPLE_RATES = ((44100, 0.6), (48000, 0.2), (96000, 0.06), (22050, 0.05), (16000, 0.03),
                (11025, 0.03), (24000, 0.02), (8000, 0.01))
SUBTYPES = (("PCM_16", 0.65), ("PCM_24", 0.25), ("FLOAT", 0.05), ("PCM_U8", 0.05))
CHANNELS = ((2, 0.8), (1, 0.2))


@dataclass(frozen=True)
class Size:
    recordings_per_class: int
    occurrences: tuple        # (min, max) per recording
    occurrence_seconds: tuple  # (min, max)


# Bumped whenever a size's content changes, so an older corpus is not taken for this one.
GENERATION = 2
# small: about 45 foreground slices per class of the eight, so that a test fold holds a few
# of each and the recipe's networks have enough batches per epoch to learn from.
SIZES = {"mini": Size(recordings_per_class=2, occurrences=(1, 1), occurrence_seconds=(1.5, 5.0)),
         "small": Size(recordings_per_class=25, occurrences=(1, 2), occurrence_seconds=(2.0, 10.0))}


def occurrence(class_name, seconds, sample_rate, channels, salience, rng):
    """One occurrence of the source over ambience: (samples, channels) float."""
    n = int(round(seconds * sample_rate))
    sound = source(class_name, n, sample_rate, rng)
    if salience == 2:  # far away: high frequencies absorbed, more room than source
        sound = sosfilt(butter(2, min(rng.uniform(1500, 5000), 0.45 * sample_rate), "lowpass",
                               fs=sample_rate, output="sos"), sound)
        sound = room.reverberate(sound, sample_rate, rng.uniform(0.5, 1.5), rng.uniform(-6, 0), rng)
        source_db = rng.uniform(-6.0, 3.0)
    else:
        source_db = rng.uniform(8.0, 25.0)
    sound *= 10.0 ** (source_db / 20.0) / (np.std(sound) + 1e-12)
    out = np.empty((n, channels))
    delay = int(rng.uniform(0, 0.0008) * sample_rate)  # the source is off-centre
    for c in range(channels):
        shifted = np.roll(sound, delay * c) * (rng.uniform(0.7, 1.0) if c else 1.0)
        out[:, c] = shifted + ambience(n, sample_rate, rng)
    return out


def _write_recording(job):
    """Write the slices of one recording (all its occurrences); returns (name, csv row) pairs."""
    out, class_id, fs_id, fold, seed, size = job
    rng = seeding.stream(seed, "urbansound", fs_id)
    rate, subtype, channels = (seeding.weighted_choice(rng, t) for t in (SAMPLE_RATES, SUBTYPES, CHANNELS))
    level = rng.uniform(0.3, 0.95)
    position = rng.uniform(0.0, 5.0)
    rows = []
    for occurrence_id in range(rng.integers(size.occurrences[0], size.occurrences[1] + 1)):
        seconds = rng.uniform(*size.occurrence_seconds)
        salience = 1 if rng.random() < 0.6 else 2
        audio = occurrence(CLASSES[class_id], seconds, rate, channels, salience, rng)
        audio = audio_files.scaled_to_peak(audio, level)
        step = int(SLICE_SECONDS * rate)
        for slice_id, first in enumerate(range(0, len(audio), step)):
            piece = audio[first:first + step]
            name = f"{fs_id}-{class_id}-{occurrence_id}-{slice_id}.wav"
            audio_files.write_audio(out / "audio" / f"fold{fold}" / name,
                                    piece[:, 0] if channels == 1 else piece, rate, subtype=subtype)
            start = position + first / rate
            rows.append((name, f"{name},{fs_id},{start:.6f},{start + len(piece) / rate:.6f},"
                               f"{salience},{fold},{class_id},{CLASSES[class_id]}\n"))
        position += seconds + rng.uniform(0.5, 10.0)
    return rows


def write_corpus(out, size, seed, nj=1):
    """Write audio/foldN and metadata into ``out`` with ``nj`` processes; ``size`` is a name in
    SIZES or a :class:`Size`."""
    size = SIZES.get(size, size)
    plan_rng = seeding.stream(seed, "urbansound", "plan")
    n_recordings = size.recordings_per_class * len(CLASSES)
    fs_ids = plan_rng.choice(np.arange(300, 200000), size=n_recordings, replace=False)
    jobs = []
    for r in range(n_recordings):
        class_id, k = r % len(CLASSES), r // len(CLASSES)
        jobs.append((out, class_id, int(fs_ids[r]), (k + class_id) % N_FOLDS + 1, seed, size))
    rows = [row for rows in progress(ordered_map(_write_recording, jobs, nj), desc="recordings",
                                     total=len(jobs), unit="rec")
            for row in rows]
    metadata = out / "metadata"
    metadata.mkdir(parents=True, exist_ok=True)
    (metadata / "UrbanSound8K.csv").write_text(CSV_HEADER + "".join(row for _, row in sorted(rows)))
