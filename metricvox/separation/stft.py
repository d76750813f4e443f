"""Spleeter's short-time Fourier transform, computed and inverted a chunk of frames at a time.

Spleeter (44.1 kHz models) frames the waveform with 4096-sample periodic Hann
windows every 1024 samples, after prepending one frame of zeros and padding the end
with zeros up to the last frame that touches a sample (TensorFlow's ``pad_end``).
So frame ``t`` covers samples ``[t*1024 - 4096, t*1024)``, there are
``ceil((n + 4096) / 1024)`` frames, and every sample is covered by four full frames.
The inverse is the weighted overlap-add: each frame's inverse FFT times the window,
summed, divided by the sum of the squared windows overlapping there (1.5 for this
window and hop), which reconstructs an unmodified spectrum exactly.

:func:`chunk_samples` gives the samples that a range of frames needs, so a long track
is transformed a chunk at a time; :class:`OverlapAdd` inverts chunk after chunk,
carrying the last three hops of each chunk into the next, so that the result is
the same as inverting the whole spectrogram at once.
"""
import math

import torch

FRAME_LENGTH = 4096
FRAME_STEP = 1024
OVERLAP = FRAME_LENGTH // FRAME_STEP  # frames covering each sample
BINS = FRAME_LENGTH // 2 + 1


def window(device="cpu"):
    return torch.hann_window(FRAME_LENGTH, periodic=True, device=device)


def frame_count(n_samples):
    return math.ceil((n_samples + FRAME_LENGTH) / FRAME_STEP)


def chunk_samples(waveform, first_frame, end_frame):
    """The samples frames ``[first_frame, end_frame)`` cover, zeros outside the waveform.

    ``waveform``: (channels, n) tensor. Returns (channels, (frames-1)*step + length).
    """
    start = first_frame * FRAME_STEP - FRAME_LENGTH
    stop = (end_frame - 1) * FRAME_STEP
    channels, n = waveform.shape
    out = waveform.new_zeros(channels, stop - start)
    inside_start, inside_stop = max(start, 0), min(stop, n)
    if inside_stop > inside_start:
        out[:, inside_start - start:inside_stop - start] = waveform[:, inside_start:inside_stop]
    return out


def stft(samples, hann):
    """(channels, BINS, frames) complex spectrum of ``samples`` framed from its first sample."""
    return torch.stft(samples, FRAME_LENGTH, FRAME_STEP, window=hann, center=False,
                      return_complex=True)


class OverlapAdd:
    """Streaming inverse of :func:`stft` into ``out`` ((channels, n) numpy array).

    Call :meth:`add` with consecutive chunks of frames starting from frame 0, then
    :meth:`finish`.
    """

    def __init__(self, out, hann):
        self.out = out
        self.hann = hann
        channels = out.shape[0]
        # Sum of squared windows at each position of a hop: the overlap-add's gain.
        self.gain = (hann ** 2).reshape(OVERLAP, FRAME_STEP).sum(dim=0)
        self.carry = hann.new_zeros(channels, OVERLAP - 1, FRAME_STEP)
        self.next_frame = 0

    def add(self, spectrum):
        """Add the frames of ``spectrum`` ((channels, BINS, frames) complex)."""
        channels, _, count = spectrum.shape
        frames = torch.fft.irfft(spectrum, n=FRAME_LENGTH, dim=1) * self.hann[:, None]
        # Hop-sized blocks: block b of the output sums piece k of frame b - k, k < OVERLAP.
        pieces = frames.reshape(channels, OVERLAP, FRAME_STEP, count).permute(0, 1, 3, 2)
        blocks = frames.new_zeros(channels, count + OVERLAP - 1, FRAME_STEP)
        for k in range(OVERLAP):
            blocks[:, k:k + count] += pieces[:, k]
        blocks[:, :OVERLAP - 1] += self.carry
        self.carry = blocks[:, count:].clone()
        self._emit(blocks[:, :count], self.next_frame)
        self.next_frame += count

    def finish(self):
        self._emit(self.carry, self.next_frame)

    def _emit(self, blocks, first_block):
        """Write finished hop blocks; block b is samples [b*step - length, (b+1)*step - length)."""
        samples = (blocks / self.gain).reshape(blocks.shape[0], -1)
        start = first_block * FRAME_STEP - FRAME_LENGTH
        n = self.out.shape[1]
        lo, hi = max(start, 0), min(start + samples.shape[1], n)
        if hi > lo:
            self.out[:, lo:hi] = samples[:, lo - start:hi - start].cpu().numpy()

