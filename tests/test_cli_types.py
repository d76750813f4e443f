"""The click types the tools share (metricvox.cli_types): NAME=FILE, --enroll-map, --device.

Each value is parsed once, in one place; every malformed one is a one-line error
from a real tool run, naming the argument (or FILE:LINE for a map file).
"""
import importlib.machinery
import importlib.util
import re

import click
import pytest
import torch

from conftest import REPO, assert_one_line_error, run_tool
from metricvox.cli_types import Device, EnrollMapFile, NamedFile, device_option, distinct_names
from metricvox.data.enroll_map import read_enroll_map
from metricvox.device import resolve_device
from metricvox.errors import InputError

# Every tool taking NAME=FILE words, with the words that come before them.
NAMED_FILE_TOOLS = {
    "metricvox-compare-systems": ([], "NAME=FILE"),
    "metricvox-plot-det": (["trials", "det.png"], "NAME=SCORES"),
    "metricvox-results-table": ([], "SYSTEM:TRIALS=FILE"),
}

# Every tool taking --enroll-map, with the rest of a command line (never reached).
ENROLL_MAP_TOOLS = {
    "metricvox-score": ["--trials", "trials", "ark:emb.ark", "scores"],
    "metricvox-normalize-scores": ["--cohort", "ark:c.ark", "raw", "ark:emb.ark", "out"],
    "metricvox-map-adapt": ["--ubm", "ubm.npz", "ark:feats.ark", "ark:means.ark"],
    "metricvox-identify": ["--query-map", "queries", "ark:emb.ark"],
}

# A tool declaring --device by hand is found too, and then fails the tests below.
DEVICE_TOOLS = sorted(path.name for path in (REPO / "bin").iterdir()
                      if path.name.startswith("metricvox-")
                      and any(word in path.read_text() for word in ("--device", "device_option(")))


def _convert(kind, value):
    return kind.convert(value, None, None)


# NAME=FILE

def test_named_file_splits_at_the_first_equals_sign():
    assert _convert(NamedFile(), "cosface=exp/a=b/acc") == ("cosface", "exp/a=b/acc")
    assert _convert(NamedFile("PRESET=WSPECIFIER", names=["p"]), "p=ark:x.ark") == ("p", "ark:x.ark")


@pytest.mark.parametrize("value, what", [
    ("noequals", "(no '=')"), ("=file", "(empty NAME)"), ("name=", "(empty FILE)"),
])
def test_named_file_refuses_a_missing_half(value, what):
    with pytest.raises(click.BadParameter, match=re.escape(f"got {value!r} {what}")):
        _convert(NamedFile(), value)


def test_distinct_names_keeps_the_order_and_refuses_a_name_twice():
    assert list(distinct_names(None, None, [("b", "1"), ("a", "2")]).items()) == [("b", "1"),
                                                                                 ("a", "2")]
    with pytest.raises(click.BadParameter, match="'a' is named twice"):
        distinct_names(None, None, [("a", "1"), ("b", "2"), ("a", "3")])


@pytest.mark.parametrize("tool", sorted(NAMED_FILE_TOOLS))
@pytest.mark.parametrize("words, what", [
    (["x:y"], "(no '=')"), (["=f"], "(empty {name})"), (["x:y="], "(empty {file})"),
    (["x:y=f", "x:y=g"], "'x:y' is named twice (f and g)"),
])
def test_named_file_errors_through_every_tool(tool, words, what, tmp_path):
    before, metavar = NAMED_FILE_TOOLS[tool]
    name, file = metavar.split("=")
    what = what.format(name=name, file=file)
    proc = run_tool(tool, *before, *words, check=False, cwd=tmp_path)
    assert_one_line_error(proc, f"'{metavar}", what)
    assert proc.stderr.count("\n") == 1


def test_results_table_needs_a_system_and_a_trial_list(tmp_path):
    proc = run_tool("metricvox-results-table", ":vox1=eer", check=False, cwd=tmp_path)
    assert_one_line_error(proc, "'SYSTEM:TRIALS=FILE", "got ':vox1=eer' (no SYSTEM)")
    proc = run_tool("metricvox-results-table", "ivector=eer", check=False, cwd=tmp_path)
    assert_one_line_error(proc, "'SYSTEM:TRIALS=FILE", "got 'ivector=eer' (no TRIALS)")


def test_compute_feats_also_takes_each_preset_once(tmp_path):
    base = ["metricvox-compute-feats", "--type", "mfcc"]
    proc = run_tool(*base, "--also", "nope=ark:x.ark", "scp:wav.scp", "ark:f.ark", check=False,
                    cwd=tmp_path)
    assert_one_line_error(proc, "'--also'", "with PRESET one of", "siamese-logmel80")
    proc = run_tool(*base, "--also", "siamese-logmel80=ark:a.ark", "--also",
                    "siamese-logmel80=ark:b.ark", "scp:wav.scp", "ark:f.ark", check=False,
                    cwd=tmp_path)
    assert_one_line_error(proc, "'--also'", "'siamese-logmel80' is named twice")


# --enroll-map

def test_enroll_map_keeps_models_in_order_with_their_lines(tmp_path):
    (tmp_path / "map").write_text("spkA a1 a2\nspkB b1\n")
    enroll_map = _convert(EnrollMapFile(), str(tmp_path / "map"))
    assert enroll_map == {"spkA": ["a1", "a2"], "spkB": ["b1"]}
    assert list(enroll_map) == ["spkA", "spkB"]
    assert enroll_map.path == str(tmp_path / "map")
    assert enroll_map.where("spkB") == (str(tmp_path / "map"), 2)


def test_an_empty_enroll_map_is_an_error(tmp_path):
    (tmp_path / "map").write_text("")
    with pytest.raises(InputError, match="no models in the enrollment map"):
        read_enroll_map(tmp_path / "map")


@pytest.mark.parametrize("tool", sorted(ENROLL_MAP_TOOLS))
@pytest.mark.parametrize("text, line, what", [
    ("spkA a1\nspkB\n", 2, "expected at least 2 fields, got 1"),
    ("spkB b1\nspkA a1\n", 2, "key 'spkA' is out of order"),
    ("spkA a1\nspkA a2\n", 2, "duplicate key 'spkA'"),
    ("", None, "no models in the enrollment map"),
])
def test_a_bad_enroll_map_is_located_through_every_tool(tool, text, line, what, tmp_path):
    (tmp_path / "map").write_text(text)
    proc = run_tool(tool, "--enroll-map", tmp_path / "map", *ENROLL_MAP_TOOLS[tool], check=False,
                    cwd=tmp_path)
    where = tmp_path / "map" if line is None else f"{tmp_path / 'map'}:{line}"
    assert_one_line_error(proc, f"{tool}: error: {where}: {what}")


def test_identify_locates_a_class_with_a_missing_embedding_at_its_map_line(tmp_path):
    import kaldiio
    import numpy as np
    kaldiio.save_ark(str(tmp_path / "emb.ark"), {"a1": np.ones(3, np.float32),
                                                 "b1": np.ones(3, np.float32)})
    (tmp_path / "map").write_text("a a1\nb b1 b2\n")
    (tmp_path / "queries").write_text("q a a1\n")
    proc = run_tool("metricvox-identify", "--enroll-map", tmp_path / "map", "--query-map",
                    tmp_path / "queries", f"ark:{tmp_path / 'emb.ark'}", check=False)
    assert_one_line_error(proc, f"{tmp_path / 'map'}:2", "1 of 2 utterances have no embedding")


# --device

def test_device_names():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device(None) == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for name in ("tpu", "cuda:", "cuda:x", "CPU", "cpu:0"):
        with pytest.raises(InputError, match="unknown device"):
            resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_machine_without_it_is_an_error():
    for name in ("cuda", "cuda:0"):
        with pytest.raises(InputError, match="this machine has no CUDA device"):
            resolve_device(name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_a_cuda_index_beyond_the_machine_is_an_error():
    with pytest.raises(InputError, match="CUDA device"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_the_device_option_defaults_to_cuda_when_present():
    @click.command()
    @device_option("the test")
    def command(device):
        pass

    present = "cuda" if torch.cuda.is_available() else "cpu"
    assert command.make_context("command", []).params["device"] == torch.device(present)
    assert command.make_context("command", ["--device", "cpu"]).params["device"] == \
        torch.device("cpu")


def _tool_command(name):
    """The click command of bin/NAME, loaded without running it."""
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(REPO / "bin" / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module.main


def test_the_device_tools_are_the_known_ones():
    # The tools that had a --device of their own when the option became shared.
    assert set(DEVICE_TOOLS) >= {"metricvox-extract", "metricvox-map-adapt", "metricvox-mine-pairs",
                                 "metricvox-score", "metricvox-separate", "metricvox-train",
                                 "metricvox-train-class-gmms", "metricvox-train-ubm"}


@pytest.mark.parametrize("tool", DEVICE_TOOLS)
def test_every_device_option_is_the_shared_one(tool):
    option, = [p for p in _tool_command(tool).params if "--device" in p.opts]
    assert isinstance(option.type, Device)
    assert option.show_default == "cuda when present, else cpu"
    assert option.get_default(click.Context(click.Command("x"))) == \
        ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("tool", DEVICE_TOOLS)
def test_an_unknown_device_is_one_line_through_every_tool(tool, tmp_path):
    proc = run_tool(tool, "--device", "tpu", check=False, cwd=tmp_path)
    assert_one_line_error(proc, f"{tool}: error: Invalid value for '--device': unknown device 'tpu'")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_it_is_one_line_from_a_tool(tmp_path):
    (tmp_path / "conf").write_text("--device=cuda\n")
    for args in (["--device", "cuda"], ["--config", tmp_path / "conf"]):
        proc = run_tool("metricvox-map-adapt", *args, "--ubm", "u.npz", "ark:f.ark", "ark:m.ark",
                        check=False, cwd=tmp_path)
        assert_one_line_error(proc, "'--device'", "device cuda asked for, but this machine has "
                                                  "no CUDA device")
