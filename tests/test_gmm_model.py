"""Gmm likelihoods against scipy's multivariate normal, and the file round trip."""
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from metricvox.errors import InputError
from metricvox.gmm.model import Gmm


def _random_full(rng, components=3, dim=4):
    a = rng.normal(size=(components, dim, dim))
    covars = a @ a.transpose(0, 2, 1) + 0.5 * np.eye(dim)
    weights = rng.dirichlet(np.ones(components))
    return Gmm(weights, rng.normal(size=(components, dim)), covars)


@pytest.mark.parametrize("kind,block_values", [("diag", None), ("full", None), ("full", 30)])
def test_component_log_likelihoods_match_scipy(kind, block_values, monkeypatch):
    if block_values:  # frames in blocks of 2 (C x D = 12 values a frame), the last one short
        monkeypatch.setattr("metricvox.gmm.model._BLOCK_VALUES", block_values)
    rng = np.random.default_rng(0)
    model = _random_full(rng)
    if kind == "diag":
        model = model.to_diag()
    frames = rng.normal(size=(21, 4))
    expected = np.stack([
        np.log(model.weights[c]) + multivariate_normal(
            model.means[c], model.to_full().covars[c]).logpdf(frames)
        for c in range(model.num_components)], axis=1)
    np.testing.assert_allclose(model.component_log_likelihoods(frames), expected, rtol=1e-10)
    posteriors, total = model.posteriors(frames)
    np.testing.assert_allclose(posteriors.sum(1), 1.0)
    np.testing.assert_allclose(total, np.log(np.exp(expected).sum(1)), rtol=1e-10)


def test_save_load_round_trip_and_bad_files(tmp_path):
    model = _random_full(np.random.default_rng(1))
    model.save(tmp_path / "ubm.npz")
    loaded = Gmm.load(tmp_path / "ubm.npz")
    assert loaded.kind == "full"
    np.testing.assert_array_equal(loaded.covars, model.covars)
    (tmp_path / "junk.npz").write_text("not a model")
    with pytest.raises(InputError, match="junk.npz"):
        Gmm.load(tmp_path / "junk.npz")
    with pytest.raises(InputError, match="missing.npz"):
        Gmm.load(tmp_path / "missing.npz")


def test_feature_dimension_mismatch_is_an_input_error():
    model = _random_full(np.random.default_rng(2)).to_diag()
    with pytest.raises(InputError, match="dimension 5 do not match the GMM's dimension 4"):
        model.log_likelihood(np.zeros((3, 5)))
