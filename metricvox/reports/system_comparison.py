"""Are two systems' accuracies really different? Tukey's HSD over several systems' runs.

Each system is a list of balanced accuracies (one per fold, seed, ...; the
acoustic-source paper compares margins and input lengths this way). Every pair of
systems is tested with Tukey's honestly significant difference
(``scipy.stats.tukey_hsd``), which keeps the family-wise error rate over all the
pairs at the chosen level: the difference of the means, its confidence interval,
the adjusted p-value, and whether it is significant (p below ``alpha``). The box
plot shows each system's distribution.

An accuracies file holds one number per line (blank lines ignored).
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import tukey_hsd

from metricvox.data.tables import iter_lines
from metricvox.errors import InputError


@dataclass
class PairTest:
    first: str
    second: str
    difference: float      # mean of first - mean of second
    low: float             # confidence interval of the difference
    high: float
    p_value: float
    significant: bool


def read_accuracies(path):
    """The numbers of an accuracies file; at least two, all finite."""
    values = []
    for line_no, text in iter_lines(path):
        if not text.strip():
            continue
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            raise InputError(f"expected one finite number, got {text.strip()!r}", path, line_no)
        values.append(value)
    if len(values) < 2:
        raise InputError(f"{len(values)} value(s): a system needs at least two runs to compare",
                         path)
    return np.array(values)


def tukey_pairs(systems, alpha=0.05):
    """:class:`PairTest` for every pair of ``systems`` ({name: values}, in the given order)."""
    names = list(systems)
    if not 0.0 < alpha < 1.0:   # NaN included
        raise InputError(f"--alpha must lie strictly between 0 and 1, got {alpha}")
    if len(names) < 2:
        raise InputError(f"{len(names)} system(s): Tukey's HSD compares at least two")
    samples = [np.asarray(systems[name], dtype=np.float64) for name in names]
    if all(np.ptp(sample) == 0 for sample in samples):
        raise InputError("every system's values are constant: no within-system spread to test "
                         "the differences against")
    result = tukey_hsd(*samples)
    interval = result.confidence_interval(confidence_level=1 - alpha)
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            p_value = float(result.pvalue[i, j])
            pairs.append(PairTest(names[i], names[j], float(result.statistic[i, j]),
                                  float(interval.low[i, j]), float(interval.high[i, j]),
                                  p_value, p_value < alpha))
    return pairs


def format_comparison(systems, pairs, alpha=0.05):
    """Per-system mean/std (ddof 1) and the pair table, as text."""
    width = max(len("system"), *(len(name) for name in systems))
    lines = [f"{'system'.ljust(width)}   n      mean       std"]
    for name, values in systems.items():
        values = np.asarray(values)
        lines.append(f"{name.ljust(width)} {len(values):3d} {values.mean():9.4f} "
                     f"{values.std(ddof=1):9.4f}")
    confidence = f"{100 * (1 - alpha):g}%"
    lines.append(f"Tukey HSD, all pairs (difference = first - second, {confidence} "
                 f"family-wise confidence interval, significant when p < {alpha:g}):")
    pair_width = max(len(p.first) + len(p.second) + 4 for p in pairs)
    lines.append(f"{'pair'.ljust(pair_width)} difference       low      high   p-value "
                 "significant")
    for p in pairs:
        label = f"{p.first} vs {p.second}".ljust(pair_width)
        lines.append(f"{label} {p.difference:10.4f} {p.low:9.4f} {p.high:9.4f} "
                     f"{p.p_value:9.4g} {'yes' if p.significant else 'no'}")
    return "\n".join(lines) + "\n"


def comparison_json(systems, pairs):
    return {
        "systems": {name: {"n": len(values), "mean": float(np.mean(values)),
                           "std": float(np.std(values, ddof=1)), "values": list(map(float, values))}
                    for name, values in systems.items()},
        "tukey_hsd": [vars(pair) for pair in pairs],
    }
