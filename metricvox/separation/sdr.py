"""Signal-to-distortion ratios of an estimated source against the true one, in dB.

``sdr``: plain SDR, ``10 log10(|s|^2 / |s - e|^2)`` (as BSS Eval v4's and the
SiSEC 2018 / museval figure without the distortion filter).

``si_sdr``: scale-invariant SDR (Le Roux et al. 2019): the estimate is split into
its projection on the truth, ``a s`` with ``a = <e, s> / |s|^2``, and the rest;
``10 log10(|a s|^2 / |e - a s|^2)``. It forgives a wrong gain, which plain SDR
does not.

Both take 1-D signals (or equal-shaped arrays, flattened, e.g. channels together).
"""
import numpy as np


def _pair(reference, estimate):
    reference = np.asarray(reference, dtype=np.float64).ravel()
    estimate = np.asarray(estimate, dtype=np.float64).ravel()
    if reference.shape != estimate.shape:
        raise ValueError(f"signals differ in length: {reference.size} vs {estimate.size}")
    return reference, estimate


def sdr(reference, estimate):
    reference, estimate = _pair(reference, estimate)
    return 10.0 * np.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2))


def si_sdr(reference, estimate):
    reference, estimate = _pair(reference, estimate)
    target = (np.dot(estimate, reference) / np.dot(reference, reference)) * reference
    return 10.0 * np.log10(np.sum(target ** 2) / np.sum((estimate - target) ** 2))
