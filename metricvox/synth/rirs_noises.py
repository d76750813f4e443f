"""RIRS_NOISES stand-in in its own layout (Ko et al. 2017, openslr.org/28)::

    simulated_rirs/<category>/RoomNNN/RoomNNN-NNNNN.wav
    simulated_rirs/<category>/rir_list
        --rir-id <category>-RoomNNN-NNNNN --room-id <category>-RoomNNN RIRS_NOISES/simulated_rirs/<category>/RoomNNN/RoomNNN-NNNNN.wav
        categories smallroom, mediumroom, largeroom; rooms from Room001, responses from 00001
    real_rirs_isotropic_noises/RVB2014_type1_rir_<room>_<near|far>_<angla|anglb>.wav
    real_rirs_isotropic_noises/RVB2014_type1_noise_<room>_<k>.wav
    real_rirs_isotropic_noises/rir_list
        --rir-id NNNNN --room-id RVB2014_<room> RIRS_NOISES/real_rirs_isotropic_noises/<rir file>
    real_rirs_isotropic_noises/noise_list
        --noise-id NNNNN --noise-type isotropic --room-linkage RVB2014_<room> RIRS_NOISES/real_rirs_isotropic_noises/<noise file>
        rooms smallroom1, mediumroom1, largeroom1, smallroom2, ...; noises from 1

16 kHz, 16-bit mono WAV (the real "real" responses and noises have several channels; these
have one). The paths in the lists start with ``RIRS_NOISES/`` as the real ones do (Kaldi's
recipes run where the archive was unpacked): they are relative to the parent of the corpus
directory when that is named RIRS_NOISES, else past their first component, to it.

Every response is :func:`metricvox.synth.room_acoustics.impulse_response` of a random room of
its category: small rooms 1-10 m, medium 10-30 m, large 30-50 m, so RT60s grow with the
category; a "real" room's near and far responses put the source 0.5-1 m and 2-3 m away, and
its isotropic noise is diffuse background (ambience or machinery) heard through that room.
The pointsource_noises folder of the real archive (MUSAN-like noises) is not made: the MUSAN
stand-in (:mod:`metricvox.synth.musan`) has that material.

Unseen by construction: every room draws from its own stream under the namespace
:data:`NAMESPACE` ("rirs"); the rooms of a degraded test condition draw from
:data:`metricvox.synth.test_condition.NAMESPACE`.
"""
from dataclasses import dataclass

from scipy.signal import fftconvolve

from metricvox.progress import progress
from metricvox.synth import audio_files, musan, room_acoustics, seeding
from metricvox.worker_pool import WorkerPool

NAMESPACE = "rirs"
SAMPLE_RATE = 16000
LIST_PREFIX = "RIRS_NOISES"
SIMULATED, REAL = "simulated_rirs", "real_rirs_isotropic_noises"
NEAR, FAR = (0.5, 1.0), (2.0, 3.0)   # m, source to microphone (RVB2014: 0.5 m and 2 m)
ISOTROPIC_NOISE_KINDS = ("ambience", "air_conditioner", "engine_idling")


@dataclass(frozen=True)
class Size:
    rooms_per_category: int       # simulated rooms of each category
    rirs_per_room: int
    real_rooms_per_category: int  # "real" rooms, each with 4 responses and its noises
    noises_per_real_room: int
    noise_seconds: float


# Bumped whenever a size's content changes, so an older corpus is not taken for this one.
GENERATION = 1
SIZES = {"mini": Size(rooms_per_category=2, rirs_per_room=2, real_rooms_per_category=1,
                      noises_per_real_room=1, noise_seconds=2.0),
         "small": Size(rooms_per_category=5, rirs_per_room=4, real_rooms_per_category=2,
                       noises_per_real_room=2, noise_seconds=5.0)}


def simulated_room(seed, category, number):
    """The :class:`room_acoustics.Room` of simulated room ``number`` (from 1) of ``category``."""
    return room_acoustics.random_room(seeding.stream(seed, NAMESPACE, category, number), category)


def _write_simulated_room(job):
    """Write one simulated room's responses; returns their rir_list lines."""
    out, category, number, seed, size = job
    shoebox = simulated_room(seed, category, number)
    room_name = f"Room{number:03d}"
    lines = []
    for k in range(1, size.rirs_per_room + 1):
        rng = seeding.stream(seed, NAMESPACE, category, number, "rir", k)
        response = room_acoustics.impulse_response(shoebox, room_acoustics.random_distance(rng, shoebox),
                                                   SAMPLE_RATE, rng)
        name = f"{room_name}-{k:05d}"
        relative = f"{SIMULATED}/{category}/{room_name}/{name}.wav"
        audio_files.write_audio(out / relative, response, SAMPLE_RATE)
        lines.append(f"--rir-id {category}-{name} --room-id {category}-{room_name} {LIST_PREFIX}/{relative}\n")
    return lines


def _write_real_room(job):
    """Write one "real" room's four responses and its noises; returns (rir files, noise files)."""
    out, room_name, category, seed, size = job
    rng = seeding.stream(seed, NAMESPACE, REAL, room_name)
    shoebox = room_acoustics.random_room(rng, category)
    rirs, noises = [], []
    for place, distances in (("near", NEAR), ("far", FAR)):
        for angle in ("angla", "anglb"):
            response = room_acoustics.impulse_response(shoebox, rng.uniform(*distances), SAMPLE_RATE, rng)
            rirs.append(f"RVB2014_type1_rir_{room_name}_{place}_{angle}.wav")
            audio_files.write_audio(out / REAL / rirs[-1], response, SAMPLE_RATE)
    for k in range(1, size.noises_per_real_room + 1):
        background = musan.noise_clip(str(rng.choice(ISOTROPIC_NOISE_KINDS)), size.noise_seconds, SAMPLE_RATE, rng)
        diffuse = room_acoustics.impulse_response(shoebox, rng.uniform(*FAR), SAMPLE_RATE, rng)
        heard = fftconvolve(background, diffuse)[:len(background)]
        noises.append(f"RVB2014_type1_noise_{room_name}_{k}.wav")
        audio_files.write_audio(out / REAL / noises[-1], audio_files.scaled_to_peak(heard, rng.uniform(0.2, 0.6)),
                                SAMPLE_RATE)
    return rirs, noises


def real_room_names(size):
    """[(room name, category)]: smallroom1, mediumroom1, largeroom1, smallroom2, ..."""
    return [(f"{category}{k}", category) for k in range(1, size.real_rooms_per_category + 1)
            for category in room_acoustics.CATEGORIES]


def write_corpus(out, size, seed, nj=1):
    """Write the corpus into ``out`` with ``nj`` processes; ``size`` is a name in SIZES or a
    :class:`Size`."""
    size = SIZES.get(size, size)
    jobs = [(out, category, number, seed, size) for category in room_acoustics.CATEGORIES
            for number in range(1, size.rooms_per_category + 1)]
    real_jobs = [(out, room_name, category, seed, size) for room_name, category in real_room_names(size)]
    with WorkerPool(nj) as pool:   # one pool for both maps: starting workers takes seconds
        lines = list(progress(pool.map(_write_simulated_room, jobs), desc="simulated rooms", total=len(jobs),
                              unit="room"))
        real = list(pool.map(_write_real_room, real_jobs))
    for category in room_acoustics.CATEGORIES:
        (out / SIMULATED / category / "rir_list").write_text("".join(
            line for job, room_lines in zip(jobs, lines) if job[1] == category for line in room_lines))
    rirs = [(name, job[1]) for job, (room_rirs, _) in zip(real_jobs, real) for name in room_rirs]
    noises = [(name, job[1]) for job, (_, room_noises) in zip(real_jobs, real) for name in room_noises]
    # Numbered in file-name order, as Kaldi's lists of the real archive (made from sorted globs).
    (out / REAL / "rir_list").write_text("".join(
        f"--rir-id {number:05d} --room-id RVB2014_{room_name} {LIST_PREFIX}/{REAL}/{name}\n"
        for number, (name, room_name) in enumerate(sorted(rirs), 1)))
    (out / REAL / "noise_list").write_text("".join(
        f"--noise-id {number:05d} --noise-type isotropic --room-linkage RVB2014_{room_name} "
        f"{LIST_PREFIX}/{REAL}/{name}\n"
        for number, (name, room_name) in enumerate(sorted(noises), 1)))
