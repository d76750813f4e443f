"""The 'source' half of the source-filter model: glottal pulses and aspiration.

A Rosenberg-style glottal flow pulse per cycle (cosine rise over part of the open
phase, quarter-cosine fall, closed phase), differentiated for lip radiation and
low-passed for the speaker's spectral tilt. Jitter and shimmer perturb each
cycle's period and amplitude; breathiness adds noise gated by the glottal opening.
"""
import numpy as np
from scipy.signal import lfilter


def _pulse_shape(fraction, open_quotient):
    """Glottal flow (0..1) at position ``fraction`` (0..1) of each cycle."""
    rise = 0.6 * open_quotient
    flow = np.zeros_like(fraction)
    rising = fraction < rise
    falling = (~rising) & (fraction < open_quotient)
    flow[rising] = 0.5 * (1.0 - np.cos(np.pi * fraction[rising] / rise))
    flow[falling] = np.cos(0.5 * np.pi * (fraction[falling] - rise) / (open_quotient - rise))
    return flow


def glottal_source(f0, sample_rate, rng, open_quotient=0.6, tilt=0.3,
                   jitter=0.01, shimmer=0.05, breathiness=0.05):
    """Voiced excitation for a per-sample f0 track (Hz).

    Returns (pulses, aspiration): the differentiated, tilted pulse train and the
    opening-gated noise, each of len(f0); the caller adds them with its own gains.
    ``tilt`` in [0, 1) is the pole of a one-pole low-pass (more = darker voice).
    """
    phase = np.cumsum(f0) / sample_rate
    n_cycles = int(phase[-1]) + 2
    period_scale = 1.0 + jitter * rng.standard_normal(n_cycles)
    cycle = np.floor(phase).astype(int)
    phase = np.cumsum(f0 / period_scale[cycle]) / sample_rate
    cycle = np.floor(phase).astype(int)
    levels = 1.0 + shimmer * rng.standard_normal(n_cycles + 1)
    if cycle[-1] >= len(levels):
        # Jitter can drift a long track past the margin; draw the missing cycles after the
        # others, so that every track that fitted keeps its samples.
        levels = np.concatenate([levels, 1.0 + shimmer * rng.standard_normal(cycle[-1] + 1 - len(levels))])
    amplitude = np.clip(levels, 0.2, None)[cycle]
    flow = _pulse_shape(phase - cycle, open_quotient) * amplitude
    # Lip radiation differentiates the flow; scaling by the mean f0 keeps the level
    # of the derivative about the same for low and high voices.
    pulses = np.diff(flow, prepend=0.0) * sample_rate / (np.mean(f0) * 4.0)
    pulses = lfilter([1.0 - tilt], [1.0, -tilt], pulses)
    noise = rng.standard_normal(len(f0))
    noise = lfilter([1.0, -0.9], [1.0], noise)  # aspiration is high-frequency weighted
    aspiration = breathiness * noise * (0.25 + flow)
    return pulses, aspiration
