"""metricvox-compare-systems: Tukey's HSD as scipy computes it, and what is significant."""
import json

import numpy as np
import pytest
from scipy.stats import tukey_hsd

from conftest import assert_one_line_error
from metricvox.errors import InputError
from metricvox.reports.system_comparison import read_accuracies, tukey_pairs

SYSTEMS = {"gmm": [53.2, 51.0, 55.1, 52.4, 50.9],
           "svm": [56.1, 57.3, 54.2, 55.0, 58.8],
           "metric": [76.1, 74.0, 78.2, 75.5, 77.3]}


def _write(tmp_path, systems):
    arguments = []
    for name, values in systems.items():
        path = tmp_path / f"{name}.acc"
        path.write_text("".join(f"{v}\n" for v in values) + "\n")
        arguments.append(f"{name}={path}")
    return arguments


def test_tool_output_equals_scipy(tool, tmp_path):
    proc = tool("metricvox-compare-systems", "--json", tmp_path / "c.json", "--box-plot",
                tmp_path / "box.png", *_write(tmp_path, SYSTEMS))
    result = json.loads((tmp_path / "c.json").read_text())
    reference = tukey_hsd(*[np.array(v) for v in SYSTEMS.values()])
    interval = reference.confidence_interval(confidence_level=0.95)
    names = list(SYSTEMS)
    pairs = {(p["first"], p["second"]): p for p in result["tukey_hsd"]}
    assert len(pairs) == 3
    for i in range(3):
        for j in range(i + 1, 3):
            pair = pairs[(names[i], names[j])]
            assert pair["difference"] == pytest.approx(reference.statistic[i, j])
            assert pair["p_value"] == pytest.approx(reference.pvalue[i, j])
            assert pair["low"] == pytest.approx(interval.low[i, j])
            assert pair["high"] == pytest.approx(interval.high[i, j])
            assert pair["significant"] == (reference.pvalue[i, j] < 0.05)
    stats = result["systems"]["svm"]
    assert stats["mean"] == pytest.approx(np.mean(SYSTEMS["svm"]))
    assert stats["std"] == pytest.approx(np.std(SYSTEMS["svm"], ddof=1))
    text = proc.stdout.decode()
    assert "gmm vs metric" in text and "yes" in text
    assert (tmp_path / "box.png").read_bytes()[:4] == b"\x89PNG"


def test_different_groups_significant_identical_distributions_not():
    rng = np.random.default_rng(0)
    same = {"a": rng.normal(70, 2, 10), "b": rng.normal(70, 2, 10)}
    (pair,) = tukey_pairs(same)
    assert not pair.significant and pair.p_value > 0.05 and pair.low < 0 < pair.high
    apart = {"a": rng.normal(50, 2, 10), "b": rng.normal(60, 2, 10)}
    (pair,) = tukey_pairs(apart)
    assert pair.significant and pair.p_value < 1e-6 and pair.high < 0


def test_accuracies_file_errors(tool, tmp_path):
    (tmp_path / "bad").write_text("55.0\nfifty\n")
    proc = tool("metricvox-compare-systems", f"x={tmp_path / 'bad'}",
                *_write(tmp_path, {"y": [1, 2]}), check=False)
    assert_one_line_error(proc, "bad:2", "expected one finite number")
    (tmp_path / "nan").write_text("55.0\nnan\n")
    with pytest.raises(InputError, match="nan:2"):
        read_accuracies(tmp_path / "nan")
    (tmp_path / "empty").write_text("")
    with pytest.raises(InputError, match="at least two"):
        read_accuracies(tmp_path / "empty")
    with pytest.raises(InputError, match="at least two"):
        tukey_pairs({"only": [1.0, 2.0]})
    with pytest.raises(InputError, match="constant"):
        tukey_pairs({"a": [1.0, 1.0], "b": [2.0, 2.0]})
