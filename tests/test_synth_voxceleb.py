"""The VoxCeleb stand-in: layout, trial list, audio formats, determinism."""
import re
import subprocess
from collections import Counter

import numpy as np
import pytest
import soundfile as sf

from conftest import run_tool
from metricvox.synth import audio_files, voxceleb

TINY = voxceleb.Size(dev_speakers=1, test_speakers=2, vox2_speakers=1, videos=(2, 2), utterances=(1, 1),
                     seconds=(1.0, 1.2), trials_per_enrollment=1)
VIDEO = r"[A-Za-z0-9][A-Za-z0-9_-]{10}"


@pytest.fixture(scope="module")
def voxceleb_mini(tmp_path_factory):
    """The mini corpus with its noisy test condition, generated once per test session by the
    real tool (later calls are no-ops)."""
    out = tmp_path_factory.getbasetemp() / "voxceleb-mini"
    run_tool("metricvox-synth-corpus", "--kind", "voxceleb", "--size", "mini", "--seed", "7", "--out", out,
             "--test-condition", "noisy")
    return out


def _speakers(root):
    return {p.name for p in root.iterdir()}


def test_vox1_layout_and_format(voxceleb_mini):
    wavs = sorted((voxceleb_mini / "vox1" / "wav").rglob("*"))
    files = [p for p in wavs if p.is_file()]
    assert files
    for path in files:
        rel = path.relative_to(voxceleb_mini / "vox1" / "wav").as_posix()
        assert re.fullmatch(rf"id1\d{{4}}/{VIDEO}/\d{{5}}\.wav", rel), rel
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")
        assert info.duration >= 1.5


def test_the_tool_adds_the_noisy_test_condition(voxceleb_mini):
    noisy = sorted(p.relative_to(voxceleb_mini / "vox1_noisy" / "wav").as_posix()
                   for p in (voxceleb_mini / "vox1_noisy" / "wav").rglob("*.wav"))
    assert noisy and all(n.startswith("id1027") for n in noisy)
    assert all((voxceleb_mini / "vox1" / "wav" / n).is_file() for n in noisy)
    assert '"test_condition": "noisy"' in (voxceleb_mini / ".metricvox-synth-complete").read_text()


def test_speaker_sets_are_disjoint_and_numbered_like_the_real_ones(voxceleb_mini):
    vox1 = _speakers(voxceleb_mini / "vox1" / "wav")
    vox2 = _speakers(voxceleb_mini / "vox2" / "dev" / "aac")
    trials = (voxceleb_mini / "vox1" / "veri_test.txt").read_text().split()
    test = {field.split("/")[0] for field in trials if "/" in field}
    dev = vox1 - test
    assert test == {f"id{10270 + i}" for i in range(voxceleb.SIZES["mini"].test_speakers)}
    assert len(dev) == voxceleb.SIZES["mini"].dev_speakers and all(int(s[2:]) < 10270 for s in dev)
    assert len(vox2) == voxceleb.SIZES["mini"].vox2_speakers and not vox2 & vox1
    assert all(re.fullmatch(r"id0\d{4}", s) for s in vox2)


def test_trial_list_is_balanced_voxceleb_format(voxceleb_mini):
    lines = (voxceleb_mini / "vox1" / "veri_test.txt").read_text().splitlines()
    assert len(lines) >= 80
    labels = Counter()
    for line in lines:
        label, enroll, test = line.split(" ")
        assert re.fullmatch(rf"id1027\d/{VIDEO}/\d{{5}}\.wav", enroll), line
        assert (voxceleb_mini / "vox1" / "wav" / enroll).is_file()
        assert (voxceleb_mini / "vox1" / "wav" / test).is_file()
        assert enroll != test
        assert label == ("1" if enroll.split("/")[0] == test.split("/")[0] else "0"), line
        labels[label] += 1
    assert labels["1"] == labels["0"]
    assert len(set(lines)) == len(lines)


def _lines(path):
    return [line.split(" ") for line in path.read_text().splitlines()]


def _meta(vox1):
    rows = [line.split("\t") for line in (vox1 / "vox1_meta.csv").read_text().splitlines()]
    assert rows[0] == ["VoxCeleb1 ID", "VGGFace1 ID", "Gender", "Nationality", "Set"]
    return {row[0]: row[2:] for row in rows[1:]}


def test_cleaned_extended_and_hard_lists_as_the_real_ones(voxceleb_mini):
    vox1 = voxceleb_mini / "vox1"
    meta = _meta(vox1)
    wavs = {p.relative_to(vox1 / "wav").as_posix() for p in (vox1 / "wav").rglob("*.wav")}
    assert set(meta) == {w.split("/")[0] for w in wavs}
    assert {g for g, _, _ in meta.values()} == {"f", "m"}
    test_speakers = {e.split("/")[0] for _, e, _ in _lines(vox1 / "veri_test.txt")}
    assert {s for s, (_, _, split) in meta.items() if split == "test"} == test_speakers

    original, cleaned = _lines(vox1 / "veri_test.txt"), _lines(vox1 / "veri_test2.txt")
    assert 0 < len(cleaned) <= len(original) and all(t in original for t in cleaned)

    for name in ("list_test_all2.txt", "list_test_hard2.txt"):
        trials = _lines(vox1 / name)
        assert trials and all(e in wavs and t in wavs for _, e, t in trials)
        assert Counter(label for label, _, _ in trials) == {"1": len(trials) // 2, "0": len(trials) // 2}
        for label, enroll, test in trials:
            assert label == ("1" if enroll.split("/")[0] == test.split("/")[0] else "0")
    extended = _lines(vox1 / "list_test_all2.txt")
    assert {e.split("/")[0] for _, e, _ in extended} - test_speakers, "-E must reach the dev speakers"
    for label, enroll, test in _lines(vox1 / "list_test_hard2.txt"):
        if label == "0":  # -H: a non-target shares gender and nationality with the enrollment
            assert meta[enroll.split("/")[0]][:2] == meta[test.split("/")[0]][:2]


def test_vox2_is_16k_aac_in_mp4(voxceleb_mini):
    files = sorted((voxceleb_mini / "vox2" / "dev" / "aac").rglob("*.m4a"))
    assert files
    rel = files[0].relative_to(voxceleb_mini / "vox2" / "dev" / "aac").as_posix()
    assert re.fullmatch(rf"id0\d{{4}}/{VIDEO}/\d{{5}}\.m4a", rel)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
                            "-of", "csv=p=0", str(files[0])], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "aac,16000,1"
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(files[0]), "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 1000  # real sound, not silence


def test_recordings_of_a_speaker_differ_between_videos():
    """Same speaker, other video: other channel and level, so not the same spectrum."""
    recordings = list(voxceleb.speaker_recordings(3, "id10001", TINY))
    videos = {vid for vid, _, _ in recordings}
    assert len(videos) == 2
    spectra = [np.log(np.abs(np.fft.rfft(audio[:16000])) + 1e-6) for _, _, audio in recordings]
    assert np.std(spectra[0] - spectra[1]) > 0.5


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_corpus_whatever_the_process_count(tmp_path):
    for name, seed, nj in (("a", 5, 1), ("b", 5, 2), ("c", 6, 1)):
        voxceleb.write_corpus(tmp_path / name, TINY, seed, nj)
    first, second, other = (_tree_bytes(tmp_path / n) for n in "abc")
    assert any(k.endswith(".m4a") for k in first)
    assert first == second
    assert first != other


def test_vox2_needs_no_ffmpeg_program(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # AAC is encoded in-process
    voxceleb.write_corpus(tmp_path / "c", TINY, 1)
    assert len(list((tmp_path / "c" / "vox2" / "dev" / "aac").rglob("*.m4a"))) == 2


def test_m4a_holds_the_signal_without_offset(tmp_path):
    """The ffmpeg CLI's decode of a written m4a is the signal: no priming delay, same level."""
    t = np.arange(32000) / 16000
    signal = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(len(t))
    audio_files.write_m4a(tmp_path / "x.m4a", signal, 16000)
    decoded = np.frombuffer(subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "x.m4a"), "-f",
                                            "f32le", "-"], capture_output=True, check=True).stdout, "<f4")
    assert len(signal) <= len(decoded) < len(signal) + 1024  # up to the end of the last AAC frame
    lags = range(-1024, 1025)
    scores = [np.dot(signal[2048:30000], decoded[2048 + lag:30000 + lag]) for lag in lags]
    assert lags[int(np.argmax(scores))] == 0
    assert np.corrcoef(signal[2048:30000], decoded[2048:30000])[0, 1] > 0.99
