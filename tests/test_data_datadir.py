"""Data-directory tools on small hand-written data dirs, with the expected files written out."""
import numpy as np
import pytest
import soundfile

from conftest import assert_one_line_error, run_tool


def _write(directory, **tables):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (directory / name.replace("_scp", ".scp")).write_text(text)
    return directory


def _read(directory):
    return {p.name: p.read_text() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def good(tmp_path):
    return _write(
        tmp_path / "good",
        wav_scp="r1 /a/r1.wav\nr2 ffmpeg -v quiet -i /a/r2.m4a -f wav - |\nr3 /a/r3.wav\n",
        segments="spkA-1 r1 0 2.5\nspkA-2 r1 2.5 -1\nspkB-1 r2 0.1 1.1\nspkC-1 r3 0 3\n",
        utt2spk="spkA-1 spkA\nspkA-2 spkA\nspkB-1 spkB\nspkC-1 spkC\n",
        spk2utt="spkA spkA-1 spkA-2\nspkB spkB-1\nspkC spkC-1\n",
        utt2label="spkA-1 dog\nspkA-2 dog\nspkB-1 siren\nspkC-1 dog\n",
        trials="spkA-1 spkA-2 target\nspkA-1 spkB-1 nontarget\n",
    )


def test_valid_dir_passes(good):
    proc = run_tool("metricvox-validate-data-dir", good)
    assert "is a valid data directory" in proc.stderr


@pytest.mark.parametrize("name, text, where, fragment", [
    ("utt2spk", "spkA-2 spkA\nspkA-1 spkA\nspkB-1 spkB\nspkC-1 spkC\n", "utt2spk:2", "out of order"),
    ("utt2spk", "spkA-1 spkA\nspkA-1 spkA\nspkB-1 spkB\nspkC-1 spkC\n", "utt2spk:2", "duplicate key 'spkA-1'"),
    ("utt2label", "spkA-1 dog\nspkA-2 dog\nspkC-1 dog\n", "utt2spk:3", "'spkB-1' has no entry in utt2label"),
    ("utt2label", "spkA-1 dog\nspkA-2 dog\nspkB-1 siren\nspkC-1 dog\nspkD-1 cat\n", "utt2label:5",
     "'spkD-1' is not in utt2spk"),
    ("spk2utt", "spkA spkA-1\nspkB spkB-1 spkA-2\nspkC spkC-1\n", "spk2utt:2", "belongs to 'spkA'"),
    ("spk2utt", "spkA spkA-1 spkA-2\nspkB spkB-1\n", "utt2spk:4", "missing from spk2utt"),
    ("segments", "spkA-1 r1 0 2.5\nspkA-2 r1 2.5 -1\nspkB-1 r9 0.1 1.1\nspkC-1 r3 0 3\n", "segments:3",
     "recording 'r9' is not in wav.scp"),
    ("segments", "spkA-1 r1 0 2.5\nspkA-2 r1 2.5 -1\nspkB-1 r2 0.1 1.1\nspkC-1 r3 3 3\n", "segments:4",
     "bad segment times"),
    ("utt2spk", "spkA-1 spkA x\nspkA-2 spkA\nspkB-1 spkB\nspkC-1 spkC\n", "utt2spk:1", "expected 2 fields, got 3"),
    ("trials", "spkA-1 spkA-2 target\nspkA-1 nobody nontarget\n", "trials:2", "'nobody' is not in this data dir"),
])
def test_each_inconsistency_is_reported_at_file_and_line(good, name, text, where, fragment):
    (good / name).write_text(text)
    proc = run_tool("metricvox-validate-data-dir", good, check=False)
    assert_one_line_error(proc, f"{good}/{where}: ", fragment)


def test_all_problems_are_listed(good):
    (good / "utt2label").write_text("spkA-1 dog\nspkC-1 dog\nspkD-1 cat\n")
    proc = run_tool("metricvox-validate-data-dir", good, check=False)
    assert_one_line_error(proc, "(and 2 more problems, listed above)")
    assert f"{good}/utt2label:3: utterance 'spkD-1' is not in utt2spk" in proc.stderr
    assert f"{good}/utt2spk:2: utterance 'spkA-2' has no entry in utt2label" in proc.stderr


def test_a_segment_past_its_recordings_end_in_reco2dur_is_reported(good):
    # The recordings of the fixture do not exist (r2 is a pipe): reco2dur is all there is to go by.
    (good / "reco2dur").write_text("r1 4.0\nr2 1.0\nr3 2.75\n")
    proc = run_tool("metricvox-validate-data-dir", good, check=False)
    assert_one_line_error(proc, f"{good}/segments:3: ", "ends at 1.1 s, after the end of recording 'r2'",
                          "(and 1 more problem")
    assert f"{good}/segments:4: segment ends at 3.0 s, after the end of recording 'r3'" in proc.stderr
    (good / "reco2dur").write_text("r1 4.0\nr2 1.1\nr3 3.0\n")      # ending exactly at the end is fine
    run_tool("metricvox-validate-data-dir", good)
    (good / "reco2dur").write_text("r1 4.0\nr2 -1\nr3 3.0\n")
    assert_one_line_error(run_tool("metricvox-validate-data-dir", good, check=False),
                          f"{good}/reco2dur:2: ", "duration '-1' is not a positive number")


def test_a_segment_past_the_end_of_its_audio_file_is_reported_from_the_header(good, tmp_path):
    soundfile.write(tmp_path / "r3.wav", np.zeros(16000 * 2), 16000)       # 2 s; the segment ends at 3 s
    (good / "wav.scp").write_text((good / "wav.scp").read_text().replace("/a/r3.wav", str(tmp_path / "r3.wav")))
    assert_one_line_error(run_tool("metricvox-validate-data-dir", good, check=False),
                          f"{good}/segments:4: ", "ends at 3.0 s, after the end of recording 'r3' (2.000 s long)")
    # reco2dur, when there is one, is the recording's length (here a wrong one, to tell).
    (good / "reco2dur").write_text("r1 4.0\nr2 1.5\nr3 3.5\n")
    run_tool("metricvox-validate-data-dir", good)


def test_get_utt2dur_refuses_a_segment_past_the_end_at_its_line(tmp_path):
    soundfile.write(tmp_path / "a.wav", np.zeros(16000), 16000)
    d = _write(tmp_path / "d", wav_scp=f"a {tmp_path}/a.wav\n", segments="x a 0 0.5\ny a 0.5 1.25\n",
               utt2spk="x s\ny s\n")
    assert_one_line_error(run_tool("metricvox-get-utt2dur", d, check=False), f"{d}/segments:2: ",
                          "ends at 1.25 s, after the end of recording 'a' (1.000 s long)")
    assert not (d / "utt2dur").exists()


def test_missing_dir_and_missing_utt2spk(tmp_path):
    assert_one_line_error(run_tool("metricvox-validate-data-dir", tmp_path / "none", check=False),
                          "does not exist")
    _write(tmp_path / "d", wav_scp="a x.wav\n")
    assert_one_line_error(run_tool("metricvox-validate-data-dir", tmp_path / "d", check=False),
                          f"{tmp_path}/d/utt2spk", "needs an utt2spk")


def test_fix_sorts_drops_and_regenerates(tmp_path):
    d = _write(tmp_path / "d",
               wav_scp="r3 /a/r3.wav\nr1 /a/r1.wav\nr2 /a/r2.wav\nr4 /a/r4.wav\n",
               segments="u3 r3 0 1\nu1 r1 0 1\nu2 r2 0 1\nu5 r9 0 1\nu6 r4 0 1\n",
               utt2spk="u2 s1\nu1 s2\nu3 s1\nu4 s3\nu5 s2\nu6 s1\nU0 s2\n",
               utt2label="u1 x\nu2 y\nu3 x\nu4 y\nu5 x\nu6 y\n",
               spk2utt="stale u9\n")
    proc = run_tool("metricvox-fix-data-dir", d)
    # u4 has no segment, U0 no label nor segment, u5's recording is missing, r4... is used by u6.
    assert _read(d) == {
        "segments": "u1 r1 0 1\nu2 r2 0 1\nu3 r3 0 1\nu6 r4 0 1\n",
        "spk2utt": "s1 u2 u3 u6\ns2 u1\n",
        "utt2label": "u1 x\nu2 y\nu3 x\nu6 y\n",
        "utt2spk": "u1 s2\nu2 s1\nu3 s1\nu6 s1\n",
        "wav.scp": "r1 /a/r1.wav\nr2 /a/r2.wav\nr3 /a/r3.wav\nr4 /a/r4.wav\n",
    }
    assert "dropped 1 utterances missing from utt2label" in proc.stderr
    assert "kept 4 of 7 utterances, 2 speakers" in proc.stderr
    run_tool("metricvox-validate-data-dir", d)


def test_fix_drops_unused_recordings_and_fails_when_nothing_is_left(tmp_path):
    d = _write(tmp_path / "d", wav_scp="r1 a.wav\nr2 b.wav\n", segments="u1 r1 0 1\n", utt2spk="u1 s\n")
    run_tool("metricvox-fix-data-dir", d)
    assert (d / "wav.scp").read_text() == "r1 a.wav\n"
    e = _write(tmp_path / "e", wav_scp="a x.wav\n", utt2spk="b s\n")
    assert_one_line_error(run_tool("metricvox-fix-data-dir", e, check=False), "no utterance is left (of 1)")
    assert (e / "utt2spk").read_text() == "b s\n"  # untouched


def test_fix_refuses_duplicates(tmp_path):
    d = _write(tmp_path / "d", wav_scp="a x.wav\n", utt2spk="a s\nb s\na t\n")
    assert_one_line_error(run_tool("metricvox-fix-data-dir", d, check=False), f"{d}/utt2spk:3", "duplicate")


def test_subset_by_speakers_utterances_and_first(good, tmp_path):
    (tmp_path / "spk.list").write_text("spkC\nspkA\nnobody\n")
    proc = run_tool("metricvox-subset-data-dir", "--spk-list", tmp_path / "spk.list", good, tmp_path / "s")
    assert "1 of the 3 speakers listed are not in the data dir" in proc.stderr
    assert _read(tmp_path / "s") == {
        "segments": "spkA-1 r1 0 2.5\nspkA-2 r1 2.5 -1\nspkC-1 r3 0 3\n",
        "spk2utt": "spkA spkA-1 spkA-2\nspkC spkC-1\n",
        "utt2label": "spkA-1 dog\nspkA-2 dog\nspkC-1 dog\n",
        "utt2spk": "spkA-1 spkA\nspkA-2 spkA\nspkC-1 spkC\n",
        "wav.scp": "r1 /a/r1.wav\nr3 /a/r3.wav\n",
    }
    (tmp_path / "utt.list").write_text("spkB-1\nspkA-2\n")
    run_tool("metricvox-subset-data-dir", "--utt-list", tmp_path / "utt.list", good, tmp_path / "u")
    assert (tmp_path / "u" / "utt2spk").read_text() == "spkA-2 spkA\nspkB-1 spkB\n"
    assert (tmp_path / "u" / "wav.scp").read_text() == \
        "r1 /a/r1.wav\nr2 ffmpeg -v quiet -i /a/r2.m4a -f wav - |\n"
    run_tool("metricvox-subset-data-dir", "--first", "1", good, tmp_path / "u")  # replaces the earlier subset
    assert (tmp_path / "u" / "utt2spk").read_text() == "spkA-1 spkA\n"
    assert (tmp_path / "u" / "segments").read_text() == "spkA-1 r1 0 2.5\n"


def test_subset_errors(good, tmp_path):
    (tmp_path / "none.list").write_text("x\n")
    proc = run_tool("metricvox-subset-data-dir", "--utt-list", tmp_path / "none.list", good, tmp_path / "o",
                    check=False)
    assert_one_line_error(proc, f"{tmp_path}/none.list", "none of the utterances listed")
    proc = run_tool("metricvox-subset-data-dir", "--first", "9", good, tmp_path / "o", check=False)
    assert_one_line_error(proc, "only 4")
    assert not (tmp_path / "o").exists()
    proc = run_tool("metricvox-subset-data-dir", "--first", "1", "--utt-list", tmp_path / "none.list", good,
                    tmp_path / "o", check=False)
    assert proc.returncode != 0 and "exactly one of" in proc.stderr


def test_subset_longest_by_frames_then_durations(tmp_path):
    # Lengths 500, 500, then three of 300: the two 300s kept are the first in C order (u1, u3).
    frames = {"u1": 300, "u2": 500, "u3": 300, "u4": 100, "u5": 500, "u6": 300}
    utts = sorted(frames)
    d = _write(tmp_path / "d", wav_scp="".join(f"{u} /{u}.wav\n" for u in utts),
               utt2spk="".join(f"{u} s{u[1]}\n" for u in utts),
               utt2num_frames="".join(f"{u} {frames[u]}\n" for u in utts))
    run_tool("metricvox-subset-data-dir", "--longest", "4", d, tmp_path / "l")
    assert (tmp_path / "l" / "utt2spk").read_text() == "u1 s1\nu2 s2\nu3 s3\nu5 s5\n"
    # Without utt2num_frames, utt2dur decides (here the order differs from the frames').
    (d / "utt2num_frames").unlink()
    (d / "utt2dur").write_text("u1 1.5\nu2 0.25\nu3 2.0\nu4 7.75\nu5 2.0\nu6 0.5\n")
    run_tool("metricvox-subset-data-dir", "--longest", "2", d, tmp_path / "l")
    assert (tmp_path / "l" / "utt2spk").read_text() == "u3 s3\nu4 s4\n"
    (d / "utt2dur").write_text("u1 1.5\nu2 0.25\nu3 x\nu4 7.75\nu5 2.0\nu6 0.5\n")
    proc = run_tool("metricvox-subset-data-dir", "--longest", "2", d, tmp_path / "e", check=False)
    assert_one_line_error(proc, f"{d}/utt2dur:3", "not a positive number")
    (d / "utt2dur").unlink()
    proc = run_tool("metricvox-subset-data-dir", "--longest", "2", d, tmp_path / "e", check=False)
    assert_one_line_error(proc, f"{d}/utt2dur", "needs utt2num_frames or utt2dur")
    assert not (tmp_path / "e").exists()


def test_split_by_utterance_and_by_speaker(tmp_path):
    utts = [f"s{s}-u{u}" for s, n in ((1, 5), (2, 1), (3, 2), (4, 2)) for u in range(n)]
    d = _write(tmp_path / "d", wav_scp="".join(f"{u} /{u}.wav\n" for u in utts),
               utt2spk="".join(f"{u} {u.split('-')[0]}\n" for u in utts))
    run_tool("metricvox-split-data-dir", d, "3")
    sizes = [len((d / "split3" / str(i) / "utt2spk").read_text().splitlines()) for i in (1, 2, 3)]
    assert sizes == [3, 4, 3]
    assert (d / "split3/2/utt2spk").read_text() == "s1-u3 s1\ns1-u4 s1\ns2-u0 s2\ns3-u0 s3\n"
    assert (d / "split3/2/spk2utt").read_text() == "s1 s1-u3 s1-u4\ns2 s2-u0\ns3 s3-u0\n"
    assert (d / "split3/2/wav.scp").read_text() == "s1-u3 /s1-u3.wav\ns1-u4 /s1-u4.wav\ns2-u0 /s2-u0.wav\n" \
                                                   "s3-u0 /s3-u0.wav\n"
    run_tool("metricvox-split-data-dir", "--per-spk", d, "2")
    assert (d / "split2/1/spk2utt").read_text() == "s1 s1-u0 s1-u1 s1-u2 s1-u3 s1-u4\n"
    assert (d / "split2/2/spk2utt").read_text() == "s2 s2-u0\ns3 s3-u0 s3-u1\ns4 s4-u0 s4-u1\n"
    for part in (d / "split3").iterdir():
        run_tool("metricvox-validate-data-dir", part)
    assert_one_line_error(run_tool("metricvox-split-data-dir", "--per-spk", d, "5", check=False),
                          "cannot split 4 speakers into 5")
    assert_one_line_error(run_tool("metricvox-split-data-dir", d, "11", check=False),
                          f"{d}: ", "cannot split 10 utterances into 11 non-empty parts")
    assert not (d / "split5").exists() and not (d / "split11").exists()


def test_combine(tmp_path):
    a = _write(tmp_path / "a", wav_scp="a1 /a1.wav\na2 /a2.wav\n", utt2spk="a1 sa\na2 sb\n",
               utt2label="a1 x\na2 y\n")
    b = _write(tmp_path / "b", wav_scp="rec /rec.wav\n", segments="b1 rec 0 1\nb2 rec 1 2\n",
               utt2spk="b1 sb\nb2 sc\n")
    proc = run_tool("metricvox-combine-data-dirs", tmp_path / "c", b, a)
    assert "utt2label is not in every source" in proc.stderr
    assert _read(tmp_path / "c") == {
        "segments": "a1 a1 0 -1\na2 a2 0 -1\nb1 rec 0 1\nb2 rec 1 2\n",
        "spk2utt": "sa a1\nsb a2 b1\nsc b2\n",
        "utt2spk": "a1 sa\na2 sb\nb1 sb\nb2 sc\n",
        "wav.scp": "a1 /a1.wav\na2 /a2.wav\nrec /rec.wav\n",
    }
    run_tool("metricvox-validate-data-dir", tmp_path / "c")
    proc = run_tool("metricvox-combine-data-dirs", tmp_path / "dup", a, a, check=False)
    assert_one_line_error(proc, f"{a}/utt2spk:1", f"utterance 'a1' is also in {a}/utt2spk:1")
    assert not (tmp_path / "dup").exists()


def test_utt2dur_from_headers_pipes_and_segments(tmp_path):
    soundfile.write(tmp_path / "a.wav", np.zeros(24000), 16000)
    soundfile.write(tmp_path / "b.flac", np.zeros(4410), 44100)
    d = _write(tmp_path / "d", wav_scp=f"a {tmp_path}/a.wav\nb cat {tmp_path}/b.flac |\n", utt2spk="a s\nb s\n")
    run_tool("metricvox-get-utt2dur", d)
    assert (d / "utt2dur").read_text() == "a 1.5\nb 0.1\n"
    _write(d, segments="x a 0.5 -1\ny a 0 0.25\n", utt2spk="x s\ny s\n", wav_scp=f"a {tmp_path}/a.wav\n")
    run_tool("metricvox-get-utt2dur", d)
    assert (d / "utt2dur").read_text() == "x 1.0\ny 0.25\n"
    _write(d, wav_scp=f"a {tmp_path}/gone.wav\n", utt2spk="a s\n")
    (d / "segments").unlink()
    before = (d / "utt2dur").read_text()
    assert_one_line_error(run_tool("metricvox-get-utt2dur", d, check=False), f"{d}/wav.scp:1", "does not exist")
    assert (d / "utt2dur").read_text() == before
