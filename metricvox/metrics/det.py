"""Detection error trade-off (DET) plots: miss against false-alarm rate on normal-deviate axes."""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.stats import norm

from metricvox.io.figure_file import finish_figure
from metricvox.metrics.eer import eer_percent_text, equal_error_rate
from metricvox.metrics.error_rates import error_rates

# No 0.2: on normal-deviate axes it sits too close to 0.1 for both labels to fit.
_TICKS_PERCENT = [0.1, 0.5, 1, 2, 5, 10, 20, 40, 60, 80]
_LOW = 0.0005
_LINE_STYLES = ("-", "--", "-.", ":")   # after each 10 colours, so no two curves look alike


def plot_det(systems, path, title=None):
    """Write one DET plot (PNG, or any format matplotlib knows by ``path``'s suffix)
    with a curve per system. ``systems`` maps a label to ``(target_scores, nontarget_scores)``."""
    # The legend goes below the axes, so the figure grows with the number of systems.
    figure = Figure(figsize=(5.5, 5.5 + 0.18 * len(systems)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    eers = {label: equal_error_rate(*scores)[0] for label, scores in systems.items()}
    # The usual frame ends at 50%; weak systems (high EER) get a larger one, not a cut curve.
    low, high = _LOW, (0.5 if max(eers.values()) < 0.25 else 0.9)
    drawn = []            # (label, p_fa, p_miss) of the curves drawn so far
    for index, (label, (targets, nontargets)) in enumerate(systems.items()):
        rates = error_rates(targets, nontargets)
        # Rates of 0 or 1 sit at minus/plus infinity on these axes: pin them to the frame.
        p_fa = norm.ppf(np.clip(rates.p_fa, low / 2, 1 - low / 2))
        p_miss = norm.ppf(np.clip(rates.p_miss, low / 2, 1 - low / 2))
        text = f"{label} (EER {eer_percent_text(eers[label])}%"
        # A curve equal to an earlier one would hide it, or hide under it: say so.
        twin = next((other for other, fa, miss in drawn
                     if np.array_equal(fa, p_fa) and np.array_equal(miss, p_miss)), None)
        text += f", same curve as {twin})" if twin else ")"
        axes.plot(p_fa, p_miss, color=f"C{index % 10}",
                  linestyle=_LINE_STYLES[index // 10 % len(_LINE_STYLES)], label=text)
        drawn.append((label, p_fa, p_miss))
    shown = [t for t in _TICKS_PERCENT if t / 100 <= high]
    ticks = norm.ppf(np.array(shown) / 100)
    labels = [f"{t:g}" for t in shown]
    for set_ticks, set_labels, set_limits in ((axes.set_xticks, axes.set_xticklabels, axes.set_xlim),
                                              (axes.set_yticks, axes.set_yticklabels, axes.set_ylim)):
        set_ticks(ticks)
        set_labels(labels)
        set_limits(norm.ppf(low), norm.ppf(high))
    axes.plot([norm.ppf(low), norm.ppf(high)], [norm.ppf(low), norm.ppf(high)],
              color="0.7", linewidth=0.8, linestyle=":")
    axes.set_xlabel("False alarm rate (%)")
    axes.set_ylabel("Miss rate (%)")
    finish_figure(figure, axes, path, title)
