"""lhotse interop: metricvox-import-lhotse and metricvox-export-lhotse, checked against the
manifests lhotse itself builds and reads back."""
import gzip

import numpy as np
import pytest
import soundfile
from lhotse import (AudioSource, CutSet, Recording, RecordingSet, SupervisionSegment,
                    SupervisionSet)

from conftest import input_error_text, run_tool
from metricvox.data.lhotse_import import (data_dir_tables, read_cuts,
                                          read_recordings_and_supervisions)

SUPERVISIONS = [  # id, recording, start, duration, channel, speaker, text
    ("spkA-r1-a", "r1", 0.1, 0.8, 0, "spkA", "hello there"),
    ("spkB-r1-b", "r1", 0.5, 1.0, 0, "spkB", None),     # overlaps the one before
    ("spkA-r2", "r2", 0.0, 3.0, [0, 1], "spkA", None),  # all of a stereo recording
    ("spkC-r3", "r3", 0.25, 0.5, 0, "spkC", "bye"),     # of a command's audio
]


def _recordings(d):
    rng = np.random.default_rng(0)
    soundfile.write(d / "r1.wav", 0.1 * rng.normal(size=32000).astype(np.float32), 16000)
    soundfile.write(d / "r2.wav", 0.1 * rng.normal(size=(24000, 2)).astype(np.float32), 8000)
    soundfile.write(d / "r3.flac", 0.1 * rng.normal(size=16000).astype(np.float32), 16000)
    command = Recording("r3", [AudioSource("command", [0], f"sox {d}/r3.flac -t wav -")], 16000,
                        16000, 1.0)
    return RecordingSet.from_recordings([Recording.from_file(d / "r1.wav"),
                                         Recording.from_file(d / "r2.wav"), command])


def _supervisions(rows=SUPERVISIONS):
    return SupervisionSet.from_segments([
        SupervisionSegment(i, r, start, duration, channel=channel, speaker=speaker, text=text)
        for i, r, start, duration, channel, speaker, text in rows])


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    d = tmp_path_factory.mktemp("lhotse")
    _recordings(d).to_file(d / "recordings.jsonl.gz")
    _supervisions().to_file(d / "supervisions.jsonl")
    return d


def _table(path):
    return dict(line.split(" ", 1) if " " in line else (line, "") for line in path.read_text().splitlines())


def test_a_round_trip_keeps_every_key_duration_and_speaker(manifests, tmp_path):
    d = manifests
    proc = run_tool("metricvox-import-lhotse", "--recordings", d / "recordings.jsonl.gz",
                    "--supervisions", d / "supervisions.jsonl", tmp_path / "data")
    assert "1 supervisions overlap another of their recording (first: 'spkA-r1-a' and 'spkB-r1-b'" in proc.stderr
    data = tmp_path / "data"
    assert _table(data / "wav.scp") == {"r1": f"{d}/r1.wav", "r2": f"{d}/r2.wav",
                                        "r3": f"sox {d}/r3.flac -t wav - |"}
    assert _table(data / "segments") == {
        i: f"{r} {start!r} {round(start + duration, 7)!r}" for i, r, start, duration, *_ in SUPERVISIONS}
    assert _table(data / "utt2spk") == {i: speaker for i, *_, speaker, _ in SUPERVISIONS}
    assert _table(data / "spk2utt") == {"spkA": "spkA-r1-a spkA-r2", "spkB": "spkB-r1-b", "spkC": "spkC-r3"}
    assert _table(data / "reco2dur") == {"r1": "2.0", "r2": "3.0", "r3": "1.0"}
    assert _table(data / "text") == {i: text or "" for i, *_, text in SUPERVISIONS}
    assert {k: float(v) for k, v in _table(data / "utt2dur").items()} == pytest.approx(
        {i: duration for i, _, _, duration, *_ in SUPERVISIONS}, abs=1e-9)

    run_tool("metricvox-export-lhotse", data, tmp_path / "r.jsonl.gz", tmp_path / "s.jsonl")
    with gzip.open(tmp_path / "r.jsonl.gz") as stream:   # gzipped as its name says
        stream.read()
    recordings = {r.id: r for r in RecordingSet.from_file(tmp_path / "r.jsonl.gz")}
    before = RecordingSet.from_file(d / "recordings.jsonl.gz")
    assert sorted(recordings) == sorted(r.id for r in before)
    for recording in before:
        assert recordings[recording.id].to_dict() == recording.to_dict()
    supervisions = {s.id: s for s in SupervisionSet.from_file(tmp_path / "s.jsonl")}
    assert sorted(supervisions) == sorted(row[0] for row in SUPERVISIONS)
    for i, r, start, duration, channel, speaker, text in SUPERVISIONS:
        after = supervisions[i]
        assert (after.recording_id, after.channel, after.speaker, after.text) == (r, channel, speaker, text)
        assert (after.start, after.duration) == pytest.approx((start, duration), abs=1e-7)


def test_whole_recordings_need_no_segments_and_cuts_give_the_same_tables(manifests, tmp_path):
    d = manifests
    whole = [("r1", "r1", 0.0, 2.0, 0, "spkA", None), ("r2", "r2", 0.0, 3.0, [0, 1], "spkB", None),
             ("r3", "r3", 0.0, 1.0, 0, "spkA", None)]
    _supervisions(whole).to_file(tmp_path / "whole.jsonl")
    tables = data_dir_tables(*read_recordings_and_supervisions(d / "recordings.jsonl.gz",
                                                               tmp_path / "whole.jsonl"))
    assert "segments" not in tables and [key for key, _ in tables["wav.scp"]] == ["r1", "r2", "r3"]
    assert tables["utt2spk"] == [("r1", "spkA"), ("r2", "spkB"), ("r3", "spkA")]

    # lhotse cuts one cut per supervision, each supervision's times relative to its cut
    recordings = RecordingSet.from_file(d / "recordings.jsonl.gz")
    cuts = CutSet.from_manifests(recordings, _supervisions()).trim_to_supervisions(keep_overlapping=False)
    assert {cut.start for cut in cuts} == {row[2] for row in SUPERVISIONS}
    cuts.to_file(tmp_path / "cuts.jsonl.gz")
    from_cuts = data_dir_tables(*read_cuts(tmp_path / "cuts.jsonl.gz"))
    from_sets = data_dir_tables(*read_recordings_and_supervisions(d / "recordings.jsonl.gz",
                                                                  d / "supervisions.jsonl"))
    assert from_cuts == from_sets
    cuts = list(cuts)
    CutSet.from_cuts([cuts[0], cuts[0].mix(cuts[1])]).to_file(tmp_path / "mixed.jsonl")
    assert input_error_text(read_cuts, tmp_path / "mixed.jsonl") == \
        f"{tmp_path}/mixed.jsonl:2: expected a lhotse cut of one recording, got a MixedCut"


@pytest.mark.parametrize("rows, message", [
    ([SUPERVISIONS[0], ("x", "r9", 0.0, 1.0, 0, "spkA", None)],
     "s.jsonl:2: supervision 'x' is of recording 'r9', which is not in the recordings"),
    ([("late", "r1", 1.5, 0.6, 0, "spkA", None)],
     "s.jsonl:1: supervision 'late' ends at 2.1 s, after the end of recording 'r1' (2 s long)"),
    ([SUPERVISIONS[0], ("mute", "r1", 0.0, 1.0, 0, None, None)], "s.jsonl:2: supervision 'mute' has no speaker"),
    ([("left", "r2", 0.0, 1.0, 0, "spkA", None)],
     "s.jsonl:1: supervision 'left' is on channel(s) [0] of the 2-channel recording 'r2'"),
    ([SUPERVISIONS[0], SUPERVISIONS[0]], "s.jsonl:2: supervision 'spkA-r1-a' is given twice"),
    ([("a b", "r1", 0.0, 1.0, 0, "spkA", None)], "s.jsonl:1: supervision id 'a b' is empty or holds whitespace"),
])
def test_bad_supervisions_are_errors_at_their_line(manifests, tmp_path, rows, message):
    _supervisions(rows).to_file(tmp_path / "s.jsonl")
    text = input_error_text(lambda: data_dir_tables(*read_recordings_and_supervisions(
        manifests / "recordings.jsonl.gz", tmp_path / "s.jsonl")))
    assert text == f"{tmp_path}/{message}" or text.startswith(f"{tmp_path}/{message}")


def test_bad_manifests_are_errors_at_their_line(manifests, tmp_path):
    good = (manifests / "supervisions.jsonl").read_text().splitlines()
    (tmp_path / "cut.jsonl").write_text(good[0] + "\n" + good[1][:-9] + "\n")
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(b"x" * 100)[:30])
    (tmp_path / "empty.jsonl").write_text("")
    recordings = manifests / "recordings.jsonl.gz"
    for supervisions, message in [
            (tmp_path / "cut.jsonl", "cut.jsonl:2: not a lhotse supervision manifest line (JSONDecodeError"),
            (tmp_path / "broken.jsonl.gz", "broken.jsonl.gz:1: not a lhotse supervision manifest line"),
            (tmp_path / "empty.jsonl", "empty.jsonl: the supervision manifest is empty"),
            (tmp_path / "missing.jsonl", "missing.jsonl: no such supervision manifest"),
            (recordings, "recordings.jsonl.gz:1: expected a lhotse SupervisionSegment, got a Recording")]:
        text = input_error_text(read_recordings_and_supervisions, recordings, supervisions)
        assert message in text and "\n" not in text
