"""metricvox-augment-wav and metricvox-augment-data-dir (Kaldi v2's offline augmented copies):
outputs against references worked here (a two-tap room response by hand, the SNR measured
from the output), the data dir's wav.scp pipes against the tool run by hand, bad input."""
import hashlib
import io

import numpy as np
import pytest
import soundfile

from augment_corpora import RATE, write_musan, write_rirs
from conftest import assert_one_line_error, input_error_text, run_tool
from metricvox.data.audio import iter_audio
from metricvox.data.augment_dir import augment_data_dir, recording_seed
from metricvox.data.tables import read_table


def _snr_db(clean, augmented):
    """10 log10 of the clean power over the power of what augmentation added."""
    added = augmented.astype(np.float64) - clean
    return 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum(added ** 2))


def _speech(path, seconds=1.0, rate=RATE, seed=0):
    rng = np.random.default_rng(seed)
    time = np.arange(int(seconds * rate)) / rate
    samples = 0.3 * np.sin(2 * np.pi * 150 * time) * rng.uniform(0.2, 1, len(time))
    soundfile.write(path, samples, rate, subtype="PCM_16")
    return soundfile.read(path, dtype="float32")[0]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    musan, rirs = write_musan(root / "musan"), write_rirs(root / "rirs")
    # A room of its own whose one response is worked by hand below: silence, a direct path
    # of 2 at sample 30, an echo of 1 a sample later.
    two_tap = np.zeros(200)
    two_tap[30], two_tap[31] = 2.0, 1.0
    room = root / "two_tap/simulated_rirs/smallroom/Room001"
    room.mkdir(parents=True)
    soundfile.write(room / "Room001-00001.wav", two_tap, RATE, subtype="FLOAT")
    return {"musan": musan, "rirs": rirs, "two_tap": root / "two_tap"}


def test_reverb_is_the_aligned_unit_energy_response_worked_by_hand(tmp_path, corpora):
    clean = _speech(tmp_path / "in.wav")
    run_tool("metricvox-augment-wav", "--kind", "reverb", "--rirs", corpora["two_tap"],
             "--rooms", "smallroom", "--seed", 4, tmp_path / "in.wav", tmp_path / "out.wav")
    out, rate = soundfile.read(tmp_path / "out.wav", dtype="float64")
    # Unit energy: (2, 1) / sqrt(5); aligned on the direct path: y[n] = (2 x[n] + x[n-1]) / sqrt 5.
    expected = (2 * clean + np.concatenate([[0.0], clean[:-1]])) / np.sqrt(5)
    assert rate == RATE and len(out) == len(clean)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_noise_snr_measured_from_the_output_and_stdin_stdout_byte_identical(tmp_path, corpora):
    clean = _speech(tmp_path / "in.wav")
    args = ["metricvox-augment-wav", "--kind", "noise", "--musan", corpora["musan"], "--seed", 9]
    run_tool(*args, "--snr", "7:7", tmp_path / "in.wav", tmp_path / "fixed.wav")
    assert _snr_db(clean, soundfile.read(tmp_path / "fixed.wav")[0]) == pytest.approx(7.0, abs=1e-3)
    # Default range: Kaldi v2's 0 to 15 dB; the same seed and input give the same bytes,
    # whether read from a path or stdin and written to a path or stdout.
    run_tool(*args, tmp_path / "in.wav", tmp_path / "a.wav")
    piped = run_tool(*args, "-", "-", stdin=(tmp_path / "in.wav").read_bytes()).stdout
    assert piped == (tmp_path / "a.wav").read_bytes()
    assert 0 <= _snr_db(clean, soundfile.read(tmp_path / "a.wav")[0]) <= 15
    other = run_tool(*args[:-1], 10, "-", "-", stdin=(tmp_path / "in.wav").read_bytes()).stdout
    assert other != piped


def test_babble_at_another_rate_keeps_rate_and_length(tmp_path, corpora):
    clean = _speech(tmp_path / "in.wav", rate=8000)
    run_tool("metricvox-augment-wav", "--kind", "babble", "--musan", corpora["musan"],
             tmp_path / "in.wav", tmp_path / "out.wav")
    out, rate = soundfile.read(tmp_path / "out.wav", dtype="float32")
    assert rate == 8000 and len(out) == len(clean) and np.isfinite(out).all()
    assert not np.array_equal(out, clean)


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, corpora):
    _speech(tmp_path / "in.wav")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    out = tmp_path / "out.wav"
    cases = [(["--kind", "noise", "--musan", tmp_path / "none", "in.wav"], "not a MUSAN directory"),
             (["--kind", "music", "--musan", corpora["musan"], "corrupt.wav"], "corrupt.wav"),
             (["--kind", "noise", "in.wav"], "--musan"),
             (["--kind", "noise", "--musan", corpora["musan"], "--snr", "9:3", "in.wav"],
              "min > max")]
    for args, fragment in cases:
        proc = run_tool("metricvox-augment-wav", *args, out, check=False, cwd=tmp_path)
        assert_one_line_error(proc, fragment)
        assert not out.exists()


def _source_dir(tmp_path):
    """Recordings 'a' (a path) and 'a+' (a pipe), whose keys change order once suffixed
    ('-' sorts after '+'), cut in segments; feats.scp describes the old audio, vad.scp
    the voice activity the augmented copies keep."""
    src = tmp_path / "src"
    src.mkdir()
    _speech(tmp_path / "a.wav", seed=1)
    _speech(tmp_path / "b.wav", seed=2)
    (src / "wav.scp").write_text(f"a {tmp_path / 'a.wav'}\na+ cat {tmp_path / 'b.wav'} |\n")
    (src / "segments").write_text("a+-1 a+ 0 0.9\na-1 a 0 0.5\na-2 a 0.4 1.0\n")
    (src / "utt2spk").write_text("a+-1 s2\na-1 s1\na-2 s1\n")
    (src / "spk2utt").write_text("s1 a-1 a-2\ns2 a+-1\n")
    (src / "utt2dur").write_text("a+-1 0.9\na-1 0.5\na-2 0.6\n")
    (src / "reco2dur").write_text("a 1.0\na+ 1.0\n")
    (src / "feats.scp").write_text("a+-1 f.ark:1\na-1 f.ark:2\na-2 f.ark:3\n")
    (src / "vad.scp").write_text("a+-1 v.ark:1\na-1 v.ark:2\na-2 v.ark:3\n")
    return src


def test_augmented_data_dir_validates_and_its_pipes_are_the_tool(tmp_path, corpora):
    src = _source_dir(tmp_path)
    run_tool("metricvox-validate-data-dir", src)
    dst = tmp_path / "dst"
    run_tool("metricvox-augment-data-dir", "--kind", "noise", "--musan", corpora["musan"],
             "--seed", 3, src, dst)
    run_tool("metricvox-validate-data-dir", dst)
    utt2spk = {row.key: row.rest for row in read_table(dst / "utt2spk")}
    assert utt2spk == {"a-1-noise": "s1", "a-2-noise": "s1", "a+-1-noise": "s2"}
    assert [row.key for row in read_table(dst / "wav.scp")] == ["a+-noise", "a-noise"]
    assert read_table(dst / "segments")[0].rest == "a+-noise 0 0.9"
    assert not (dst / "feats.scp").exists()
    assert {row.key: row.rest for row in read_table(dst / "vad.scp")} == {
        "a+-1-noise": "v.ark:1", "a-1-noise": "v.ark:2", "a-2-noise": "v.ark:3"}
    # Each recording's seed: the first 31 bits of sha256("3\0<recording>").
    seeds = {reco: int.from_bytes(hashlib.sha256(f"3\0{reco}".encode()).digest()[:4], "big") >> 1
             for reco in ("a", "a+")}
    assert seeds == {reco: recording_seed(3, reco) for reco in seeds}
    read = {key: samples for key, samples, _ in iter_audio(dst / "wav.scp")}
    for reco, wav in (("a", "a.wav"), ("a+", "b.wav")):
        by_hand = run_tool("metricvox-augment-wav", "--kind", "noise", "--musan", corpora["musan"],
                           "--seed", seeds[reco], tmp_path / wav, "-").stdout
        np.testing.assert_array_equal(read[f"{reco}-noise"], soundfile.read(
            io.BytesIO(by_hand), dtype="float32")[0])
    # Reproducible: the same seed writes the same directory.
    augment_data_dir(src, tmp_path / "again", "noise", 3, musan=str(corpora["musan"]))
    for name in ("wav.scp", "segments", "utt2spk", "spk2utt", "utt2dur", "reco2dur", "vad.scp"):
        assert (tmp_path / "again" / name).read_text() == (dst / name).read_text()


def test_data_dir_bad_input_leaves_no_output(tmp_path, corpora):
    src = _source_dir(tmp_path)
    dst = tmp_path / "dst"
    proc = run_tool("metricvox-augment-data-dir", "--kind", "reverb", "--rirs", tmp_path / "none",
                    src, dst, check=False)
    assert_one_line_error(proc, "no room responses")
    assert "key suffix" in input_error_text(augment_data_dir, src, dst, "noise", 1, "two words",
                                            musan=str(corpora["musan"]))
    (src / "utt2spk").write_text("a-1 s1\na-2 s1\n")      # a+-1 lost: src is not valid
    proc = run_tool("metricvox-augment-data-dir", "--kind", "reverb", "--rirs", corpora["rirs"],
                    src, dst, check=False)
    assert_one_line_error(proc, "src")
    assert not dst.exists()
