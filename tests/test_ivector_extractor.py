"""The extractor's posterior of w and its likelihood against dense supervector computations;
its file."""
import numpy as np
import pytest
import scipy.linalg
from scipy.stats import multivariate_normal

from ivector_synthetic import random_full_ubm
from metricvox.errors import InputError
from metricvox.gmm.model import Gmm
from metricvox.ivector.extractor import IvectorExtractor
from metricvox.ivector.stats import BatchStats, TotalStats

C, D, R = 5, 3, 4


def _random_extractor(rng, prior_offset=7.0):
    ubm = random_full_ubm(rng, C, D)
    a = rng.normal(size=(C, D, D))
    covars = a @ a.transpose(0, 2, 1) / D + 0.5 * np.eye(D)
    return IvectorExtractor(ubm, rng.normal(size=(C, D, R)), covars, prior_offset)


def test_posterior_mean_and_covariance_match_the_dense_supervector_solution():
    rng = np.random.default_rng(0)
    extractor = _random_extractor(rng)
    zeroth = rng.random((6, C)) * 20
    zeroth[2] = 0.0                                     # an utterance with no frames: w = 0
    first = (zeroth[:, :, None] * rng.normal(size=(6, C, D))).astype(np.float32)
    posteriors = extractor.posteriors(zeroth, first)
    ivectors = extractor.extract(BatchStats(list("abcdef"), zeroth, first))

    supervector_t = extractor.projection.reshape(C * D, R)           # rows c*D + d
    precision = np.linalg.inv(scipy.linalg.block_diag(*extractor.covars))
    offset = extractor.prior_offset
    means = offset * extractor.projection[:, :, 0]                  # Kaldi: m_c = o T_c[:, 0]
    for u in range(6):
        counts = np.repeat(zeroth[u], D)
        f = first[u].astype(np.float64).ravel()
        big_l = np.eye(R) + supervector_t.T @ precision @ (counts[:, None] * supervector_t)
        centred = f - counts * means.ravel()
        expected = np.linalg.solve(big_l, supervector_t.T @ precision @ centred)
        np.testing.assert_allclose(ivectors[u], expected, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(posteriors.covariance()[u].numpy(), np.linalg.inv(big_l),
                                   rtol=1e-9, atol=1e-12)
        # Kaldi's own form: prior N(o e_1, I), raw F, offset removed from the posterior mean.
        prior_mean = offset * np.eye(R)[0]
        kaldi = np.linalg.solve(big_l, supervector_t.T @ precision @ f + prior_mean) - prior_mean
        np.testing.assert_allclose(ivectors[u], kaldi, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ivectors[2], 0.0, atol=1e-12)


def test_log_likelihood_is_the_marginal_gaussian_of_the_frames():
    # With hard alignments the frames of an utterance are jointly Gaussian once w is
    # integrated out: x ~ N(m_a, blockdiag(Sigma_a) + T_a T_a').
    rng = np.random.default_rng(1)
    extractor = _random_extractor(rng, prior_offset=3.0)
    utterances = [rng.normal(size=(n, D)) for n in (6, 9)]
    alignments = [rng.integers(0, C, len(x)) for x in utterances]
    zeroth = np.stack([np.bincount(a, minlength=C) for a in alignments]).astype(np.float64)
    pairs = list(zip(alignments, utterances))
    first = np.stack([np.eye(C)[a].T @ x for a, x in pairs]).astype(np.float32)
    second = sum(np.einsum("tc,ti,tj->cij", np.eye(C)[a], x, x) for a, x in pairs)
    totals = TotalStats(zeroth.sum(0), first.astype(np.float64).sum(0), second,
                        int(zeroth.sum()), 0.0)
    got = extractor.log_likelihood([BatchStats(["a", "b"], zeroth, first)], totals)

    expected = 0.0
    for a, x in zip(alignments, utterances):
        loading = extractor.projection[a].reshape(-1, R)
        covariance = scipy.linalg.block_diag(*extractor.covars[a]) + loading @ loading.T
        expected += multivariate_normal(extractor.means[a].ravel(), covariance).logpdf(x.ravel())
    assert got == pytest.approx(expected, rel=1e-5)      # F is stored in float32


def test_save_load_round_trip(tmp_path):
    extractor = _random_extractor(np.random.default_rng(2))
    extractor.save(tmp_path / "ie.npz")
    loaded = IvectorExtractor.load(tmp_path / "ie.npz")
    np.testing.assert_array_equal(loaded.projection, extractor.projection)
    np.testing.assert_array_equal(loaded.covars, extractor.covars)
    np.testing.assert_array_equal(loaded.ubm.covars, extractor.ubm.covars)
    assert (loaded.prior_offset, loaded.num_gselect, loaded.min_post) == (7.0, 20, 0.025)


def test_files_that_are_not_extractors_are_input_errors(tmp_path):
    extractor = _random_extractor(np.random.default_rng(3))
    cases = {}
    (tmp_path / "text.npz").write_text("not an extractor\n")
    cases["text.npz"] = "not a metricvox i-vector extractor file"
    np.save(tmp_path / "array.npy", np.zeros(3))
    cases["array.npy"] = "a single array"
    extractor.ubm.save(tmp_path / "ubm.npz")
    cases["ubm.npz"] = r"not a metricvox i-vector extractor \(a GMM file\)"
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    cases["other.npz"] = "without a 'kind'"
    extractor.save(tmp_path / "ok.npz")
    with np.load(tmp_path / "ok.npz") as archive:
        fields = dict(archive)
    np.savez(tmp_path / "partial.npz", **{k: v for k, v in fields.items() if k != "covars"})
    cases["partial.npz"] = "lacks covars"
    np.savez(tmp_path / "shape.npz", **dict(fields, projection=fields["projection"][:, :2]))
    cases["shape.npz"] = r"total variability matrix has shape \(5, 2, 4\)"
    np.savez(tmp_path / "nan.npz", **dict(fields, covars=fields["covars"] * np.nan))
    cases["nan.npz"] = "non-finite"
    cases["missing.npz"] = "no such i-vector extractor file"
    for name, message in cases.items():
        with pytest.raises(InputError, match=message) as error:
            IvectorExtractor.load(tmp_path / name)
        assert error.value.path == str(tmp_path / name)


def test_ivector_dimension_beyond_the_supervector_is_an_input_error():
    ubm = Gmm(np.ones(2) / 2, np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(InputError, match="i-vector dimension 7 must be between 1 and .* = 6"):
        IvectorExtractor(ubm, np.zeros((2, 3, 7)), np.stack([np.eye(3)] * 2), 1.0)
