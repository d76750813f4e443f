"""Synthetic speakers for the i-vector tests, and the UBMs they need.

Each speaker s has a factor y_s ~ N(0, I_r); a frame of component c is drawn from
N(mu_c + V_c y_s, noise), so speakers shift the component means along a rank-r
subspace: exactly the total variability model an i-vector extractor should recover.
"""

import numpy as np
from sklearn.mixture import GaussianMixture

from metricvox.gmm.model import Gmm


class SpeakerCorpus:
    def __init__(self, components=8, dim=5, rank=3, noise=0.7, seed=0):
        self.rng = np.random.default_rng(seed)
        self.components, self.dim, self.noise = components, dim, noise
        self.means = self.rng.normal(scale=3.0, size=(components, dim))
        self.subspace = self.rng.normal(size=(components, dim, rank))
        self.rank = rank

    def utterances(self, num_speakers, per_speaker, frames=200, prefix="spk"):
        """({key: float32 (frames, dim)}, {key: speaker}) for new speakers."""
        features, speaker_of = {}, {}
        for s in range(num_speakers):
            factor = self.rng.normal(size=self.rank)
            for u in range(per_speaker):
                comp = self.rng.integers(0, self.components, frames)
                x = (self.means[comp] + np.einsum("tdr,r->td", self.subspace[comp], factor)
                     + self.rng.normal(scale=self.noise, size=(frames, self.dim)))
                key = f"{prefix}{s:03d}-{u:02d}"
                features[key] = x.astype(np.float32)
                speaker_of[key] = f"{prefix}{s:03d}"
        return features, speaker_of


def fit_ubm(features, components, covariance_type="full", seed=0):
    """A Gmm fitted by scikit-learn on all frames of ``features``."""
    frames = np.concatenate(list(features.values()))
    gmm = GaussianMixture(components, covariance_type=covariance_type, random_state=seed,
                          reg_covar=1e-4).fit(frames)
    return Gmm(gmm.weights_, gmm.means_, gmm.covariances_)


def random_full_ubm(rng, components, dim):
    a = rng.normal(size=(components, dim, dim))
    covars = a @ a.transpose(0, 2, 1) / dim + 0.3 * np.eye(dim)
    return Gmm(rng.dirichlet(np.ones(components)), rng.normal(scale=2.0, size=(components, dim)),
               covars)
