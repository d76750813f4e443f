"""Saving a matplotlib figure atomically, in the format its file name's suffix names."""

import io

from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write


def figure_format(path):
    """The matplotlib format named by ``path``'s suffix (PNG when it has none); an unknown
    suffix is an InputError naming the path, so a tool can check its plot path up front."""
    import matplotlib.figure

    name = str(path).rsplit("/", 1)[-1]
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else "png"
    supported = matplotlib.figure.Figure().canvas.get_supported_filetypes()
    if suffix not in supported:
        raise InputError(f"unknown plot format '.{suffix}': expected one of "
                         f"{', '.join('.' + s for s in sorted(supported))}", path)
    return suffix


def save_figure(figure, path, out=None, **savefig_options):
    """Render ``figure`` (PNG unless ``path`` ends in another matplotlib format) and write it
    so that no reader sees a half-written file: to ``path``, or to ``out``, a binary file
    opened for ``path`` (by an :class:`~metricvox.io.atomic.OutputGroup`, say)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=figure_format(path), **savefig_options)
    if out is not None:
        out.write(buffer.getvalue())
        return
    with atomic_write(path, "wb") as stream:
        stream.write(buffer.getvalue())


def finish_figure(figure, axes, path, title=None, out=None):
    """The last steps every metricvox plot shares: a light grid, the title, the legend in
    two columns under the axes, a tight layout, and :func:`save_figure`."""
    axes.grid(True, linewidth=0.4)
    if title:
        axes.set_title(title)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize="small",
                frameon=False)
    figure.tight_layout()
    save_figure(figure, path, out)
