"""Saving a matplotlib figure atomically, in the format its file name's suffix names."""

import io

from metricvox.io.atomic import atomic_write


def save_figure(figure, path, **savefig_options):
    """Render ``figure`` (PNG unless ``path`` ends in another matplotlib format) and write it
    so that no reader sees a half-written file."""
    buffer = io.BytesIO()
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    figure.savefig(buffer, format=suffix, **savefig_options)
    with atomic_write(path, "wb") as out:
        out.write(buffer.getvalue())
