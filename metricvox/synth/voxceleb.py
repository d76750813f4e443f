"""VoxCeleb stand-in in VoxCeleb's own layout::

    vox1/wav/idNNNNN/<11-char video id>/<nnnnn>.wav    16 kHz, 16-bit PCM, mono
    vox1/veri_test.txt                                  "1|0 enroll test" per line
    vox2/dev/aac/idNNNNN/<video id>/<nnnnn>.m4a         16 kHz AAC (only when ffmpeg exists)

VoxCeleb1 test speakers are id10270, id10271, ...; VoxCeleb1 dev speakers id10001,
id10002, ... (below the test range); VoxCeleb2 dev speakers id00012, id00013, ...
All three sets are disjoint. ``veri_test.txt`` pairs test utterances only, half
targets (the same speaker, from another video whenever there is one) and half
non-targets, grouped by enrollment utterance as in the real list.

Each speaker is a :class:`~metricvox.synth.voice.Voice`; each video gets its own
session variant of the voice and its own channel (microphone, room, background
noise, level), so within-speaker variability across videos is real.
"""
import logging
import string
from dataclasses import dataclass

from metricvox.synth import audio_files, channel, seeding, speech, voice
from metricvox.synth.parallel import in_processes

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
log = logging.getLogger(__name__)


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
GENERATION = 2
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
    """Write one speaker's files; returns their paths relative to the root."""
    root, speaker, seed, size, suffix, write = job
    written = []
    for vid, number, audio in speaker_recordings(seed, speaker, size):
        rel = f"{speaker}/{vid}/{number:05d}.{suffix}"
        write(root / rel, audio, SAMPLE_RATE)
        written.append(rel)
    return written


def _write_speakers(root, speakers, seed, size, suffix, write, nj):
    jobs = [(root, speaker, seed, size, suffix, write) for speaker in speakers]
    files = in_processes(_write_speaker, jobs, nj, desc=f"speakers {root.name}", unit="spk")
    return dict(zip(speakers, files))


def verification_trials(utterances, per_enrollment, rng):
    """Balanced VoxCeleb-style trials: [(label, enroll, test)], label 1 = same speaker."""
    all_utts = sorted(u for utts in utterances.values() for u in utts)
    trials = []
    for enroll in all_utts:
        speaker, video = enroll.split("/")[:2]
        same = [u for u in utterances[speaker] if u != enroll]
        other_video = [u for u in same if u.split("/")[1] != video]
        pool = other_video if len(other_video) >= per_enrollment else same
        targets = rng.choice(pool, size=min(per_enrollment, len(pool)), replace=False)
        others = [u for u in all_utts if not u.startswith(speaker + "/")]
        nontargets = rng.choice(others, size=len(targets), replace=False)
        trials += [(1, enroll, str(t)) for t in targets] + [(0, enroll, str(n)) for n in nontargets]
    return trials


def write_corpus(out, size, seed, nj=1):
    """Write the corpus into ``out`` with ``nj`` processes; ``size`` is a name in SIZES or a
    :class:`Size`."""
    size = SIZES.get(size, size)
    test = [f"id{FIRST_TEST_SPEAKER + i}" for i in range(size.test_speakers)]
    dev = [f"id{FIRST_DEV_SPEAKER + i}" for i in range(size.dev_speakers)]
    vox2 = [f"id{FIRST_VOX2_SPEAKER + i:05d}" for i in range(size.vox2_speakers)]
    assert FIRST_DEV_SPEAKER + size.dev_speakers <= FIRST_TEST_SPEAKER
    wav_root = out / "vox1" / "wav"
    _write_speakers(wav_root, dev, seed, size, "wav", audio_files.write_audio, nj)
    test_utts = _write_speakers(wav_root, test, seed, size, "wav", audio_files.write_audio, nj)
    trials = verification_trials(test_utts, size.trials_per_enrollment, seeding.stream(seed, "voxceleb", "trials"))
    (out / "vox1" / "veri_test.txt").write_text("".join(f"{l} {e} {t}\n" for l, e, t in trials))
    if audio_files.have_ffmpeg():
        _write_speakers(out / "vox2" / "dev" / "aac", vox2, seed, size, "m4a", audio_files.write_m4a,
                        nj)
    else:
        log.warning("ffmpeg not found: VoxCeleb2 part (vox2/dev/aac, m4a) skipped")
