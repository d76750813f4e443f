"""VoxCeleb stand-in in VoxCeleb's own layout::

    vox1/wav/idNNNNN/<11-char video id>/<nnnnn>.wav    16 kHz, 16-bit PCM, mono
    vox1/veri_test.txt                                  "1|0 enroll test" per line
    vox1/veri_test2.txt                                 the cleaned list: veri_test minus a few trials
    vox1/list_test_all2.txt                             VoxCeleb1-E: trials over all of VoxCeleb1
    vox1/list_test_hard2.txt                            VoxCeleb1-H: non-targets of the same gender
                                                        and nationality
    vox1/vox1_meta.csv                                  id, name, gender, nationality, set (tabs)
    vox2/dev/aac/idNNNNN/<video id>/<nnnnn>.m4a         16 kHz mono AAC in MP4

and, with the noisy test condition (``test_condition="noisy"``), a degraded copy of the
VoxCeleb1 test recordings in VoxCeleb1's layout, with the test split's trial lists::

    vox1_noisy/wav/idNNNNN/<video id>/<nnnnn>.wav       each test file of vox1/wav, degraded
    vox1_noisy/veri_test.txt, vox1_noisy/veri_test2.txt the same lists as vox1's

Each noisy file is its clean file reverberated and mixed with noise as
:func:`metricvox.synth.test_condition.degrade` says: rooms and noises the MUSAN and
RIRS_NOISES stand-ins (the training augmentation) never hold, SNR 0-15 dB.

VoxCeleb1 test speakers are id10270, id10271, ...; VoxCeleb1 dev speakers id10001,
id10002, ... (below the test range); VoxCeleb2 dev speakers id00012, id00013, ...
All three sets are disjoint. ``veri_test.txt`` pairs test utterances only, half
targets (the same speaker, from another video whenever there is one) and half
non-targets, grouped by enrollment utterance as in the real list. The -E and -H lists
span the dev speakers too, as the real ones do; with fewer trials per enrollment.

Each speaker is a :class:`~metricvox.synth.voice.Voice`; each video gets its own
session variant of the voice and its own channel (microphone, room, background
noise, level), so within-speaker variability across videos is real.
"""
import string
from dataclasses import dataclass

from metricvox.progress import progress
import soundfile as sf

from metricvox.synth import audio_files, channel, seeding, speech, test_condition, voice
from metricvox.worker_pool import ordered_map

SAMPLE_RATE = 16000
FIRST_TEST_SPEAKER = 10270
FIRST_DEV_SPEAKER = 10001
FIRST_VOX2_SPEAKER = 12
# The difficulty knobs, tuned so that a naive MFCC mean/std cosine baseline gets an
# EER between 15% and 35% on the small corpus (bench/synth_difficulty.py).
SPEAKER_SPREAD = 2.0     # how far apart speakers' voices are
SESSION_VARIATION = 0.8  # how much one speaker's voice drifts between videos
CHANNEL_SEVERITY = 0.6   # how much microphones, rooms and noise differ between videos
_VIDEO_ID_CHARS = string.ascii_letters + string.digits + "-_"
NATIONALITIES = ("USA", "UK", "India")  # few, so that -H groups have several speakers
CLEANED_FRACTION = 0.01  # veri_test2 drops this share of veri_test's trials (mislabelled, in reality)
META_HEADER = "VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n"


@dataclass(frozen=True)
class Size:
    dev_speakers: int
    test_speakers: int
    vox2_speakers: int
    videos: tuple            # (min, max) videos per speaker
    utterances: tuple        # (min, max) utterances per video
    seconds: tuple           # (min, max) utterance duration
    trials_per_enrollment: int  # targets and as many non-targets per test utterance


# Bumped whenever a size's content changes, so an older corpus is not taken for this one.
GENERATION = 4
SIZES = {
    # VoxCeleb2 dev is the papers' training set, so it is the largest part; VoxCeleb1 dev
    # serves for validation.
    "mini": Size(dev_speakers=4, test_speakers=5, vox2_speakers=8, videos=(2, 3), utterances=(2, 2),
                 seconds=(2.0, 3.0), trials_per_enrollment=2),
    "small": Size(dev_speakers=20, test_speakers=20, vox2_speakers=80, videos=(3, 5),
                  utterances=(3, 4), seconds=(3.0, 6.0), trials_per_enrollment=5),
}


def video_id(rng):
    """An 11-character YouTube-style id (not starting with '-', which upsets shell tools)."""
    first = rng.choice(list(string.ascii_letters + string.digits))
    return first + "".join(rng.choice(list(_VIDEO_ID_CHARS), size=10))


def speaker_recordings(seed, speaker, size):
    """Yield (video id, utterance number, waveform) for every utterance of ``speaker``."""
    rng = seeding.stream(seed, "voxceleb", speaker)
    person = voice.random_voice(rng, SPEAKER_SPREAD)
    for v in range(rng.integers(size.videos[0], size.videos[1] + 1)):
        video_rng = seeding.stream(seed, "voxceleb", speaker, "video", v)
        vid = video_id(video_rng)
        session = voice.session_voice(person, video_rng, SESSION_VARIATION)
        setup = channel.random_channel(video_rng, SAMPLE_RATE, CHANNEL_SEVERITY)
        level = video_rng.uniform(0.25, 0.9)
        for u in range(video_rng.integers(size.utterances[0], size.utterances[1] + 1)):
            utt_rng = seeding.stream(seed, "voxceleb", speaker, "video", v, "utterance", u)
            clean = speech.speak(session, utt_rng.uniform(*size.seconds), SAMPLE_RATE, utt_rng)
            recorded = channel.apply_channel(clean, SAMPLE_RATE, setup, utt_rng)
            yield vid, u + 1, audio_files.scaled_to_peak(recorded, level * utt_rng.uniform(0.8, 1.0))


def _write_speaker(job):
    """Write one speaker's files with ``write(path, audio, rate)``; returns their paths
    relative to the root."""
    root, speaker, seed, size, suffix, write = job
    files = []
    for vid, number, audio in speaker_recordings(seed, speaker, size):
        files.append(f"{speaker}/{vid}/{number:05d}.{suffix}")
        write(root / files[-1], audio, SAMPLE_RATE)
    return files


def _write_speakers(root, speakers, seed, size, suffix, write, nj):
    jobs = [(root, speaker, seed, size, suffix, write) for speaker in speakers]
    files = list(progress(ordered_map(_write_speaker, jobs, nj), desc=f"speakers {root.name}",
                          total=len(jobs), unit="spk"))
    return dict(zip(speakers, files))


def speaker_meta(seed, speaker):
    """(gender 'f'|'m', nationality) of ``speaker``: the gender of its voice, a seeded nationality."""
    female = voice.random_voice(seeding.stream(seed, "voxceleb", speaker), SPEAKER_SPREAD).female
    nationality = seeding.stream(seed, "voxceleb", speaker, "meta").choice(NATIONALITIES)
    return ("f" if female else "m"), str(nationality)


def verification_trials(utterances, per_enrollment, rng, same_group=None):
    """Balanced VoxCeleb-style trials: [(label, enroll, test)], label 1 = same speaker.

    ``same_group(a, b)``, when given, restricts the non-targets to speakers b in the
    enrollment speaker a's group (VoxCeleb1-H: the same gender and nationality); an
    enrollment whose group has no other speaker gets no trials.
    """
    all_utts = sorted(u for utts in utterances.values() for u in utts)
    trials = []
    for enroll in all_utts:
        speaker, video = enroll.split("/")[:2]
        same = [u for u in utterances[speaker] if u != enroll]
        other_video = [u for u in same if u.split("/")[1] != video]
        pool = other_video if len(other_video) >= per_enrollment else same
        others = [u for u in all_utts if not u.startswith(speaker + "/")
                  and (same_group is None or same_group(speaker, u.split("/")[0]))]
        count = min(per_enrollment, len(pool), len(others))
        targets = rng.choice(pool, size=count, replace=False)
        nontargets = rng.choice(others, size=count, replace=False)
        trials += [(1, enroll, str(t)) for t in targets] + [(0, enroll, str(n)) for n in nontargets]
    return trials


def _write_trials(path, trials):
    path.write_text("".join(f"{label} {enroll} {test}\n" for label, enroll, test in trials))


def _write_vox1_lists(vox1, seed, size, dev_utts, test_utts):
    """veri_test.txt, its cleaned version, the -E and -H lists and vox1_meta.csv."""
    trials = verification_trials(test_utts, size.trials_per_enrollment, seeding.stream(seed, "voxceleb", "trials"))
    _write_trials(vox1 / "veri_test.txt", trials)
    dropped = seeding.stream(seed, "voxceleb", "cleaned").random(len(trials)) < CLEANED_FRACTION
    _write_trials(vox1 / "veri_test2.txt", [t for t, drop in zip(trials, dropped) if not drop])
    everyone = {**dev_utts, **test_utts}
    meta = {speaker: speaker_meta(seed, speaker) for speaker in sorted(everyone)}
    per_enrollment = max(1, size.trials_per_enrollment // 2)
    _write_trials(vox1 / "list_test_all2.txt", verification_trials(
        everyone, per_enrollment, seeding.stream(seed, "voxceleb", "trials", "E")))
    _write_trials(vox1 / "list_test_hard2.txt", verification_trials(
        everyone, per_enrollment, seeding.stream(seed, "voxceleb", "trials", "H"),
        same_group=lambda a, b: meta[a] == meta[b]))
    (vox1 / "vox1_meta.csv").write_text(META_HEADER + "".join(
        f"{speaker}\tSpeaker_{speaker[2:]}\t{gender}\t{nationality}\t"
        f"{'test' if speaker in test_utts else 'dev'}\n"
        for speaker, (gender, nationality) in meta.items()))


TEST_CONDITIONS = ("noisy",)
TEST_LISTS = ("veri_test.txt", "veri_test2.txt")


def _write_degraded_speaker(job):
    clean_root, noisy_root, files, seed = job
    for name in files:
        recording, rate = sf.read(str(clean_root / name), dtype="float64")
        audio_files.write_audio(noisy_root / name, test_condition.degrade(recording, seed, name, rate), rate)


def write_noisy_copy(vox1, noisy, test_utts, seed, nj=1):
    """The noisy test condition: ``test_utts`` ({speaker: relative paths}) of ``vox1``'s wav
    tree degraded into ``noisy``'s, with the test split's trial lists."""
    jobs = [(vox1 / "wav", noisy / "wav", files, seed) for files in test_utts.values()]
    list(progress(ordered_map(_write_degraded_speaker, jobs, nj), desc=f"noisy {noisy.name}",
                  total=len(jobs), unit="spk"))
    for name in TEST_LISTS:
        (noisy / name).write_bytes((vox1 / name).read_bytes())


def write_corpus(out, size, seed, nj=1, test_condition=None):
    """Write the corpus into ``out`` with ``nj`` processes; ``size`` is a name in SIZES or a
    :class:`Size`; ``test_condition`` "noisy" adds vox1_noisy."""
    size = SIZES.get(size, size)
    test = [f"id{FIRST_TEST_SPEAKER + i}" for i in range(size.test_speakers)]
    dev = [f"id{FIRST_DEV_SPEAKER + i}" for i in range(size.dev_speakers)]
    vox2 = [f"id{FIRST_VOX2_SPEAKER + i:05d}" for i in range(size.vox2_speakers)]
    assert FIRST_DEV_SPEAKER + size.dev_speakers <= FIRST_TEST_SPEAKER
    wav_root = out / "vox1" / "wav"
    dev_utts = _write_speakers(wav_root, dev, seed, size, "wav", audio_files.write_audio, nj)
    test_utts = _write_speakers(wav_root, test, seed, size, "wav", audio_files.write_audio, nj)
    _write_vox1_lists(out / "vox1", seed, size, dev_utts, test_utts)
    if test_condition == "noisy":
        write_noisy_copy(out / "vox1", out / "vox1_noisy", test_utts, seed, nj)
    _write_speakers(out / "vox2" / "dev" / "aac", vox2, seed, size, "m4a", audio_files.write_m4a, nj)
