"""Starting a UBM and growing it, the way Kaldi's gmm-global-init-from-feats does.

A first diagonal model of a fraction of the wanted components has its means at
distinct random frames, every variance equal to the global variance of the
frames and equal weights. EM then alternates with splitting: the heaviest
component is cut in two of half its weight, their means moved apart by
``perturb`` standard deviations along a random direction, until the mixture has
the number of components asked for.
"""

import numpy as np

from metricvox.errors import InputError
from metricvox.gmm.model import Gmm


def init_from_frames(frames, num_components, rng):
    """A diagonal GMM, its means at ``num_components`` distinct random rows of (T, D) ``frames``."""
    frames = np.asarray(frames, dtype=np.float64)
    if frames.shape[0] < num_components:
        raise InputError(f"{frames.shape[0]} frames are too few to start {num_components} "
                         "components (one frame each)")
    chosen = np.sort(rng.choice(frames.shape[0], size=num_components, replace=False))
    variance = frames.var(axis=0)
    # A constant dimension still needs a positive variance to have a density at all.
    variance = np.maximum(variance, 1e-6 * max(variance.mean(), np.finfo(float).tiny))
    return Gmm(np.full(num_components, 1.0 / num_components), frames[chosen],
               np.tile(variance, (num_components, 1)))


def split_components(model, target, rng, perturb=0.1):
    """``model`` grown to ``target`` components by repeatedly splitting the heaviest one."""
    if target <= model.num_components:
        return model
    count = model.num_components
    weights = np.concatenate([model.weights, np.zeros(target - count)])
    means = np.concatenate([model.means, np.zeros((target - count, model.dim))])
    covars = np.concatenate([model.covars, np.zeros((target - count,) + model.covars.shape[1:])])
    while count < target:
        heaviest = int(np.argmax(weights[:count]))
        variances = covars[heaviest] if model.kind == "diag" else np.diag(covars[heaviest])
        shift = perturb * np.sqrt(variances) * rng.standard_normal(model.dim)
        weights[heaviest] /= 2.0
        weights[count] = weights[heaviest]
        covars[count] = covars[heaviest]
        means[count] = means[heaviest] + shift
        means[heaviest] -= shift
        count += 1
    return Gmm(weights, means, covars)
