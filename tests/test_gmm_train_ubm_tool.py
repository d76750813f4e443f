"""metricvox-train-ubm: the per-iteration log, --nj splits giving the model of one job,
stdin input, the full-covariance stage, and its one-line errors on bad features."""
import re

import kaldiio
import numpy as np
import pytest

from conftest import assert_one_line_error, run_tool
from metricvox.errors import InputError
from metricvox.gmm.frames import FeatureFrames
from metricvox.gmm.model import Gmm
from metricvox.gmm.stats_jobs import StatsJobs
from metricvox.gmm.ubm_training import UbmOptions, train_ubm

OPTIONS = ["--num-components", "8", "--num-iters-init", "4", "--num-iters", "2", "--full",
           "--num-iters-full", "1", "--subsample", "2", "--frames-per-iter", "1500", "--seed", "3"]


@pytest.fixture(scope="module")
def feats(tmp_path_factory):
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (5, 4))
    table = {}
    for i in range(12):
        labels = rng.integers(0, 5, 400)
        table[f"utt{i:02d}"] = (centres[labels] + rng.normal(size=(400, 4))).astype(np.float32)
    directory = tmp_path_factory.mktemp("ubm")
    kaldiio.save_ark(str(directory / "feats.ark"), table, scp=str(directory / "feats.scp"))
    return directory


def test_nj_split_and_stdin_give_the_model_of_one_job(feats):
    one = run_tool("metricvox-train-ubm", *OPTIONS, f"scp:{feats}/feats.scp", feats / "one.npz")
    lines = [l for l in one.stderr.splitlines() if "average log-likelihood" in l]
    assert len(lines) == 4 + 2 + 1
    assert all("over 1500 frames" in l for l in lines[4:])       # the per-iteration cap
    assert "over 2400 frames" in lines[0]                        # 12 x 400 frames, every 2nd
    values = [float(re.search(r"log-likelihood (\S+)", l).group(1)) for l in lines]
    assert all(np.isfinite(values))
    two = run_tool(f"metricvox-train-ubm {' '.join(OPTIONS)} --nj 2 ark:- {feats}/two.npz "
                   f"< {feats}/feats.ark")
    assert [l for l in two.stderr.splitlines() if "average log-likelihood" in l] == lines
    first, second = Gmm.load(feats / "one.npz"), Gmm.load(feats / "two.npz")
    assert first.kind == "full" and first.num_components == 8
    for name in ("weights", "means", "covars"):
        np.testing.assert_allclose(getattr(second, name), getattr(first, name), rtol=1e-10,
                                   atol=1e-12)
    run_tool("metricvox-train-ubm", *OPTIONS, "--seed", "4", "--diag-only",
             f"ark:{feats}/feats.ark", feats / "other.npz")
    other = Gmm.load(feats / "other.npz")
    assert other.kind == "diag" and not np.allclose(other.means, first.means)


def _table(directory, name, table):
    kaldiio.save_ark(str(directory / f"{name}.ark"), table)
    return f"ark:{directory}/{name}.ark"


def test_bad_features_are_one_line_errors(tmp_path):
    good = np.zeros((50, 4), np.float32) + np.arange(50)[:, None]
    cases = {"dims": ({"a": good, "b": np.zeros((50, 3), np.float32)},
                      ["dims.ark", "'b'", "dimension 3"]),
             "few": ({"a": good[:5]}, ["few.ark", "only 5 frames", "8 components"])}
    for name, (table, fragments) in cases.items():
        out = tmp_path / f"{name}.npz"
        proc = run_tool("metricvox-train-ubm", "--num-components", "8",
                        _table(tmp_path, name, table), out, check=False)
        assert_one_line_error(proc, *fragments)
        assert not out.exists()


def test_nan_frames_and_empty_tables_are_named(tmp_path):
    good = np.zeros((50, 4), np.float32) + np.arange(50)[:, None]
    bad = good.copy()
    bad[7, 2] = np.nan
    options = UbmOptions(num_components=4, num_iters_init=1, num_iters=1)
    with StatsJobs(1) as jobs:
        with pytest.raises(InputError,
                           match=r"nan.ark: 'b': NaN or infinite value \(nan at index \(7, 2\)\)"):
            train_ubm(FeatureFrames(_table(tmp_path, "nan", {"a": good, "b": bad})), options, jobs)
        (tmp_path / "empty.ark").write_bytes(b"")
        with pytest.raises(InputError, match=r"empty.ark: no feature frames in the table"):
            train_ubm(FeatureFrames(f"ark:{tmp_path}/empty.ark"), options, jobs)
        with pytest.raises(InputError, match=r"2 utterance\(s\), all empty"):
            empty = np.zeros((0, 4), np.float32)
            train_ubm(FeatureFrames(_table(tmp_path, "hollow", {"a": empty, "b": empty})),
                      options, jobs)
