"""Writing generated audio in the formats the real corpora ship.

WAV/MP3 go through soundfile (libsndfile); VoxCeleb2's AAC ``.m4a`` goes through
ffmpeg, one process for many files (raw PCM inputs in a scratch directory).
"""
import shutil
import subprocess
import tempfile
from pathlib import Path

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
    try:
        sf.write(str(path), np.clip(signal, -1.0, 1.0), sample_rate, subtype=subtype, format=format)
    except sf.LibsndfileError as error:   # a full disk, say: libsndfile gives no errno
        raise InputError(f"cannot write audio: {error.error_string}", path) from None


def write_mp3(path, signal, sample_rate):
    write_audio(path, signal, sample_rate, subtype="MPEG_LAYER_III", format="MP3")


def have_ffmpeg():
    return shutil.which("ffmpeg") is not None


def write_m4a(path, signal, sample_rate):
    """Encode mono ``signal`` to AAC in an MP4 container with ffmpeg (bit-exact, no metadata)."""
    write_m4a_files([(path, signal)], sample_rate)


def write_m4a_files(items, sample_rate):
    """Encode every ``(path, mono signal)`` of ``items`` to AAC/MP4 with one ffmpeg process.

    Starting ffmpeg costs more than encoding a few seconds of audio, so a speaker's
    utterances are encoded together: each signal is a raw PCM input and its own output.
    """
    with tempfile.TemporaryDirectory(prefix="m4a-") as scratch:
        inputs, outputs = [], []
        for k, (path, signal) in enumerate(items):
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = Path(scratch) / f"{k}.raw"
            raw.write_bytes((np.clip(signal, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
            inputs += ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", str(raw)]
            outputs += ["-map", f"{k}:a", "-c:a", "aac", "-b:a", "64k", "-map_metadata", "-1",
                        "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp4", str(path)]
        proc = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs, *outputs],
                              capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"ffmpeg failed to encode AAC: {message[-1] if message else proc.returncode}",
                         items[0][0])
