"""The VoxCeleb stand-in is neither trivial nor hopeless for a naive baseline.

Per-utterance mean and std of 20 Kaldi-style MFCCs (kaldi-native-fbank, an
independent implementation), cosine scoring, EER by scikit-learn's ROC: it must
land between 15% and 35%. The corpus here has only test speakers (dev speakers
play no part in this baseline) but as many of them as runs in a few seconds, so
the figure means something; bench/synth_difficulty.py gives it for ``small``.
"""
import sys
from pathlib import Path

from metricvox.synth import voxceleb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synth_difficulty import equal_error_rate, naive_baseline_eer  # noqa: E402

TEST_SPEAKERS_ONLY = voxceleb.Size(dev_speakers=0, test_speakers=12, vox2_speakers=0, videos=(2, 3),
                                   utterances=(2, 3), seconds=(2.0, 3.0), trials_per_enrollment=4)


def test_equal_error_rate_of_known_scores():
    # Worked by hand: targets 0.9 0.8 0.3, non-targets 0.7 0.2 0.1. At a threshold
    # of 0.75 one target is missed (1/3) and no non-target accepted; at 0.5 one of
    # each is wrong: 1/3 and 1/3, so the EER is 1/3.
    labels = [1, 1, 1, 0, 0, 0]
    scores = [0.9, 0.8, 0.3, 0.7, 0.2, 0.1]
    assert abs(equal_error_rate(labels, scores) - 1 / 3) < 1e-9


def test_naive_mfcc_baseline_eer_is_between_15_and_35_percent(tmp_path):
    voxceleb.write_corpus(tmp_path, TEST_SPEAKERS_ONLY, seed=0)
    eer, n_trials = naive_baseline_eer(tmp_path)
    assert n_trials > 200
    assert 0.15 <= eer <= 0.35, f"EER {100 * eer:.1f}% outside 15-35%"
