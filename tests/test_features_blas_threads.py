"""Feature computation holds numpy's BLAS to one thread, and only while it runs."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from metricvox.features.extraction import FeatureExtractor


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_features_are_computed_with_one_blas_thread_and_the_setting_is_restored():
    if not blas_threads():
        pytest.skip("numpy uses no BLAS library that threadpoolctl sees")
    extractor = FeatureExtractor.from_settings("fbank")
    compute = extractor._compute
    seen = []

    def recording(waveform, options, rng):
        seen.append(blas_threads())
        return compute(waveform, options, rng)

    extractor._compute = recording
    wave = np.random.default_rng(0).uniform(-0.5, 0.5, 8000).astype(np.float32)
    with threadpool_limits(limits=2, user_api="blas"):
        features = extractor("utt", wave)
        assert blas_threads() == [2] * len(blas_threads())
    assert seen == [[1] * len(seen[0])]
    # Same features as the computation without any limit.
    np.testing.assert_array_equal(features, compute(wave, extractor.options, extractor._rng("utt")))
