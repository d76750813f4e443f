"""INS against time scale, one curve per class with its 95% threshold (as the paper's Fig. 1).

x: the scale Th/T on a log axis; y: the class's mean INS (solid, markers) and its
mean threshold gamma (dashed, same colour). A class is non-stationary at the scales
where its solid curve runs above its dashed one. The y axis turns logarithmic
when the INS spans more than a factor of 20, as it does once any class is strongly
non-stationary.
"""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from metricvox.io.figure_file import save_figure

_LINE_STYLES = ("-", "--", "-.", ":")   # after each 10 colours, so no two classes look alike


def plot_ins_by_class(summaries, path, title=None, out=None):
    """Write the plot of ClassSummary rows to ``path`` (PNG, or PDF/SVG by suffix); to ``out``,
    a binary file opened for ``path``, when given."""
    curves = {}
    for s in summaries:
        curves.setdefault(s.label, []).append(s)
    figure = Figure(figsize=(6.0, 4.5 + 0.18 * ((len(curves) + 1) // 2)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for index, (label, rows) in enumerate(curves.items()):
        scales = [r.scale for r in rows]
        colour = f"C{index % 10}"
        style = _LINE_STYLES[index // 10 % len(_LINE_STYLES)]
        axes.plot(scales, [r.mean_ins for r in rows], color=colour, linestyle=style, marker="o",
                  markersize=3.5, label=f"{label} (n={rows[0].count})")
        axes.plot(scales, [r.mean_threshold for r in rows], color=colour, linestyle="--",
                  linewidth=0.9, alpha=0.7)
    values = [r.mean_ins for r in summaries] + [r.mean_threshold for r in summaries]
    positive = [v for v in values if v > 0]
    if positive and max(positive) > 20 * min(positive):
        axes.set_yscale("log")
    axes.set_xscale("log")
    axes.set_xlabel("time scale $T_h/T$")
    axes.set_ylabel("INS (dashed: 95% threshold $\\gamma$)")
    axes.grid(True, which="both", linewidth=0.3)
    if title:
        axes.set_title(title)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small",
                frameon=False)
    figure.tight_layout()
    save_figure(figure, path, out, bbox_inches="tight")  # the legend may be wider than the axes
