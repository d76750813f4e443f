"""Hermite functions sampled as tapers for multitaper spectrograms.

The k-th Hermite function h_k(t) = H_k(t) exp(-t^2/2) / sqrt(2^k k! sqrt(pi)) (H_k the
physicists' Hermite polynomial) is the family Flandrin and Borgnat use for
time-frequency multitapers: they are orthonormal and maximally concentrated in the
time-frequency plane. A window of ``length`` samples spans t in [-HALF_SUPPORT,
HALF_SUPPORT]; the functions are built with their three-term recurrence (stable
for any order, unlike evaluating H_k and the factorial separately) and each is
scaled to unit energy, so a taper applied to white noise of variance s^2 gives a
periodogram of expected value s^2 at every frequency.
"""

import numpy as np

# Half the time support, in the units of h_k. At +-6 the first eight functions are
# below 1e-5 of their peak, so truncating them changes neither their shape nor
# their orthogonality measurably.
HALF_SUPPORT = 6.0


def hermite_tapers(length, count):
    """``count`` Hermite tapers of ``length`` samples, as a (count, length) float64 array.

    Rows are h_0 .. h_{count-1} sampled on an even grid over the window, each of unit
    sum of squares.
    """
    length, count = int(length), int(count)
    if count < 1:
        raise ValueError(f"need at least one taper, got {count}")
    if length < 2:
        raise ValueError(f"a taper needs at least 2 samples, got {length}")
    t = np.linspace(-HALF_SUPPORT, HALF_SUPPORT, length)
    tapers = np.empty((count, length))
    tapers[0] = np.pi ** -0.25 * np.exp(-t * t / 2)
    if count > 1:
        tapers[1] = np.sqrt(2.0) * t * tapers[0]
    for k in range(1, count - 1):
        # h_{k+1} = sqrt(2/(k+1)) t h_k - sqrt(k/(k+1)) h_{k-1}
        tapers[k + 1] = np.sqrt(2.0 / (k + 1)) * t * tapers[k] - np.sqrt(k / (k + 1)) * tapers[k - 1]
    tapers /= np.linalg.norm(tapers, axis=1, keepdims=True)
    return tapers
