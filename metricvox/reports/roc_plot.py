"""ROC curves of a multi-class classifier: each class against the rest, one curve per class."""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from metricvox.io.figure_file import finish_figure

_LINE_STYLES = ("-", "--", "-.", ":")   # after each 10 colours, so no two curves look alike


def plot_roc(report, path, title=None, out=None):
    """Write the ROC plot of a :class:`metricvox.reports.classification_report.Report` (folds
    pooled) to ``path`` (PNG, or any format matplotlib knows by the suffix), AUC in the legend;
    to ``out``, a binary file opened for ``path``, when given."""
    truth = np.concatenate([fold.truth for fold in report.folds])
    scores = np.concatenate([fold.scores for fold in report.folds])
    # The legend goes below the axes, so the figure grows with the number of classes.
    figure = Figure(figsize=(5.5, 5.5 + 0.18 * len(report.classes)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for index, (name, auc) in enumerate(zip(report.classes, report.auc)):
        if auc is None:
            continue
        false_positive, true_positive, _ = roc_curve(truth == index, scores[:, index])
        axes.plot(false_positive, true_positive, color=f"C{index % 10}",
                  linestyle=_LINE_STYLES[index // 10 % len(_LINE_STYLES)],
                  label=f"{name} (AUC {auc:.2f})")
    axes.plot([0, 1], [0, 1], color="0.7", linewidth=0.8, linestyle=":")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.01)
    axes.set_xlabel("False positive rate")
    axes.set_ylabel("True positive rate")
    finish_figure(figure, axes, path, title, out)
