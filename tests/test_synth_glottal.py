"""The glottal source on long tracks whose jitter drifts past the cycle margin."""
import numpy as np

from metricvox.synth.glottal import glottal_source


def test_jitter_drift_past_the_cycle_margin_still_gives_a_whole_track():
    # 15 s at 330 Hz with 3% jitter: with seed 0 the jittered phase ends 3 cycles past the
    # unjittered one, beyond the two spare cycles drawn for it (an IndexError before).
    f0 = np.full(44100 * 15, 330.0)
    phase = np.cumsum(f0) / 44100
    n_cycles = int(phase[-1]) + 2
    scale = 1.0 + 0.03 * np.random.default_rng(0).standard_normal(n_cycles)
    drifted = np.cumsum(f0 / scale[np.floor(phase).astype(int)]) / 44100
    assert int(drifted[-1]) >= n_cycles + 1
    pulses, aspiration = glottal_source(f0, 44100, np.random.default_rng(0), jitter=0.03)
    assert pulses.shape == aspiration.shape == f0.shape
    assert np.isfinite(pulses).all() and np.abs(pulses).max() > 0
