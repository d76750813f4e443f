"""Detection error trade-off (DET) plots: miss against false-alarm rate on normal-deviate axes."""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.stats import norm

from metricvox.io import atomic_write
from metricvox.metrics.eer import equal_error_rate
from metricvox.metrics.error_rates import error_rates

_TICKS_PERCENT = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 40]
_LIMITS = (0.0005, 0.5)


def plot_det(systems, path, title=None):
    """Write one DET plot (PNG, or any format matplotlib knows by ``path``'s suffix)
    with a curve per system. ``systems`` maps a label to ``(target_scores, nontarget_scores)``."""
    figure = Figure(figsize=(5.5, 5.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    low, high = _LIMITS
    for label, (targets, nontargets) in systems.items():
        rates = error_rates(targets, nontargets)
        eer, _ = equal_error_rate(targets, nontargets)
        # Rates of 0 or 1 sit at minus/plus infinity on these axes: pin them to the frame.
        p_fa = norm.ppf(np.clip(rates.p_fa, low / 2, 1 - low / 2))
        p_miss = norm.ppf(np.clip(rates.p_miss, low / 2, 1 - low / 2))
        axes.plot(p_fa, p_miss, label=f"{label} (EER {100 * eer:.2f}%)")
    ticks = norm.ppf(np.array(_TICKS_PERCENT) / 100)
    labels = [f"{t:g}" for t in _TICKS_PERCENT]
    for set_ticks, set_labels, set_limits in ((axes.set_xticks, axes.set_xticklabels, axes.set_xlim),
                                              (axes.set_yticks, axes.set_yticklabels, axes.set_ylim)):
        set_ticks(ticks)
        set_labels(labels)
        set_limits(norm.ppf(low), norm.ppf(high))
    axes.plot([norm.ppf(low), norm.ppf(high)], [norm.ppf(low), norm.ppf(high)],
              color="0.7", linewidth=0.8, linestyle=":")
    axes.set_xlabel("False alarm rate (%)")
    axes.set_ylabel("Miss rate (%)")
    axes.grid(True, linewidth=0.4)
    if title:
        axes.set_title(title)
    axes.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    figure.savefig(buffer, format=suffix)
    with atomic_write(path, "wb") as out:
        out.write(buffer.getvalue())
