"""Decode audio that libsndfile cannot read (AAC in MP4/M4A, Opus in WebM, ...) in-process
through FFmpeg's libraries (PyAV, whose wheels bundle FFmpeg).

One process start per file (the ``ffmpeg ... |`` pipe of Kaldi's recipes) costs more than
decoding a few seconds of AAC, so VoxCeleb2-sized tables read the files directly. Samples
come back as they are stored, at the stream's own rate and with its channels: the caller
applies the same mono and rate rules as to every other file.
"""

import os

import av
import numpy as np


class ContainerDecodeError(Exception):
    """The source could not be decoded; the message says why, in one line."""


def decode_container(source):
    """(float32 samples x channels, rate) of the first audio stream of ``source`` (a path or
    a seekable binary file object). FFmpeg's demuxer applies the container's edit list, so
    the encoder's priming samples are dropped exactly as the ffmpeg CLI drops them."""
    try:
        container = av.open(_url(source), mode="r")
    except av.FFmpegError as error:  # libsndfile did not know the format either
        raise ContainerDecodeError(f"neither libsndfile nor FFmpeg reads it "
                                   f"(FFmpeg: {error.strerror or error})") from None
    with container:
        if not container.streams.audio:
            raise ContainerDecodeError("it holds no audio stream")
        try:
            return _decode_stream(container, container.streams.audio[0])
        except av.FFmpegError as error:
            raise ContainerDecodeError(f"FFmpeg: {error.strerror or error}") from None


def has_audio_stream(path):
    """True when ``path`` is a file FFmpeg opens and finds an audio stream in."""
    if not os.path.isfile(path):
        return False
    try:
        with av.open(_url(path), mode="r") as container:
            return bool(container.streams.audio)
    except av.FFmpegError:
        return False


def _url(source):
    # "file:" so that FFmpeg never takes the head of a path such as "http:x.m4a" for a protocol.
    return f"file:{source}" if isinstance(source, (str, os.PathLike)) else source


def _decode_stream(container, stream):
    # Planar float at the stream's own rate and layout: no resampling, no remixing.
    to_float = av.AudioResampler(format="fltp")
    chunks, rate, packets = [], None, 0
    for packet in container.demux(stream):
        packets += packet.size > 0
        for frame in stream.decode(packet):
            rate = rate or frame.sample_rate
            chunks += [f.to_ndarray() for f in to_float.resample(frame)]
    chunks += [f.to_ndarray() for f in to_float.resample(None)]
    # MP4 headers count the stream's packets: fewer on disk means the file was cut short.
    if stream.frames and packets < stream.frames:
        raise ContainerDecodeError(f"the file is truncated: {packets} of the "
                                   f"{stream.frames} audio packets its header lists are there")
    channels = stream.codec_context.channels
    if not chunks:
        return np.zeros((0, channels), dtype=np.float32), stream.rate or 0
    return np.ascontiguousarray(np.concatenate(chunks, axis=1).T, dtype=np.float32), rate
