"""The one exception type for bad input.

Library code raises :class:`InputError` for anything the user can fix (a missing
file, a malformed line, NaN features, ...). Tools turn it into a single line on
stderr and a non-zero exit, Kaldi style: ``tool: error: FILE:LINE: what was expected``.
"""


class InputError(Exception):
    """Bad input, located as precisely as known (file and 1-based line)."""

    def __init__(self, message, path=None, line=None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(str(self))

    def __str__(self):
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        # Errors must stay on one line, whatever the message embeds.
        return (where + self.message).replace("\n", " ")


class TrainingFailure(Exception):
    """A computation that failed on valid input (a training loss that became NaN or
    infinite): reported as one line too, but as a failure of the run, not of the input."""
