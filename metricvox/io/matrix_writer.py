"""Write Kaldi tables of matrices and vectors (ark, ark+scp, text or binary, or stdout).

File outputs are atomic: the ark and the scp are written under temporary names
and renamed only when the writer is closed without an exception, so an
interrupted or failing run leaves neither a partial table nor a temporary file.
The scp lines are written here, not by kaldiio, because they must name the final
ark path, not the temporary one.
"""

import numpy as np
from kaldiio.matio import write_array, write_array_ascii

from metricvox.errors import InputError
from metricvox.io.atomic import open_output, write_failure
from metricvox.io.specifiers import parse_wspecifier

# Enough significant digits for text values to read back bit-exact.
_TEXT_DIGITS = {np.dtype(np.float32): ".9g", np.dtype(np.float64): ".17g"}


def _kaldi_array(array, key):
    array = np.asarray(array)
    if array.ndim not in (1, 2):
        raise ValueError(f"'{key}': Kaldi tables hold vectors and matrices, got shape {array.shape}")
    if array.dtype not in _TEXT_DIGITS:
        # Kaldi's tables are float matrices and vectors; integers and booleans (e.g. VAD
        # decisions) are stored as float32, as Kaldi's compute-vad does.
        array = array.astype(np.float32)
    return np.ascontiguousarray(array)


class MatrixWriter:
    """Write ``(key, array)`` pairs to a Kaldi wspecifier; use as a context manager.

    ``check_finite``: a NaN or infinite value is an :class:`InputError` naming the key
    (and the whole output is abandoned when the error leaves the ``with`` block).
    """

    def __init__(self, wspecifier, check_finite=True):
        self.spec = parse_wspecifier(wspecifier)
        self.check_finite = check_finite
        self._ark = open_output(self.spec.ark, "wb")
        try:
            self._scp = open_output(self.spec.scp, "w") if self.spec.scp else None
        except BaseException:
            self._ark.discard()
            raise
        self._open = True

    def write(self, key, array):
        if not self._open:
            raise ValueError("write() on a closed MatrixWriter")
        key = str(key)
        if not key or any(c.isspace() for c in key):
            raise InputError(f"invalid key {key!r}: keys must be non-empty and contain no whitespace")
        array = _kaldi_array(array, key)
        if self.check_finite and not np.isfinite(array).all():
            raise InputError(f"'{key}': NaN or infinite values in the matrix to write")
        stream = self._ark.file
        try:
            stream.write(key.encode("utf-8") + b" ")
            offset = stream.tell() if self._scp else None
            if self.spec.text:
                write_array_ascii(stream, array, _TEXT_DIGITS[array.dtype])
            else:
                write_array(stream, array)
        except OSError as error:
            raise write_failure(error, self.spec.ark) or error from None
        if self._scp:
            try:
                self._scp.file.write(f"{key} {self.spec.ark}:{offset}\n")
            except OSError as error:
                raise write_failure(error, self.spec.scp) or error from None

    def close(self):
        """Finish the table: the ark (then the scp) appear under their final names."""
        if self._open:
            self._open = False
            outputs = [self._ark] + ([self._scp] if self._scp else [])
            # Both written out before either is renamed: a full disk leaves neither.
            try:
                for output in outputs:
                    output.finish()
            except BaseException:
                for output in outputs:
                    output.discard()
                raise
            for output in outputs:
                output.publish()

    def abort(self):
        """Abandon the table: nothing is left behind."""
        if self._open:
            self._open = False
            self._ark.discard()
            if self._scp:
                self._scp.discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
