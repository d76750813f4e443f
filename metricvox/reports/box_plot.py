"""Box plots of several systems' results (e.g. balanced accuracies over folds and seeds)."""

import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from metricvox.io.figure_file import save_figure


def plot_boxes(systems, path, ylabel="balanced accuracy (%)", title=None):
    """A box plot of each system's values, written atomically to ``path``."""
    figure = Figure(figsize=(max(4.0, 0.8 * len(systems) + 2.0), 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.boxplot([np.asarray(v) for v in systems.values()], tick_labels=list(systems))
    axes.set_ylabel(ylabel)
    axes.grid(True, axis="y", linewidth=0.4)
    if title:
        # Wrapped to the figure's width (about 9 characters an inch): a narrow plot of few
        # systems would cut a long title at both edges.
        axes.set_title(textwrap.fill(title, width=int(9 * figure.get_figwidth())))
    for label in axes.get_xticklabels():
        label.set_rotation(30 if len(systems) > 4 else 0)
        label.set_horizontalalignment("right" if len(systems) > 4 else "center")
    figure.tight_layout()
    save_figure(figure, path)
