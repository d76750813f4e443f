"""Writing generated audio in the formats the real corpora ship.

WAV/MP3 go through soundfile (libsndfile); VoxCeleb2's AAC ``.m4a`` goes through
ffmpeg, fed raw PCM on a pipe so that no intermediate file is written.
"""
import shutil
import subprocess

import numpy as np
import soundfile as sf

from metricvox.errors import InputError


def scaled_to_peak(signal, peak):
    """``signal`` scaled so that its largest absolute sample is ``peak``."""
    top = np.max(np.abs(signal))
    return signal * (peak / top) if top > 0 else signal


def write_audio(path, signal, sample_rate, subtype="PCM_16", format=None):
    """Write ``signal`` (samples, or samples x channels; floats in [-1, 1])."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(signal, -1.0, 1.0), sample_rate, subtype=subtype, format=format)


def write_mp3(path, signal, sample_rate):
    write_audio(path, signal, sample_rate, subtype="MPEG_LAYER_III", format="MP3")


def have_ffmpeg():
    return shutil.which("ffmpeg") is not None


def write_m4a(path, signal, sample_rate):
    """Encode mono ``signal`` to AAC in an MP4 container with ffmpeg (bit-exact, no metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(signal, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(sample_rate),
               "-ac", "1", "-i", "-", "-c:a", "aac", "-b:a", "64k", "-map_metadata", "-1",
               "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp4", str(path)]
    proc = subprocess.run(command, input=pcm, capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"ffmpeg failed to encode AAC: {message[-1] if message else proc.returncode}", path)
