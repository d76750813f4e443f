"""SpeakerStats accumulated batch by batch, in any order, against the dense per-speaker formulas."""
import numpy as np

from metricvox.backend.speaker_stats import SpeakerStats, SpeakerStatsAccumulator


def test_batches_in_any_order_give_the_dense_per_speaker_statistics():
    rng = np.random.default_rng(0)
    # A mean far larger than the spread: the plain sum x x' - n m m' would lose the digits.
    groups = [1e4 + rng.normal(size=(n, 3)) for n in (2, 5, 3, 7)]
    singleton = 1e4 + rng.normal(size=(1, 3))
    speakers = np.concatenate([np.full(len(g), s) for s, g in enumerate(groups + [singleton])])
    rows = np.concatenate(groups + [singleton])
    order = rng.permutation(len(rows))
    counts = np.array([len(g) for g in groups] + [1], dtype=np.float64)
    accumulator = SpeakerStatsAccumulator(3, 1.0 / counts)
    for batch in np.array_split(order, 4):
        accumulator.add(speakers[batch], rows[batch])
    stats = accumulator.result([2, 0, 1, 3])     # the singleton left out
    kept = [groups[s] for s in (2, 0, 1, 3)]
    np.testing.assert_array_equal(stats.counts, [3, 2, 5, 7])
    np.testing.assert_allclose(stats.means, [g.mean(0) for g in kept], rtol=1e-14)
    centred = [g - g.mean(0) for g in kept]
    np.testing.assert_allclose(stats.scatter, sum(c.T @ c for c in centred), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(stats.averaged_scatter,
                               sum(c.T @ c / len(c) for c in centred), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(stats.mean, np.concatenate(kept).mean(0), rtol=1e-14)
    # In memory, from the groups alone: the same.
    of_groups = SpeakerStats.of_groups(kept)
    np.testing.assert_allclose(of_groups.scatter, stats.scatter, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(of_groups.averaged_scatter, stats.averaged_scatter,
                               rtol=1e-9, atol=1e-9)
