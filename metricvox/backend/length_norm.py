"""Length normalisation: every vector scaled to the norm sqrt(dim).

Kaldi's ivector-normalize-length (its default --scaleup=true) scales to sqrt(dim)
rather than 1, and so does metricvox: the per-dimension variance then stays of
order one whatever the dimension, which is the scale PLDA's EM starts from (unit
covariances) and the scale at which Kaldi's PLDA-space length normalisation
expects vectors; cosine scores do not depend on the choice.
"""

import numpy as np


def length_normalize(rows):
    """(K, D) rows scaled to norm sqrt(D); an all-zero row stays zero."""
    rows = np.asarray(rows, dtype=np.float64)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows * (np.sqrt(rows.shape[-1]) / np.maximum(norms, np.finfo(np.float64).tiny))
