"""metricvox-synth-corpus: bad input, reruns and interrupted runs."""
import pytest

from conftest import assert_one_line_error, run_tool
from metricvox.synth import corpus_dir

TOOL = "metricvox-synth-corpus"


def test_unknown_kind_is_one_line_error(tmp_path):
    proc = run_tool(TOOL, "--kind", "librispeech", "--out", tmp_path / "x", check=False)
    assert_one_line_error(proc, "librispeech", "voxceleb")
    assert not (tmp_path / "x").exists()


def test_unknown_size_is_one_line_error(tmp_path):
    proc = run_tool(TOOL, "--kind", "urbansound", "--size", "huge", "--out", tmp_path / "x", check=False)
    assert_one_line_error(proc, "huge", "mini")
    assert not (tmp_path / "x").exists()


def test_existing_directory_that_is_no_corpus_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "mydata"
    out.mkdir()
    (out / "precious.txt").write_text("keep me\n")
    proc = run_tool(TOOL, "--kind", "urbansound", "--out", out, check=False)
    assert_one_line_error(proc, str(out), "not a synthetic corpus")
    assert [p.name for p in out.iterdir()] == ["precious.txt"]
    assert (out / "precious.txt").read_text() == "keep me\n"


def test_existing_file_as_output_is_refused(tmp_path):
    out = tmp_path / "afile"
    out.write_text("x")
    proc = run_tool(TOOL, "--kind", "urbansound", "--out", out, check=False)
    assert_one_line_error(proc, str(out))
    assert out.read_text() == "x"


def test_interrupted_build_leaves_no_corpus_and_the_next_run_starts_afresh(tmp_path):
    out = tmp_path / "corpus"

    def dies_half_way(staging):
        (staging / "half.wav").write_bytes(b"RIFF")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        corpus_dir.build(out, {"kind": "test"}, dies_half_way)
    assert not out.exists()
    assert (tmp_path / "corpus.tmp" / "half.wav").exists()

    def completes(staging):
        (staging / "whole.wav").write_bytes(b"RIFF....")

    assert corpus_dir.build(out, {"kind": "test"}, completes) is True
    assert sorted(p.name for p in out.iterdir()) == [corpus_dir.MARKER, "whole.wav"]
    assert not (tmp_path / "corpus.tmp").exists()
    assert corpus_dir.build(out, {"kind": "test"}, dies_half_way) is False  # complete: not rebuilt


def test_empty_existing_directory_is_filled(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert corpus_dir.build(out, {"kind": "test"}, lambda staging: (staging / "a.wav").write_bytes(b"x"))
    assert (out / "a.wav").read_bytes() == b"x"
