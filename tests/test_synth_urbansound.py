"""The UrbanSound8K stand-in: folds, metadata, slice names and the mixed audio formats."""
import csv
import re
from collections import defaultdict

import numpy as np
import pytest
import soundfile as sf

from conftest import assert_one_line_error, run_tool
from metricvox.synth import urban_sources, urbansound
from metricvox.synth.seeding import stream

REAL_CLASSES = {0: "air_conditioner", 1: "car_horn", 2: "children_playing", 3: "dog_bark", 4: "drilling",
                5: "engine_idling", 6: "gun_shot", 7: "jackhammer", 8: "siren", 9: "street_music"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("urban") / "UrbanSound8K"
    run_tool("metricvox-synth-corpus", "--kind", "urbansound", "--size", "mini", "--seed", "2", "--out", out)
    return out


@pytest.fixture(scope="module")
def rows(corpus):
    with open(corpus / "metadata" / "UrbanSound8K.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_metadata_has_the_real_columns_and_classes(rows):
    assert list(rows[0]) == ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"]
    assert {int(r["classID"]): r["class"] for r in rows} == REAL_CLASSES
    assert {r["salience"] for r in rows} <= {"1", "2"}
    assert {int(r["fold"]) for r in rows} == set(range(1, 11))
    names = [r["slice_file_name"] for r in rows]
    assert names == sorted(names) and len(set(names)) == len(names)


def test_rerun_is_a_no_op_and_another_corpus_is_refused(corpus):
    csv_file = corpus / "metadata" / "UrbanSound8K.csv"
    stamp = csv_file.stat().st_mtime_ns
    again = run_tool("metricvox-synth-corpus", "--kind", "urbansound", "--size", "mini", "--seed", "2",
                     "--out", corpus)
    assert "nothing to do" in again.stderr
    other = run_tool("metricvox-synth-corpus", "--kind", "urbansound", "--size", "mini", "--seed", "3",
                     "--out", corpus, check=False)
    assert_one_line_error(other, str(corpus), "another synthetic corpus")
    assert csv_file.stat().st_mtime_ns == stamp


def test_file_names_agree_with_metadata_and_folds(corpus, rows):
    listed = set()
    for r in rows:
        fs_id, class_id, occurrence, slice_id = re.fullmatch(r"(\d+)-(\d)-(\d+)-(\d+)\.wav",
                                                             r["slice_file_name"]).groups()
        assert (fs_id, class_id) == (r["fsID"], r["classID"])
        assert (corpus / "audio" / f"fold{r['fold']}" / r["slice_file_name"]).is_file()
        listed.add(f"fold{r['fold']}/{r['slice_file_name']}")
    on_disk = {p.relative_to(corpus / "audio").as_posix() for p in (corpus / "audio").rglob("*.wav")}
    assert on_disk == listed


def test_all_slices_of_a_recording_share_one_fold_class_and_format(corpus, rows):
    folds, classes, formats = defaultdict(set), defaultdict(set), defaultdict(set)
    for r in rows:
        info = sf.info(str(corpus / "audio" / f"fold{r['fold']}" / r["slice_file_name"]))
        folds[r["fsID"]].add(r["fold"])
        classes[r["fsID"]].add(r["classID"])
        formats[r["fsID"]].add((info.samplerate, info.subtype, info.channels))
    assert all(len(s) == 1 for s in folds.values())
    assert all(len(s) == 1 for s in classes.values())
    assert all(len(s) == 1 for s in formats.values())


def test_slices_are_at_most_4_s_and_timed_in_their_recording(corpus, rows):
    previous_end = {}
    for r in rows:
        info = sf.info(str(corpus / "audio" / f"fold{r['fold']}" / r["slice_file_name"]))
        start, end = float(r["start"]), float(r["end"])
        assert 0 < info.duration <= 4.0 + 1e-6
        assert abs((end - start) - info.duration) < 2e-3
        key = r["slice_file_name"].rsplit("-", 1)[0]  # fsID-class-occurrence
        slice_id = int(r["slice_file_name"].rsplit("-", 1)[1][:-4])
        if slice_id > 0:  # consecutive slices of one occurrence follow each other
            assert abs(previous_end[key, slice_id - 1] - start) < 1e-3
        previous_end[key, slice_id] = end


def test_formats_are_mixed_like_the_real_corpus(corpus, rows):
    seen = set()
    for r in rows:
        info = sf.info(str(corpus / "audio" / f"fold{r['fold']}" / r["slice_file_name"]))
        assert info.format == "WAV"
        assert info.subtype in {"PCM_U8", "PCM_16", "PCM_24", "FLOAT"}
        assert info.channels in (1, 2)
        data, rate = sf.read(str(corpus / "audio" / f"fold{r['fold']}" / r["slice_file_name"]))
        assert rate == info.samplerate and abs(data).max() > 0.01
        seen.add((info.samplerate, info.subtype, info.channels))
    assert len({s[0] for s in seen}) >= 2
    assert len({s[1] for s in seen}) >= 2
    assert {s[2] for s in seen} == {1, 2}


@pytest.mark.parametrize("rate", [8000, 11025])
def test_every_source_renders_at_the_extreme_sample_rates(rate):
    for class_id, name in REAL_CLASSES.items():
        for salience in (1, 2):
            audio = urbansound.occurrence(name, 0.5, rate, 2, salience, stream(rate, class_id, salience))
            assert audio.shape == (rate // 2, 2) and np.isfinite(audio).all() and audio.std() > 0, name


def test_sources_fill_exactly_the_requested_length_whatever_it_is():
    for seed in range(10):
        for name in REAL_CLASSES.values():
            if name == "children_playing":  # speech synthesis: slow, and covered above
                continue
            n = int(stream(seed, "length").uniform(0.2, 4.0) * 22050)
            audio = urban_sources.source(name, n, 22050, stream(seed, name))
            assert len(audio) == n and np.isfinite(audio).all(), (name, seed)
