"""metricvox-separate --nj: worker processes (started clean, one separator each) write what one process
writes, and a worker's bad input is the same located error. Its own file: starting two fresh
interpreters with torch costs ~10 s of CPU."""
import numpy as np
import pytest
import soundfile as sf

from metricvox.errors import InputError
from metricvox.separation.wav_table import separate_wav_table
from separation_inputs import HalfSeparator, write_recordings


def test_worker_processes_write_the_same_outputs(tmp_path):
    recordings = write_recordings(tmp_path)
    separate_wav_table(f"scp:{recordings}", tmp_path / "one", HalfSeparator)
    (tmp_path / "bad.wav").write_bytes(b"RIFF but nothing else")
    scp = tmp_path / "with-bad.scp"
    scp.write_text(recordings.read_text() + f"rec-c {tmp_path}/bad.wav\n")
    with pytest.raises(InputError) as caught:
        separate_wav_table(f"scp:{scp}", tmp_path / "two", HalfSeparator, nj=2)
    assert str(caught.value).startswith(f"{scp}:3: cannot decode")
    assert not (tmp_path / "two" / "wav.scp").exists()
    for key in ("rec-a", "rec-b"):
        one, _ = sf.read(tmp_path / "one" / "wav" / f"{key}.wav")
        two, _ = sf.read(tmp_path / "two" / "wav" / f"{key}.wav")
        np.testing.assert_array_equal(one, two)
        assert np.abs(one).max() > 0.05
    written = sorted(p.name for p in (tmp_path / "two" / "wav").iterdir())
    assert written == ["rec-a.wav", "rec-b.wav"]
