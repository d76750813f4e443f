"""Writing generated audio in the formats the real corpora ship.

WAV/MP3 go through soundfile (libsndfile); VoxCeleb2's AAC ``.m4a`` through the FFmpeg
libraries PyAV bundles, so the corpus does not depend on an ffmpeg program being installed.
"""
from fractions import Fraction

import av
import numpy as np
import scipy.io.wavfile
import soundfile as sf

from metricvox.errors import InputError


def scaled_to_peak(signal, peak):
    """``signal`` scaled so that its largest absolute sample is ``peak``."""
    top = np.max(np.abs(signal))
    return signal * (peak / top) if top > 0 else signal


def write_audio(path, signal, sample_rate, subtype="PCM_16", format=None):
    """Write ``signal`` (samples, or samples x channels; floats in [-1, 1])."""
    path.parent.mkdir(parents=True, exist_ok=True)
    signal = np.clip(signal, -1.0, 1.0)
    if subtype == "FLOAT" and (format or path.suffix.lstrip(".")).upper() == "WAV":
        # libsndfile adds a PEAK chunk holding the time of writing to float WAVs, so the
        # same seed would not give the same bytes; scipy writes the samples alone.
        try:
            scipy.io.wavfile.write(path, sample_rate, signal.astype(np.float32))
        except OSError as error:
            raise InputError(f"cannot write audio: {error.strerror}", path) from None
        return
    try:
        sf.write(str(path), signal, sample_rate, subtype=subtype, format=format)
    except sf.LibsndfileError as error:   # a full disk, say: libsndfile gives no errno
        raise InputError(f"cannot write audio: {error.error_string}", path) from None


def write_mp3(path, signal, sample_rate):
    write_audio(path, signal, sample_rate, subtype="MPEG_LAYER_III", format="MP3")


def write_m4a(path, signal, sample_rate):
    """Encode mono ``signal`` to 64 kb/s AAC in an MP4 container, in-process with the FFmpeg
    PyAV bundles (its native ``aac`` encoder), bit-exact: no version strings, no metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = np.clip(np.asarray(signal, dtype=np.float32), -1.0, 1.0)[None, :]
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout="mono")
    # A time stamp from 0 makes the muxer write the edit list that hides the encoder's priming samples.
    frame.sample_rate, frame.pts, frame.time_base = sample_rate, 0, Fraction(1, sample_rate)
    try:
        with av.open(str(path), mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
            stream = container.add_stream("aac", rate=sample_rate, options={"flags": "+bitexact"})
            stream.layout, stream.bit_rate = "mono", 64000
            container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    except av.FFmpegError as error:  # a full disk, say
        raise InputError(f"cannot write AAC audio: {error.strerror or error}", path) from None
