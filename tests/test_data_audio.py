"""Audio reading (files of every format, pipes), resampling and wav.scp/segments iteration."""
import shutil

import numpy as np
import pytest
import soundfile

from conftest import input_error_text as _error, run_tool
from metricvox.data.audio import iter_audio, read_audio, resample

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def _tone(freq, rate, seconds=1.0, amplitude=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# --- formats ---------------------------------------------------------------------------------

@pytest.mark.parametrize("subtype, dtype, scale", [
    ("PCM_16", np.int16, 2.0 ** 15),
    ("PCM_24", np.int32, 2.0 ** 31),  # soundfile puts 24-bit samples in the top bits of int32
    ("PCM_32", np.int32, 2.0 ** 31),
])
def test_integer_wav_is_scaled_by_full_scale(tmp_path, subtype, dtype, scale):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    ints = rng.integers(info.min, info.max, 1000, dtype=dtype, endpoint=True)
    if subtype == "PCM_24":
        ints = (ints >> 8) << 8  # what 24 bits can hold
    path = tmp_path / "x.wav"
    soundfile.write(path, ints, 16000, subtype=subtype)
    samples, rate = read_audio(str(path))
    assert rate == 16000 and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, (ints / scale).astype(np.float32))


@pytest.mark.parametrize("fmt, subtype, rate", [
    ("WAV", "FLOAT", 22050), ("FLAC", "PCM_16", 44100), ("FLAC", "PCM_24", 48000),
])
def test_lossless_formats(tmp_path, fmt, subtype, rate):
    signal = _tone(440, rate)
    path = tmp_path / f"x.{fmt.lower()}"
    soundfile.write(path, signal, rate, format=fmt, subtype=subtype)
    samples, got_rate = read_audio(str(path))
    assert got_rate == rate
    np.testing.assert_allclose(samples, signal, atol=1 / 2 ** 15 if subtype == "PCM_16" else 1e-6)


@pytest.mark.parametrize("fmt, subtype, rate", [("OGG", "VORBIS", 16000), ("MP3", "MPEG_LAYER_III", 44100)])
def test_lossy_formats_keep_the_tone(tmp_path, fmt, subtype, rate):
    signal = _tone(440, rate, seconds=2.0)
    path = tmp_path / f"x.{fmt.lower()}"
    soundfile.write(path, signal, rate, format=fmt, subtype=subtype)
    samples, got_rate = read_audio(str(path))
    assert got_rate == rate
    # Same level (within 1 dB) and the energy at 440 Hz.
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    level_db = 20 * np.log10(np.sqrt(np.mean(middle ** 2)) / (0.5 / np.sqrt(2)))
    assert abs(level_db) < 1.0
    spectrum = np.abs(np.fft.rfft(middle))
    assert abs(np.argmax(spectrum) * rate / len(middle) - 440) < 5


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = _tone(300, 8000), _tone(1000, 8000, amplitude=0.25)
    soundfile.write(tmp_path / "s.wav", np.stack([left, right], axis=1), 8000, subtype="FLOAT")
    samples, _ = read_audio(str(tmp_path / "s.wav"))
    np.testing.assert_allclose(samples, (left + right) / 2, atol=1e-7)


# --- pipes -----------------------------------------------------------------------------------

@needs_ffmpeg
def test_ffmpeg_pipe_from_flac(tmp_path):
    signal = _tone(440, 16000)
    soundfile.write(tmp_path / "x.flac", signal, 16000, subtype="PCM_16")
    samples, rate = read_audio(f"ffmpeg -v quiet -i {tmp_path}/x.flac -f wav - |")
    assert rate == 16000
    np.testing.assert_allclose(samples, signal, atol=1 / 2 ** 15)


@needs_ffmpeg
def test_m4a_through_ffmpeg(tmp_path):
    signal = _tone(440, 16000, seconds=2.0)
    soundfile.write(tmp_path / "x.wav", signal, 16000)
    run_tool("ffmpeg", "-v", "quiet", "-i", tmp_path / "x.wav", "-c:a", "aac", "-b:a", "64k", tmp_path / "x.m4a")
    samples, rate = read_audio(f"ffmpeg -v quiet -i {tmp_path}/x.m4a -f wav - |")
    assert rate == 16000 and abs(len(samples) - len(signal)) < 2048
    middle = slice(4000, 28000)
    assert np.corrcoef(samples[middle], signal[middle])[0, 1] > 0.99


def test_failing_pipe_and_missing_program(tmp_path):
    where = (str(tmp_path / "wav.scp"), 3)
    message = _error(read_audio, "sh -c 'echo decoder broke >&2; exit 2' |", where=where)
    assert message.startswith(f"{tmp_path}/wav.scp:3: command ")
    assert "exit status 2" in message and message.endswith("decoder broke")
    message = _error(read_audio, "no-such-decoder -i x.m4a |", where=where)
    assert "no-such-decoder" in message and "not found" in message


# --- bad files -------------------------------------------------------------------------------

def test_missing_corrupt_and_empty_files(tmp_path):
    assert "does not exist" in _error(read_audio, str(tmp_path / "nope.wav"))
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x00\x01garbage" * 10)
    assert _error(read_audio, str(tmp_path / "junk.wav"), where=("wav.scp", 2)).startswith(
        "wav.scp:2: cannot decode audio in")
    (tmp_path / "zero.wav").write_bytes(b"")
    assert "cannot decode" in _error(read_audio, str(tmp_path / "zero.wav"))
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    assert "no audio samples" in _error(read_audio, str(tmp_path / "empty.wav"))
    assert "wrote no audio" in _error(read_audio, "true |")


# --- resampling ------------------------------------------------------------------------------

def _middle_rms(x):
    middle = x[len(x) // 4: 3 * len(x) // 4]
    return np.sqrt(np.mean(middle.astype(np.float64) ** 2))


@pytest.mark.parametrize("orig_rate", [48000, 44100])
def test_downsampling_keeps_the_passband_and_kills_aliases(orig_rate):
    for freq in (1000, 7000):
        out = resample(_tone(freq, orig_rate), orig_rate, 16000)
        assert len(out) == 16000 and out.dtype == np.float32
        assert abs(20 * np.log10(_middle_rms(out) / _middle_rms(_tone(freq, 16000)))) < 0.1, freq
        # and it is the same tone, in phase (no delay introduced)
        assert np.max(np.abs(out[4000:12000] - _tone(freq, 16000)[4000:12000])) < 0.01
    for freq in (8500, 10000, 15000):
        out = resample(_tone(freq, orig_rate), orig_rate, 16000)
        assert 20 * np.log10(_middle_rms(out) / _middle_rms(_tone(freq, orig_rate))) < -60, freq


def test_upsampling_leaves_no_images():
    out = resample(_tone(1000, 16000), 16000, 48000)
    assert len(out) == 48000
    spectrum = np.abs(np.fft.rfft(out[12000:36000] * np.hanning(24000))) ** 2
    freqs = np.fft.rfftfreq(24000, 1 / 48000)
    assert 10 * np.log10(spectrum[freqs > 8000].sum() / spectrum.sum()) < -60


# --- wav.scp and segments --------------------------------------------------------------------

@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(3)
    recordings = {"rec1": rng.uniform(-0.5, 0.5, 16000 * 3), "rec2": rng.uniform(-0.5, 0.5, 16000 * 2)}
    for name, samples in recordings.items():
        soundfile.write(tmp_path / f"{name}.wav", samples, 16000, subtype="FLOAT")
    soundfile.write(tmp_path / "rec3.wav", np.zeros(8000), 8000)
    (tmp_path / "wav.scp").write_text(
        f"rec1 sh -c 'echo x >> {tmp_path}/decoded; cat {tmp_path}/rec1.wav' |\n"
        f"rec2 {tmp_path}/rec2.wav\n")
    return tmp_path, {k: v.astype(np.float32) for k, v in recordings.items()}


def test_segments_are_cut_from_one_decoding(data):
    tmp_path, recordings = data
    (tmp_path / "segments").write_text(
        "rec1-a rec1 0.0 1.25\nrec1-b rec1 1.0 -1\nrec1-c rec1 2.5 3.0\nrec2-a rec2 0.5 1.5\n")
    got = list(iter_audio(f"scp:{tmp_path}/wav.scp", segments=str(tmp_path / "segments"), sample_rate=16000))
    assert [key for key, _, _ in got] == ["rec1-a", "rec1-b", "rec1-c", "rec2-a"]
    expected = [recordings["rec1"][0:20000], recordings["rec1"][16000:], recordings["rec1"][40000:48000],
                recordings["rec2"][8000:24000]]
    for (_, samples, rate), want in zip(got, expected):
        assert rate == 16000
        np.testing.assert_array_equal(samples, want)
    assert (tmp_path / "decoded").read_text() == "x\n"  # rec1 was decoded once for three segments


def test_bad_segments(data):
    tmp_path, _ = data
    segments = tmp_path / "segments"
    for text, fragment in [("a rec1 2.5 3.5\n", "outside recording 'rec1'"),
                           ("a rec9 0 1\n", "recording 'rec9' is not in wav.scp"),
                           ("a rec1 2 1\n", "bad segment times"),
                           ("a rec1 zero 1\n", "must be numbers"),
                           ("a rec1 0 1\na rec2 0 1\n", "duplicate key")]:
        segments.write_text(text)
        message = _error(iter_audio, str(tmp_path / "wav.scp"), segments=str(segments))
        assert message.startswith(f"{segments}:") and fragment in message, message


def test_sample_rate_mismatch_and_resampling(data):
    tmp_path, _ = data
    (tmp_path / "wav8k.scp").write_text(f"rec2 {tmp_path}/rec2.wav\nrec3 {tmp_path}/rec3.wav\n")
    message = _error(iter_audio, f"scp:{tmp_path}/wav8k.scp", sample_rate=16000)
    assert message.startswith(f"{tmp_path}/wav8k.scp:2: 'rec3' is sampled at 8000 Hz, expected 16000 Hz")
    assert "--allow-resample" in message
    got = {key: (samples, rate) for key, samples, rate in
           iter_audio(f"scp:{tmp_path}/wav8k.scp", sample_rate=16000, allow_resample=True)}
    assert got["rec3"][1] == 16000 and len(got["rec3"][0]) == 16000


def test_wav_table_errors(data):
    tmp_path, _ = data
    (tmp_path / "bad.scp").write_text(f"rec2 {tmp_path}/rec2.wav\nrec1 {tmp_path}/rec1.wav\n")
    assert "out of order" in _error(iter_audio, f"scp:{tmp_path}/bad.scp")
    (tmp_path / "bad.scp").write_text(f"rec1 {tmp_path}/rec1.wav\nrec2 {tmp_path}/gone.wav\n")
    assert _error(iter_audio, str(tmp_path / "bad.scp")).startswith(f"{tmp_path}/bad.scp:2: audio file")
    assert "wav table" in _error(iter_audio, f"ark:{tmp_path}/bad.scp")


def test_wav_table_from_stdin(data):
    tmp_path, recordings = data
    code = ("from metricvox.data.audio import iter_audio\n"
            "for key, x, rate in iter_audio('scp:-'): print(key, len(x), rate)")
    proc = run_tool("python", "-c", code, stdin=f"rec2 {tmp_path}/rec2.wav\n".encode())
    assert proc.stdout.decode() == f"rec2 {len(recordings['rec2'])} 16000\n"
