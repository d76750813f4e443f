"""metricvox-ins as a recipe runs it: the INS table, the per-class summary, the plot, bad input."""
import numpy as np
import pytest
import soundfile

from conftest import assert_one_line_error, run_tool

RATE = 16000  # resampled to the tool's default 8000 Hz
FAST = ["--surrogates", "8", "--scales", "0.05,0.2"]


def _tone(t):
    return 0.4 * np.sin(2 * np.pi * 500.0 * t)


SIGNALS = {
    "n1": lambda t: 0.1 * np.random.default_rng(1).standard_normal(len(t)),
    "n2": _tone,
    "s1": lambda t: _tone(t) * ((t % 0.25) < 0.125),
    "s2": lambda t: 0.4 * np.sin(2 * np.pi * (200 * t + 900 * t * t)),
}
LABELS = {"n1": "steady", "n2": "steady", "s1": "changing", "s2": "changing"}


@pytest.fixture
def data(tmp_path):
    t = np.arange(RATE) / RATE  # 1 s each
    lines = []
    for key, make in SIGNALS.items():
        path = tmp_path / f"{key}.wav"
        soundfile.write(path, make(t), RATE)
        lines.append(f"{key} {path}\n")
    (tmp_path / "wav.scp").write_text("".join(lines))
    (tmp_path / "utt2label").write_text("".join(f"{k} {v}\n" for k, v in LABELS.items()))
    return tmp_path


def _table(text):
    rows = [line.split() for line in text.splitlines()]
    assert all(len(row) == 5 for row in rows), text
    return {(row[0], float(row[1])): (float(row[2]), float(row[3]), row[4]) for row in rows}


def test_table_summary_and_plot(data):
    out, plot = data / "exp" / "ins.txt", data / "exp" / "ins.png"
    out.parent.mkdir()
    run_tool("metricvox-ins", *FAST, "--utt2label", data / "utt2label", "--plot", plot,
             f"scp:{data / 'wav.scp'}", out)
    table = _table(out.read_text())
    assert [key for key, _ in table][::2] == ["n1", "n2", "s1", "s2"]
    for (utt, scale), (ins, threshold, verdict) in table.items():
        assert verdict == ("stationary" if ins <= threshold else "nonstationary")
        assert threshold > 1
    for scale in (0.05, 0.2):
        assert table[("n1", scale)][2] == "stationary" and table[("n2", scale)][2] == "stationary"
        assert table[("s1", scale)][2] == "nonstationary"
    assert table[("s2", 0.05)][2] == "nonstationary"
    # The summary, recomputed from the table.
    summary = [line.split() for line in (data / "exp" / "ins.txt.classes").read_text().splitlines()]
    assert [(row[0], float(row[1])) for row in summary] == [
        ("changing", 0.05), ("changing", 0.2), ("steady", 0.05), ("steady", 0.2)]
    for label, scale, mean_ins, mean_threshold, fraction, count in summary:
        members = [table[(utt, float(scale))] for utt in LABELS if LABELS[utt] == label]
        assert float(mean_ins) == pytest.approx(np.mean([m[0] for m in members]), rel=1e-4)
        assert float(mean_threshold) == pytest.approx(np.mean([m[1] for m in members]), rel=1e-4)
        assert float(fraction) == pytest.approx(np.mean([m[2] == "nonstationary" for m in members]))
        assert int(count) == 2
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Same seed, same numbers, on stdout too (one recording to keep this short).
    (data / "one.scp").write_text((data / "wav.scp").read_text().splitlines()[2] + "\n")
    again = run_tool("metricvox-ins", *FAST, f"scp:{data / 'one.scp'}", "-").stdout.decode()
    assert _table(again) == {key: value for key, value in table.items() if key[0] == "s1"}


def _wav_scp(data, entries):
    scp = data / "bad.scp"
    scp.write_text("".join(f"{key} {path}\n" for key, path in entries))
    return scp


def test_bad_audio_is_a_one_line_error_and_no_output(data):
    empty = data / "empty.wav"
    soundfile.write(empty, np.zeros(0), RATE)
    nan = data / "nan.wav"
    samples = np.zeros(RATE, dtype=np.float32)
    samples[100] = np.nan
    soundfile.write(nan, samples, RATE, subtype="FLOAT")
    short = data / "short.wav"
    soundfile.write(short, np.random.default_rng(0).standard_normal(800) * 0.1, RATE)
    cases = [(data / "missing.wav", "does not exist"), (empty, "no audio samples"), (nan, "NaN")]
    out = data / "out.txt"
    for path, message in cases:
        scp = _wav_scp(data, [("a", data / "n1.wav"), ("b", path)])
        proc = run_tool("metricvox-ins", *FAST, f"scp:{scp}", out, check=False)
        assert_one_line_error(proc, f"{scp}:2", message)
        assert not out.exists()


def test_recordings_too_short_or_silent_are_skipped_with_a_warning(data):
    short = data / "short.wav"
    soundfile.write(short, np.random.default_rng(0).standard_normal(800) * 0.1, RATE)
    silent = data / "silent.wav"
    soundfile.write(silent, np.zeros(RATE), RATE)
    scp = _wav_scp(data, [("a", data / "n1.wav"), ("b", short), ("c", silent)])
    proc = run_tool("metricvox-ins", *FAST, f"scp:{scp}", "-")
    assert {line.split()[0] for line in proc.stdout.decode().splitlines()} == {"a"}
    assert f"{scp}:2: skipped recording 'b'" in proc.stderr and "shorter than" in proc.stderr
    assert f"{scp}:3: skipped recording 'c'" in proc.stderr and "silent" in proc.stderr
    assert "skipped 2 of 3 recordings" in proc.stderr
    scp = _wav_scp(data, [("b", short), ("c", silent)])
    proc = run_tool("metricvox-ins", *FAST, f"scp:{scp}", data / "out.txt", check=False)
    assert_one_line_error(proc, f"{scp}:1", "no recording could be analysed", "shorter than")
    assert not (data / "out.txt").exists()


def test_bad_options_and_labels(data):
    scp = f"scp:{data / 'wav.scp'}"
    proc = run_tool("metricvox-ins", "--scales", "0.1,1.5", scp, "-", check=False)
    assert_one_line_error(proc, "between 0 and 1")
    proc = run_tool("metricvox-ins", "--utt2label", data / "utt2label", scp, "-", check=False)
    assert_one_line_error(proc, "OUT must be a file")
    labels = data / "partial_labels"
    labels.write_text("n1 steady\n")
    proc = run_tool("metricvox-ins", *FAST, "--utt2label", labels, scp, data / "o.txt", check=False)
    assert_one_line_error(proc, str(labels), "'n2' has no label")
    assert not (data / "o.txt").exists() and not (data / "o.txt.classes").exists()
    proc = run_tool("metricvox-ins", scp, data / "no_dir" / "ins.txt", check=False)
    assert_one_line_error(proc, "no_dir/ins.txt", "does not exist")
    (data / "empty.scp").write_text("")
    proc = run_tool("metricvox-ins", f"scp:{data / 'empty.scp'}", "-", check=False)
    assert_one_line_error(proc, "no recording")
