"""Generated audio files: the same signal gives the same bytes whenever it is written."""
import time

import numpy as np
import soundfile as sf

from metricvox.synth.audio_files import write_audio


def test_a_float_wav_written_twice_a_second_apart_has_the_same_bytes(tmp_path):
    # libsndfile's float WAVs carry the time of writing (a PEAK chunk); ours must not.
    signal = np.sin(np.linspace(0, 100, 4000)) * 0.5
    write_audio(tmp_path / "a.wav", signal, 22050, subtype="FLOAT")
    time.sleep(1.1)
    write_audio(tmp_path / "b.wav", signal, 22050, subtype="FLOAT")
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    info = sf.info(str(tmp_path / "a.wav"))
    assert (info.subtype, info.samplerate, info.channels) == ("FLOAT", 22050, 1)
    read, _ = sf.read(str(tmp_path / "a.wav"), dtype="float32")
    assert np.array_equal(read, signal.astype(np.float32))


def test_stereo_float_wav_keeps_its_channels(tmp_path):
    signal = np.stack([np.linspace(-1.5, 1.5, 100), np.zeros(100)], axis=1)
    write_audio(tmp_path / "s.wav", signal, 44100, subtype="FLOAT")
    read, rate = sf.read(str(tmp_path / "s.wav"), dtype="float32")
    assert rate == 44100 and read.shape == (100, 2)
    assert np.array_equal(read, np.clip(signal, -1, 1).astype(np.float32))
