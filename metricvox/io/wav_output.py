"""Audio written as a WAV file, or to stdout (``-``) so that a ``wav.scp`` pipe can read it.

Samples are stored as 32-bit float: augmented audio may pass full scale, and a float WAV
keeps every sample as computed (no clipping, no rounding), so reading the file back gives
exactly the samples written. The whole file is built in memory first: stdout cannot seek
back to fill in the header, and a failure leaves no partial output.
"""

import io

import numpy as np
import scipy.io.wavfile

from metricvox.io.atomic import atomic_write


def write_wav(path, samples, rate):
    """Write ``samples`` (float32 mono) at ``rate`` Hz to ``path`` (``-``: stdout), atomically."""
    buffer = io.BytesIO()
    # scipy's writer, not libsndfile's: libsndfile adds a PEAK chunk holding the time of
    # writing, and the same samples must give the same bytes.
    scipy.io.wavfile.write(buffer, int(rate), np.asarray(samples, dtype=np.float32))
    with atomic_write(path, "wb") as out:
        out.write(buffer.getvalue())
