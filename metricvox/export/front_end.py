"""The feature front ends of metricvox.features as one torch module: waveform in, features out.

``FeatureFrontEnd(type_name, options)`` computes what ``FeatureExtractor`` computes
(fbank / logmel, MFCC, spectrogram), but in tensor ops only, so that it traces into
a TorchScript or ONNX graph with a dynamic number of samples. Two differences, both
deliberate:

- no dither: an exported extractor is deterministic (its options are written with
  dither 0; extracting with a dithered checkpoint differs by that noise only);
- the DFT is a product with cosine and sine tables, not an FFT: ONNX's DFT op is
  not in every runtime, a matrix product is. It runs in float64 for the reason
  ``metricvox.features.spectrum`` gives (bins nearly emptied by pre-emphasis).

Sizes are only ever combined with arithmetic (never compared in Python), so the
tracer records them as graph operations instead of freezing them to the example's.
"""

import numpy as np
import torch
from torch import nn

from metricvox.errors import InputError
from metricvox.features.frame_processing import FLOAT_EPSILON
from metricvox.features.framing import window_shift, window_size
from metricvox.features.mel import mel_matrix
from metricvox.features.mfcc import dct_matrix, lifter_coefficients
from metricvox.features.spectrum import INT16_SCALE, fft_size
from metricvox.features.windows import window_function

EXPORTABLE_TYPES = ("fbank", "logmel", "mfcc", "spectrogram")


def dft_tables(frame_length, size):
    """(cos, sin) float64 tables (frame_length, size // 2 + 1): a zero-padded real DFT."""
    phase = 2.0 * np.pi * np.outer(np.arange(frame_length), np.arange(size // 2 + 1)) / size
    return torch.from_numpy(np.cos(phase)), torch.from_numpy(-np.sin(phase))


class FeatureFrontEnd(nn.Module):
    """A mono [-1, 1] waveform (samples,) or (1, samples) -> features (frames, dims), float32."""

    def __init__(self, type_name, options):
        super().__init__()
        if type_name not in EXPORTABLE_TYPES:
            raise InputError(f"{type_name} features cannot be exported (the front ends written "
                             f"as tensor ops are {', '.join(EXPORTABLE_TYPES)})")
        self.type_name = type_name
        self.options = options
        self.length, self.shift = window_size(options), window_shift(options)
        window = window_function(options.window_type, self.length, options.blackman_coeff)
        self.register_buffer("window", torch.from_numpy(window))
        cos, sin = dft_tables(self.length, fft_size(options))
        self.register_buffer("dft_cos", cos)
        self.register_buffer("dft_sin", sin)
        if type_name != "spectrogram":
            self.register_buffer("mel", torch.from_numpy(mel_matrix(options, fft_size(options)).copy()))
        if type_name == "mfcc":
            self.register_buffer("dct", torch.from_numpy(dct_matrix(options.num_mel_bins,
                                                                    options.num_ceps).copy()))
            lifter = (lifter_coefficients(options.num_ceps, options.cepstral_lifter)
                      if options.cepstral_lifter != 0.0 else np.ones(options.num_ceps, np.float32))
            self.register_buffer("lifter", torch.from_numpy(lifter))

    def frame_indices(self, num_samples):
        """(frames, length) sample indices of every frame, Kaldi's snip-edges semantics."""
        if self.options.snip_edges:
            count, first = (num_samples - self.length) // self.shift + 1, 0
        else:
            count, first = (num_samples + self.shift // 2) // self.shift, self.shift // 2 - self.length // 2
        starts = torch.arange(count) * self.shift + first
        indices = starts[:, None] + torch.arange(self.length)[None, :]
        if self.options.snip_edges:
            return indices
        # Past either edge, the signal mirrored including its edge sample (period 2N).
        folded = torch.remainder(indices, 2 * num_samples)
        return torch.where(folded >= num_samples, 2 * num_samples - 1 - folded, folded)

    def power_spectrum(self, waveform):
        """(power (frames, bins), log energy (frames,) or None), as metricvox.features.spectrum."""
        o = self.options
        samples = waveform.reshape(-1) * INT16_SCALE
        frames = samples[self.frame_indices(samples.shape[0])]
        if o.remove_dc_offset:
            frames = frames - frames.mean(dim=1, keepdim=True)
        wants_energy = self.type_name != "spectrogram" and o.use_energy
        energy = self.log_energy(frames) if wants_energy and o.raw_energy else None
        if o.preemphasis_coefficient != 0.0:
            c = float(o.preemphasis_coefficient)
            frames = torch.cat([frames[:, :1] * (1.0 - c), frames[:, 1:] - c * frames[:, :-1]], dim=1)
        frames = frames * self.window
        if wants_energy and not o.raw_energy:
            energy = self.log_energy(frames)
        frames = frames.double()
        real, imaginary = frames @ self.dft_cos, frames @ self.dft_sin
        return (real * real + imaginary * imaginary).float(), energy

    @staticmethod
    def log_energy(frames):
        return torch.log(torch.clamp((frames * frames).sum(dim=1), min=float(FLOAT_EPSILON)))

    def floored_energy(self, energy):
        if self.options.energy_floor > 0.0:
            energy = torch.clamp(energy, min=float(np.float32(np.log(self.options.energy_floor))))
        return energy

    def forward(self, waveform):
        o = self.options
        power, energy = self.power_spectrum(waveform)
        if self.type_name == "spectrogram":
            if not o.use_power:
                power = torch.sqrt(power)
            if o.use_log_spectrogram:
                power = torch.log(torch.clamp(power, min=float(FLOAT_EPSILON)))
            return power
        if self.type_name != "mfcc" and not o.use_power:
            power = torch.sqrt(power)
        energies = power @ self.mel
        if self.type_name == "mfcc":
            cepstra = torch.log(torch.clamp(energies, min=float(FLOAT_EPSILON))) @ self.dct
            cepstra = cepstra * self.lifter
            if energy is None:
                return cepstra
            return torch.cat([self.floored_energy(energy)[:, None], cepstra[:, 1:]], dim=1)
        if o.use_log_fbank:
            energies = torch.log(torch.clamp(energies, min=float(FLOAT_EPSILON)))
        if energy is None:
            return energies
        return torch.cat([self.floored_energy(energy)[:, None], energies], dim=1)
