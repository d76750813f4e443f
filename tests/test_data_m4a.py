"""m4a (AAC in MP4) decoded in-process (container_audio), checked against the ffmpeg CLI.

The test files are encoded by the ffmpeg CLI, and its own decode of them is the reference.
"""
import shutil
import subprocess

import kaldiio
import numpy as np
import pytest
import soundfile

from conftest import input_error_text as _error, assert_one_line_error, run_tool
from metricvox.data.audio import iter_audio, read_audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

# What egs/voxceleb/local/make_voxceleb2.py used to write: 16 kHz mono 16-bit WAV on stdout.
OLD_RECIPE_PIPE = "ffmpeg -nostdin -loglevel error -i {} -ac 1 -ar 16000 -f wav - |"


def _ffmpeg(*args):
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)],
                          capture_output=True, check=True).stdout


def _signal(rate, seconds, channels=1, seed=0):
    """Noise and a tone at 0.3 of full scale: energy in every band, no clipping."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.15 * np.sin(2 * np.pi * 440 * t)[:, None]
    return (tone + 0.05 * rng.standard_normal((len(t), channels))).astype(np.float32)


def _m4a(tmp_path, name="x", rate=16000, seconds=3.0, channels=1, extra=()):
    wav, m4a = tmp_path / f"{name}.wav", tmp_path / f"{name}.m4a"
    soundfile.write(wav, _signal(rate, seconds, channels), rate, subtype="FLOAT")
    _ffmpeg("-i", wav, "-c:a", "aac", "-b:a", "64k", *extra, m4a)
    return m4a


def _cli_decode(path, channels=1):
    """The ffmpeg CLI's float decode: (samples x channels)."""
    return np.frombuffer(_ffmpeg("-i", path, "-f", "f32le", "-"), "<f4").reshape(-1, channels)


def test_in_process_decode_equals_the_ffmpeg_cli(tmp_path):
    m4a = _m4a(tmp_path)
    samples, rate = read_audio(str(m4a))
    reference = _cli_decode(m4a)[:, 0]
    assert rate == 16000 and samples.dtype == np.float32
    # Same length: both drop the encoder's 1024 priming samples (the MP4 edit list) and both
    # keep the padding up to the last 1024-sample AAC frame (48000 -> 48128 samples).
    assert len(samples) == len(reference) == 47 * 1024
    # The CLI here is Debian's FFmpeg, PyAV bundles a newer one; their float AAC decoders
    # differ by a few float32 rounding steps, nothing more.
    assert np.max(np.abs(samples - reference)) < 1e-6
    # And no offset against what was encoded: the best alignment is at lag 0.
    original = soundfile.read(tmp_path / "x.wav", dtype="float32")[0]
    lags = range(-1024, 1025, 1)
    scores = [np.dot(original[2048:40000], samples[2048 + lag:40000 + lag]) for lag in lags]
    assert lags[int(np.argmax(scores))] == 0


def test_old_recipe_pipe_gives_the_same_samples_to_16_bits(tmp_path):
    m4a = _m4a(tmp_path)
    direct, _ = read_audio(str(m4a))
    piped, rate = read_audio(OLD_RECIPE_PIPE.format(m4a))
    assert rate == 16000 and len(piped) == len(direct)
    # The pipe rounds to 16-bit PCM: half a step of 2**-15, plus the decoders' float rounding.
    assert np.max(np.abs(piped - direct)) <= 0.5 / 2 ** 15 + 1e-6


def test_stereo_and_other_rates_follow_the_rules_of_every_file(tmp_path):
    m4a = _m4a(tmp_path, rate=22050, channels=2)
    reference = _cli_decode(m4a, channels=2)
    kept, rate = read_audio(str(m4a), mono=False)
    assert rate == 22050 and kept.shape == reference.shape
    assert np.max(np.abs(kept - reference)) < 1e-6
    mono, _ = read_audio(str(m4a))
    np.testing.assert_allclose(mono, reference.mean(axis=1), atol=1e-6)
    (tmp_path / "wav.scp").write_text(f"x {m4a}\n")
    message = _error(iter_audio, f"scp:{tmp_path}/wav.scp", sample_rate=16000)
    assert message.startswith(f"{tmp_path}/wav.scp:1: ") and "--allow-resample" in message


def test_m4a_piped_through_a_command_is_decoded_too(tmp_path):
    m4a = _m4a(tmp_path)
    piped, rate = read_audio(f"cat {m4a} |")
    np.testing.assert_array_equal(piped, read_audio(str(m4a))[0])


def _packet_offsets(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=pos",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return [int(line.strip(",")) for line in out.split()]


def test_bad_m4a_files_are_one_line_errors_naming_file_and_line(tmp_path):
    good = _m4a(tmp_path).read_bytes()
    fast = _m4a(tmp_path, "fast", extra=("-movflags", "+faststart")).read_bytes()
    cut_at_packet = _packet_offsets(tmp_path / "fast.m4a")[10]
    bad = {
        "empty.m4a": b"",
        "garbage.m4a": np.random.default_rng(1).bytes(5000),
        "cut.m4a": good[: len(good) // 2],  # the index (moov) comes last: it is gone
        "cutfast.m4a": fast[:cut_at_packet],  # the index comes first: packets are missing
        "noise.m4a": fast[:3000] + np.random.default_rng(2).bytes(5000) + fast[8000:],
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32:d=0.5", "-c:v", "mpeg4", tmp_path / "video.mp4")
    names = [*bad, "video.mp4", "missing.m4a"]
    (tmp_path / "wav.scp").write_text("".join(f"u{k} {tmp_path / n}\n" for k, n in enumerate(names)))
    expected = {"empty.m4a": "cannot decode audio", "garbage.m4a": "cannot decode audio",
                "cut.m4a": "cannot decode audio",
                "cutfast.m4a": "the file is truncated: 10 of the 48 audio packets",
                "noise.m4a": "cannot decode audio", "video.mp4": "holds no audio stream",
                "missing.m4a": "does not exist"}
    rows = (tmp_path / "wav.scp").read_text().splitlines()
    for line, name in enumerate(names, start=1):
        (tmp_path / "one.scp").write_text(rows[line - 1] + "\n")
        message = _error(iter_audio, f"scp:{tmp_path}/one.scp")
        assert "\n" not in message and expected[name] in message, message
        assert message.startswith(f"{tmp_path}/one.scp:1: ") and f"{tmp_path / name}" in message
    # The tools report it on one line, with the wav.scp line, and write nothing.
    proc = run_tool("metricvox-compute-feats", "--type", "fbank", f"scp:{tmp_path}/wav.scp",
                    f"ark:{tmp_path}/feats.ark", check=False)
    assert_one_line_error(proc, f"{tmp_path}/wav.scp:1:", "empty.m4a")
    assert not (tmp_path / "feats.ark").exists()


def test_wav_scp_mixing_m4a_paths_and_pipes_gives_the_same_features(tmp_path):
    m4a = _m4a(tmp_path, seconds=2.0)
    (tmp_path / "wav.scp").write_text(
        f"a_path {m4a}\n"
        f"b_float_pipe ffmpeg -nostdin -v error -i {m4a} -c:a pcm_f32le -f wav - |\n"
        f"c_old_pipe {OLD_RECIPE_PIPE.format(m4a)}\n")
    run_tool("metricvox-compute-feats", "--type", "fbank", "--dither=0", f"scp:{tmp_path}/wav.scp",
             f"ark:{tmp_path}/feats.ark")
    feats = dict(kaldiio.load_ark(str(tmp_path / "feats.ark")))
    assert feats["a_path"].shape == feats["b_float_pipe"].shape == feats["c_old_pipe"].shape
    # The same float samples (to the decoders' rounding) through a float pipe...
    assert np.max(np.abs(feats["a_path"] - feats["b_float_pipe"])) < 1e-3
    # ...and 16-bit rounding (noise 96 dB down) through the old recipe's pipe, over the frames
    # of the encoded 2 s: the last ones cover only the AAC frame padding, too quiet to compare.
    inside = (32000 - 400) // 160 + 1
    assert np.max(np.abs(feats["a_path"][:inside] - feats["c_old_pipe"][:inside])) < 0.05
