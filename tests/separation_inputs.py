"""Inputs shared by the separation tool tests: a small wav.scp and a cheap stand-in separator."""
import numpy as np
import soundfile as sf


def _tones(seconds, rate, channels, pitch):
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * np.pi * pitch * t) + 0.1 * np.sin(2 * np.pi * 3.3 * pitch * t)
    return np.repeat(mono[:, None], channels, axis=1).astype(np.float32)


def write_recordings(directory):
    """wav.scp with a stereo 22.05 kHz WAV and a mono 44.1 kHz WAV read through a pipe."""
    sf.write(directory / "a.wav", _tones(1.5, 22050, 2, 440), 22050, subtype="PCM_16")
    sf.write(directory / "b.wav", _tones(1.0, 44100, 1, 300), 44100, subtype="PCM_16")
    scp = directory / "wav.scp"
    scp.write_text(f"rec-a {directory}/a.wav\nrec-b cat {directory}/b.wav |\n")
    return scp


class HalfSeparator:
    """Stand-in separator for the table logic: every stem is half the mixture."""

    sample_rate = 44100

    def separate(self, waveform, stems):
        return {stem: 0.5 * waveform for stem in stems}
