"""The official Spleeter as a separation backend: ``spleeter separate`` on each recording.

For users who have Deezer's ``spleeter`` installed (TensorFlow) and want its own
code path. Each recording is written to a temporary 44.1 kHz float WAV, separated
with the pretrained ``spleeter:2stems`` model (which spleeter itself fetches into its
model directory on first use; the torch backend never downloads anything) and its
stems are read back. Same interface as :class:`metricvox.separation.separator.TorchSeparator`.
"""
import os
import shutil
import subprocess
import tempfile

import numpy as np
import soundfile

from metricvox.errors import InputError
from metricvox.separation.weights import STEMS

SAMPLE_RATE = 44100
MODEL = "spleeter:2stems"


def spleeter_command(executable, input_path, out_dir):
    """The ``spleeter separate`` command line writing ``out_dir/<stem>.wav`` for ``input_path``."""
    return [executable, "separate", "-p", MODEL, "-c", "wav", "-o", str(out_dir),
            "-f", "{instrument}.{codec}", str(input_path)]


class SpleeterCommandSeparator:
    """Separation by running the ``spleeter`` command found on PATH."""

    sample_rate = SAMPLE_RATE

    def __init__(self, executable="spleeter"):
        self.executable = shutil.which(executable)
        if self.executable is None:
            raise InputError(f"--backend spleeter needs the '{executable}' command, which is not "
                             "installed (pip install spleeter), or use --backend torch")

    def separate(self, waveform, stems=STEMS):
        """{stem: (n, channels) float32} of a (n, channels) waveform at 44.1 kHz."""
        waveform = np.asarray(waveform, dtype=np.float32)
        if waveform.ndim == 1:
            waveform = waveform[:, None]
        with tempfile.TemporaryDirectory(prefix="metricvox-spleeter.") as work:
            mixture = os.path.join(work, "mixture.wav")
            soundfile.write(mixture, waveform, SAMPLE_RATE, subtype="FLOAT")
            command = spleeter_command(self.executable, mixture, work)
            proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True)
            if proc.returncode != 0:
                lines = proc.stderr.decode(errors="replace").strip().splitlines()
                last = f": {lines[-1].strip()}" if lines else ""
                raise InputError(f"'{' '.join(command)}' failed with exit status "
                                 f"{proc.returncode}{last}")
            return {stem: self._read_stem(os.path.join(work, f"{stem}.wav"), waveform.shape)
                    for stem in stems}

    @staticmethod
    def _read_stem(path, shape):
        """The stem spleeter wrote, cut or zero-padded to the input's length, channels as input."""
        if not os.path.isfile(path):
            raise InputError(f"spleeter wrote no {os.path.basename(path)}")
        samples, _ = soundfile.read(path, dtype="float32", always_2d=True)
        if shape[1] == 1:
            samples = samples.mean(axis=1, keepdims=True)
        out = np.zeros(shape, dtype=np.float32)
        kept = min(shape[0], samples.shape[0])
        out[:kept] = samples[:kept, :shape[1]]
        return out
