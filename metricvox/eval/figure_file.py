"""Saving a matplotlib figure atomically, in the format its file name's suffix names."""

import io

from metricvox.io import atomic_write


def save_figure(figure, path):
    """Render ``figure`` (PNG unless ``path`` ends in another matplotlib format) and write it
    so that no reader sees a half-written file."""
    buffer = io.BytesIO()
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    figure.savefig(buffer, format=suffix)
    with atomic_write(path, "wb") as out:
        out.write(buffer.getvalue())
