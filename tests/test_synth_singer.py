"""The singer catalogue stand-in: layout, MP3 mixes, stems, phrase time stamps."""
import csv

import numpy as np
import pytest
import soundfile as sf

from metricvox.synth import singer

TINY = singer.Size(seen=2, seen_tested=1, unseen=1, seconds=7.0, tracks_per_set=2)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    out = tmp_path_factory.mktemp("singer")
    singer.write_corpus(out, TINY, seed=3)
    return out


def _rows(root):
    with open(root / "catalogue.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_catalogue_lists_every_track_with_its_set(catalogue):
    rows = _rows(catalogue)
    assert list(rows[0]) == ["singer", "track", "album", "set"]
    by_singer = {}
    for row in rows:
        by_singer.setdefault(row["singer"], []).append((row["track"], row["set"]))
        assert (catalogue / "audio" / row["singer"] / f"{row['track']}.mp3").is_file()
        assert (catalogue / "phrases" / row["singer"] / f"{row['track']}.txt").is_file()
        for stem in ("vocals", "accompaniment"):
            assert (catalogue / "stems" / row["singer"] / row["track"] / f"{stem}.wav").is_file()
    assert by_singer == {
        "singer0001": [("track01", "train"), ("track02", "train"), ("track03", "test"), ("track04", "test")],
        "singer0002": [("track01", "train"), ("track02", "train")],
        "singer0003": [("track01", "test"), ("track02", "test")],  # unseen: test tracks only
    }
    n_files = len(list((catalogue / "audio").rglob("*.mp3")))
    assert n_files == len(rows)


def test_paper_sizes_have_ten_tracks_per_singer_and_set():
    for size in singer.SIZES.values():
        assert size.tracks_per_set == 10


def test_mixes_are_44k_mp3_and_stems_44k_wav(catalogue):
    for path in (catalogue / "audio").rglob("*.mp3"):
        info = sf.info(str(path))
        assert (info.format, info.subtype, info.samplerate, info.channels) == ("MP3", "MPEG_LAYER_III", 44100, 1)
        assert abs(info.duration - TINY.seconds) < 0.1
    for path in (catalogue / "stems").rglob("*.wav"):
        info = sf.info(str(path))
        assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", 44100, 1)


def _tracks(catalogue):
    for row in _rows(catalogue):
        stems = catalogue / "stems" / row["singer"] / row["track"]
        yield row, stems


def test_mixture_is_vocals_plus_accompaniment(catalogue):
    for row, stems in _tracks(catalogue):
        vocals, _ = sf.read(str(stems / "vocals.wav"))
        band, _ = sf.read(str(stems / "accompaniment.wav"))
        mix, _ = sf.read(str(catalogue / "audio" / row["singer"] / f"{row['track']}.mp3"))
        n = min(len(mix), len(vocals))
        reference = vocals[:n] + band[:n]
        snr = 10 * np.log10(np.sum(reference ** 2) / np.sum((mix[:n] - reference) ** 2))
        assert snr > 10.0, (row, snr)  # MP3 coding error only
        # Least squares mix ~ a * vocals + b * band: both stems in at unit gain.
        gains = np.linalg.lstsq(np.stack([vocals[:n], band[:n]], 1), mix[:n], rcond=None)[0]
        np.testing.assert_allclose(gains, [1.0, 1.0], atol=0.05)
        # and the vocal really is in the mix at an audible level, not a silent stem
        assert np.sqrt(np.mean(vocals ** 2)) > 0.1 * np.sqrt(np.mean(band ** 2))


def test_phrase_stamps_match_the_clean_vocal(catalogue):
    for row, stems in _tracks(catalogue):
        vocals, rate = sf.read(str(stems / "vocals.wav"))
        lines = (catalogue / "phrases" / row["singer"] / f"{row['track']}.txt").read_text().splitlines()
        phrases = [tuple(map(float, line.split())) for line in lines]
        assert phrases and all(0 <= a < b <= TINY.seconds for a, b in phrases)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(phrases, phrases[1:]))
        inside = np.zeros(len(vocals), dtype=bool)
        edges = np.zeros(len(vocals), dtype=bool)  # the voice fades in and out over ~20 ms
        guard = int(0.03 * rate)
        for onset, offset in phrases:
            inside[int(onset * rate):int(offset * rate)] = True
            for edge in (int(onset * rate), int(offset * rate)):
                edges[max(edge - guard, 0):edge + guard] = True
        outside = ~inside & ~edges
        power_in = np.mean(vocals[inside] ** 2)
        power_out = np.mean(vocals[outside] ** 2) if outside.any() else 0.0
        assert 10 * np.log10(power_in / max(power_out, 1e-12)) > 20.0, row


def test_same_seed_gives_byte_identical_catalogue(catalogue, tmp_path):
    one_singer = singer.Size(seen=1, seen_tested=0, unseen=0, seconds=4.0, tracks_per_set=1)
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        singer.write_corpus(tmp_path / name, one_singer, seed)
    trees = [{p.relative_to(tmp_path / n).as_posix(): p.read_bytes()
              for p in sorted((tmp_path / n).rglob("*")) if p.is_file()} for n in "abc"]
    assert any(k.endswith(".mp3") for k in trees[0])
    assert trees[0] == trees[1]
    assert trees[0] != trees[2]
