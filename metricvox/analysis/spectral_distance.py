"""The distance between a local spectrum and a reference spectrum used by the INS.

Borgnat et al. (2010, eq. 9-11) combine two complementary distances:

- the symmetrised Kullback-Leibler divergence of the spectra normalised to unit
  area, D_KL(G, H) = sum_f (g(f) - h(f)) log(g(f) / h(f)), which sees changes of
  spectral *shape* only;
- the log-spectral deviation, D_LSD(G, H) = mean_f |log(G(f) / H(f))|, the
  integral of |log G/H| over the frequency band taken as of unit length, which
  also sees changes of *level*;

as c = D_KL (1 + lambda D_LSD), lambda = 1 in the paper. Spectra must be positive
at every frequency (floor them first).
"""

import numpy as np

DEFAULT_LSD_WEIGHT = 1.0


def symmetric_kl(spectra, reference):
    """D_KL between each row of ``spectra`` (..., F) and ``reference`` (F,), both normalised."""
    g = spectra / spectra.sum(axis=-1, keepdims=True)
    h = reference / reference.sum()
    return ((g - h) * (np.log(g) - np.log(h))).sum(axis=-1)


def log_spectral_deviation(spectra, reference):
    """D_LSD between each row of ``spectra`` (..., F) and ``reference`` (F,)."""
    return np.abs(np.log(spectra) - np.log(reference)).mean(axis=-1)


def kl_lsd_distance(spectra, reference, lsd_weight=DEFAULT_LSD_WEIGHT):
    """c = D_KL (1 + lsd_weight D_LSD), one value per row of ``spectra``."""
    spectra = np.asarray(spectra, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    return symmetric_kl(spectra, reference) * (1 + lsd_weight * log_spectral_deviation(spectra, reference))
