"""A bad-input sweep over every tool in bin/: the error contract, case by case.

Every case is a record (below, ``CASES``): the tool, a shell command template, the
bad inputs it creates, and what must happen. A bad input must end in one stderr
line ``tool: error: ...`` naming what is wrong (where a file is at fault, that
file), a non-zero exit, no traceback, and nothing new left in the case's
directory (no partial ark/scp/scores/data dir, no half of a pair of outputs);
``expect="ok"`` marks a documented behaviour that succeeds instead (the valid
runs every bad case is derived from are such cases, the sweep's negative control).

Each run is classified as clean-error, traceback, exit-0-wrong, partial-output,
unclear-error (non-zero, but not the one line) or hang (no exit within
``TIMEOUT`` s). A case still failing is listed in ``KNOWN`` with the outcome seen and is
an xfail(strict=True): fixing it makes the suite say so until the entry is gone.
The counts before any fix are in tests/bad_input_sweep_baseline.md.

Placeholders in the templates: {F} the shared valid fixtures (read only by the
cases), {T} the case's own directory (inputs made here, outputs written here),
{FULL} a directory on a full file system, {RO} one on a read-only file system.
"""
import dataclasses
import os
import re
import shlex
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

from augment_corpora import write_musan
from conftest import REPO, run_tool

TIMEOUT = 30
RATE = 16000
SPEAKERS, UTTS = 4, 3


# --------------------------------------------------------------------------------------
# The valid world every bad case is derived from, built once for the module.

def _write_data_dir(directory, wav_dir, utts):
    directory.mkdir(parents=True)
    lines = {"wav.scp": [], "utt2spk": [], "utt2label": []}
    for utt, spk in utts:
        lines["wav.scp"].append(f"{utt} {wav_dir / (utt + '.wav')}\n")
        lines["utt2spk"].append(f"{utt} {spk}\n")
        lines["utt2label"].append(f"{utt} class{int(spk[-1]) % 2}\n")
    for name, table in lines.items():
        (directory / name).write_text("".join(sorted(table)))
    spk2utt = {}
    for utt, spk in utts:
        spk2utt.setdefault(spk, []).append(utt)
    (directory / "spk2utt").write_text("".join(f"{s} {' '.join(sorted(u))}\n" for s, u in sorted(spk2utt.items())))


def _build_world(root):
    rng = np.random.default_rng(0)
    wav_dir = root / "wav"
    wav_dir.mkdir(parents=True)
    utts = []
    for s in range(SPEAKERS):
        pitch = 120 + 40 * s
        for u in range(UTTS):
            utt = f"spk{s}-utt{u}"
            t = np.arange(RATE) / RATE
            signal = 0.3 * np.sin(2 * np.pi * pitch * t * (1 + 0.05 * u)) + 0.05 * rng.normal(size=RATE)
            signal[: RATE // 5] *= 0.01          # a quiet start, so VAD has something to decide
            soundfile.write(wav_dir / f"{utt}.wav", signal.astype(np.float32), RATE, subtype="PCM_16")
            utts.append((utt, f"spk{s}"))
    data = root / "data"
    _write_data_dir(data, wav_dir, utts)
    # Two halves with other utterance ids, for combine-data-dirs and mine-pairs.
    _write_data_dir(root / "data_a", wav_dir, utts[:6])
    _write_data_dir(root / "data_b", wav_dir, utts[6:])
    keys = [u for u, _ in utts]
    trials = [f"{a} {b} {'target' if a[:4] == b[:4] else 'nontarget'}\n"
              for i, a in enumerate(keys) for b in keys[i + 1:]]
    (data / "trials").write_text("".join(sorted(trials)))
    (root / "segments").write_text("".join(f"{u}-seg {u} 0.10 0.80\n" for u in keys))
    write_musan(root / "musan")   # for augment-wav and augment-data-dir
    (root / "data_seg").mkdir()
    (root / "data_seg/wav.scp").write_text((data / "wav.scp").read_text())
    (root / "data_seg/segments").write_text((root / "segments").read_text())
    (root / "data_seg/utt2spk").write_text("".join(f"{u}-seg {u[:4]}\n" for u in keys))
    (root / "data_seg/spk2utt").write_text("".join(f"spk{s} {' '.join(f'{u}-seg' for u in keys if u[:4] == f'spk{s}')}\n"
                                                    for s in range(SPEAKERS)))
    (root / "two.scp").write_text("".join((data / "wav.scp").read_text().splitlines(True)[:2]))

    def tool(command):
        # Run in the world's directory, with its paths made absolute: the scps written here
        # name their arks, and the cases read them from elsewhere.
        run_tool(f"cd {root} && " + re.sub(r"(ark,scp:|ark:)(\w+\.\w+)(,)?(\w+\.\w+)?",
                                           lambda m: m.group(1) + f"{root}/{m.group(2)}"
                                           + (f",{root}/{m.group(4)}" if m.group(3) else ""), command))

    tool("metricvox-compute-feats --quiet --type mfcc --num-ceps 8 --num-mel-bins 10 --dither 0 "
         "scp:data/wav.scp ark,scp:feats.ark,feats.scp")
    tool("metricvox-compute-vad --quiet scp:feats.scp ark,scp:vad.ark,vad.scp")
    tool("metricvox-pool-feats --quiet scp:feats.scp ark,scp:emb.ark,emb.scp")
    tool("metricvox-score --quiet --trials data/trials scp:emb.scp scores")
    tool("metricvox-compute-eer --quiet data/trials scores > eer.txt")
    tool("metricvox-train-plda --quiet --utt2spk data/utt2spk scp:emb.scp plda.npz")
    tool("metricvox-train-ubm --quiet --num-components 4 --num-iters-init 2 --num-iters 1 "
         "--num-frames-init 2000 --min-count 0 scp:feats.scp ubm.npz")
    tool("metricvox-map-adapt --quiet --ubm ubm.npz scp:feats.scp ark:means.ark")
    tool("metricvox-train-ivector-extractor --quiet --ubm ubm.npz --ivector-dim 3 --num-iters 1 "
         "--num-gselect 2 scp:feats.scp ivx.npz")
    tool("metricvox-extract-ivectors --quiet --extractor ivx.npz scp:feats.scp ark,scp:ivec.ark,ivec.scp")
    tool("metricvox-train-class-gmms --quiet --utt2label data/utt2label --num-components 2 "
         "--num-iters-init 2 --num-iters 1 scp:feats.scp gmms")
    tool("metricvox-train-class-svm --quiet --utt2label data/utt2label scp:feats.scp svm.model")
    tool("metricvox-score-classes --quiet --method gmm --model gmms scp:feats.scp class_scores")
    (root / "acc_a").write_text("80\n82\n79\n")
    (root / "acc_b").write_text("70\n71\n69\n")
    (root / "enroll_map").write_text("".join(f"spk{s} spk{s}-utt0 spk{s}-utt1\n" for s in range(SPEAKERS)))
    (root / "query_map").write_text("".join(f"q{s} spk{s} spk{s}-utt2\n" for s in range(SPEAKERS)))
    (root / "model_trials").write_text("".join(
        f"spk{s} spk{t}-utt2 {'target' if s == t else 'nontarget'}\n"
        for s in range(SPEAKERS) for t in range(SPEAKERS)))
    _write_table(root / "cohort.ark", {f"coh{i}": rng.normal(size=16).astype(np.float32) for i in range(6)})
    emb = {k: v for k, v in _read_table(root / "emb.ark").items()}
    _write_table(root / "emb_a.ark", {k: v for k, v in emb.items() if k < "spk2"})
    _write_table(root / "emb_b.ark", {k: v for k, v in emb.items() if k >= "spk2"})
    (root / "exp.yaml").write_text(yaml.safe_dump(NNET_CONFIG))
    (root / "feats_data").mkdir()
    shutil.copy(data / "utt2spk", root / "feats_data/utt2spk")
    (root / "feats_data/feats.scp").write_text((root / "feats.scp").read_text())
    tool("metricvox-train --quiet --config exp.yaml --data feats_data --out exp --device cpu")
    return root


NNET_CONFIG = {
    "model": {"name": "vgg_encoder", "freq_bins": 8, "embedding_dim": 16, "hidden_dim": 32,
              "attention_dim": 16},
    "loss": {"name": "softmax"},
    "input": {"source": "feats", "crop_frames": 16},
    "sampler": {"classes_per_batch": 4, "per_class": 2},
    "optimiser": {"name": "adam", "lr": 0.001},
    "epochs": 1,
}


def _write_table(path, table):
    import kaldiio
    with open(path, "wb") as stream:
        for key in sorted(table):
            kaldiio.save_ark(stream, {key: table[key]})


def _read_table(path):
    import kaldiio
    return dict(kaldiio.load_ark(str(path)))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return _build_world(tmp_path_factory.mktemp("world"))


def _mount(directory, *options):
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=256k",) + options),
                           "tmpfs", str(directory)], capture_output=True, text=True)
    return proc.returncode == 0


def _fill(directory):
    """Write to ``directory`` until its file system has no byte left."""
    with open(directory / "filler", "wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"\0" * 4096)
        except OSError:
            pass


@pytest.fixture(scope="module")
def mounts(tmp_path_factory):
    """{FULL}: a tmpfs filled to the last byte; {RO}: a tmpfs mounted read-only.

    Being root, chmod stops no write; a read-only mount does. Both need mount(8)
    rights (root here and in CI); without them those cases are skipped."""
    base = tmp_path_factory.mktemp("mounts")
    full, ro = base / "full", base / "ro"
    if not _mount(full):
        yield None
        return
    _fill(full)
    _mount(ro, "ro")
    yield {"FULL": full, "RO": ro}
    for directory in (full, ro):
        subprocess.run(["umount", "-l", str(directory)], capture_output=True)


# --------------------------------------------------------------------------------------
# Bad inputs, each derived from a valid fixture file: name -> bytes given the world dir.

def _ark_with(world, transform):
    """feats.ark with every matrix passed through ``transform``."""
    import io

    import kaldiio
    buffer = io.BytesIO()
    for key, matrix in sorted(_read_table(world / "feats.ark").items()):
        kaldiio.save_ark(buffer, {key: transform(matrix.copy())})
    return buffer.getvalue()


def _with_value(value):
    def transform(matrix):
        matrix[3, 2] = value
        return matrix
    return transform


def _huge_header(world):
    # A binary float matrix header announcing 2^31-1 x 2^31-1 with 8 bytes of data.
    return (b"spk0-utt0 \0BFM \x04" + struct.pack("<i", 2**31 - 1) + b"\x04"
            + struct.pack("<i", 2**31 - 1) + b"\0" * 8)


def _scp_lines(world, name="feats.scp"):
    return (world / name).read_text().splitlines(True)


def _duplicate_scp(world, name="feats.scp"):
    lines = _scp_lines(world, name)
    return "".join(lines[:3] + [lines[0]] + lines[3:]).encode()


def _reversed_range_scp(world, name="feats.scp"):
    lines = _scp_lines(world, name)
    return "".join([lines[0].rstrip("\n") + "[20:5]\n"] + lines[1:]).encode()


BAD = {
    "garbage": lambda w: b"\x00\x01 not an ark \xff\xfe\x00" * 20,
    "empty": lambda w: b"",
    # Cut inside a matrix: a cut between two entries leaves a valid, shorter ark.
    "truncated": lambda w: (w / "feats.ark").read_bytes()[: len((w / "feats.ark").read_bytes()) // 2 - 7],
    "huge-dim": _huge_header,
    "text-table": lambda w: (w / "data/utt2spk").read_bytes(),           # a text table, not an ark
    "audio-ark": lambda w: b"spk0-utt0 " + (w / "wav/spk0-utt0.wav").read_bytes(),
    "vectors": lambda w: (w / "emb.ark").read_bytes(),                   # vectors where matrices belong
    "nan": lambda w: _ark_with(w, _with_value(np.nan)),
    "inf": lambda w: _ark_with(w, _with_value(np.inf)),
    "dup-scp": _duplicate_scp,
    "dup-emb-scp": lambda w: _duplicate_scp(w, "emb.scp"),
    "reversed-range-scp": _reversed_range_scp,
    "nan-emb": lambda w: b"".join(
        open_ark_bytes(w, "emb.ark", lambda v: np.where(np.arange(v.size) == 1, np.nan, v).astype(np.float32))),
    "trials-dup": lambda w: ((w / "data/trials").read_text() + (w / "data/trials").read_text().splitlines(True)[0]).encode(),
    "binary": lambda w: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    # The valid segments with the times of the first line replaced (the recordings last 1 s).
    "segments-nan": lambda w: _first_segment_times(w, "nan 0.5"),
    "segments-reversed": lambda w: _first_segment_times(w, "0.8 0.2"),
    "segments-past-end": lambda w: _first_segment_times(w, "0.1 98.0"),
    "yaml-nan-lr": lambda w: yaml.safe_dump(NNET_CONFIG).replace("lr: 0.001", "lr: .nan").encode(),
    "yaml-dup-key": lambda w: (yaml.safe_dump(NNET_CONFIG) + "epochs: 3\n").encode(),
    "yaml-binary": lambda w: yaml.safe_dump(NNET_CONFIG).encode() + b"\x00\xff\xfe binary\n",
    "yaml-huge-crop": lambda w: yaml.safe_dump({**NNET_CONFIG, "input": {"source": "feats", "crop_frames": 100000}}).encode(),
    "yaml-anchor-bomb": lambda w: ("a: &a ['x','x','x','x','x','x','x','x','x']\n"
                                   + "".join(f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                                             for p, c in zip("abcdefgh", "bcdefghi"))).encode(),
    "lhotse-recordings": lambda w: _lhotse_manifest(w, "recordings"),
    "lhotse-supervisions": lambda w: _lhotse_manifest(w, "supervisions", 0.5),
    "lhotse-supervision-past-end": lambda w: _lhotse_manifest(w, "supervisions", 98.0),
    "nan-acc": lambda w: b"80\nnan\n79\n",
    "nan-scores": lambda w: _nan_first_score(w),
    "scores-dup": lambda w: ((w / "scores").read_text() + (w / "scores").read_text().splitlines(True)[0]).encode(),
}


def _lhotse_manifest(world, kind, end=None):
    """A lhotse manifest, as lhotse writes it, of the recording spk0-utt0 or of one supervision
    of it from 0 to ``end`` s."""
    import tempfile
    from lhotse import Recording, RecordingSet, SupervisionSegment, SupervisionSet
    with tempfile.TemporaryDirectory() as temp:
        path = os.path.join(temp, "m.jsonl")
        if kind == "recordings":
            RecordingSet.from_recordings([Recording.from_file(world / "wav/spk0-utt0.wav")]).to_file(path)
        else:
            SupervisionSet.from_segments([SupervisionSegment("spk0-utt0", "spk0-utt0", 0.0, end,
                                                             speaker="spk0")]).to_file(path)
        with open(path, "rb") as stream:
            return stream.read()


def _first_segment_times(world, times):
    first, *rest = (world / "segments").read_text().splitlines(True)
    return (" ".join(first.split()[:2]) + f" {times}\n" + "".join(rest)).encode()


def _nan_first_score(world):
    first, *rest = (world / "scores").read_text().splitlines(True)
    return (" ".join(first.split()[:2] + ["nan"]) + "\n" + "".join(rest)).encode()


def open_ark_bytes(world, name, transform):
    import io

    import kaldiio
    for key, array in sorted(_read_table(world / name).items()):
        buffer = io.BytesIO()
        kaldiio.save_ark(buffer, {key: transform(array.copy())})
        yield buffer.getvalue()


# --------------------------------------------------------------------------------------
# The cases.

@dataclasses.dataclass(frozen=True)
class Case:
    tool: str
    name: str
    command: str                 # shell template: the tool's arguments (the tool name is prepended)
    inputs: tuple = ()           # (file under {T}, BAD key or "copy:PATH-in-{F}")
    expect: str = "error"        # "error" or "ok"
    names: tuple = ()            # fragments the error line must hold (templates too)
    needs: str = None            # "mounts" when it uses {FULL} or {RO}

    @property
    def id(self):
        return f"{self.tool.removeprefix('metricvox-')}:{self.name}"


def _c(tool, name, command, *inputs, **fields):
    return Case(f"metricvox-{tool}", name, command, tuple(inputs), **fields)


FEATS = "scp:{F}/feats.scp"
EMB = "scp:{F}/emb.scp"

# The tools reading feature matrices: (tool, arguments with {IN} for the features and {OUT} for
# the output, the output file(s) to check, the stdout form of the output or None).
FEATURE_READERS = [
    ("copy-matrix", "{IN} ark,scp:{T}/o.ark,{T}/o.scp"),
    ("add-deltas", "{IN} ark:{T}/o.ark"),
    ("apply-cmvn", "{IN} ark:{T}/o.ark"),
    ("compute-vad", "{IN} ark:{T}/o.ark"),
    ("pool-feats", "{IN} ark:{T}/o.ark"),
    ("select-voiced-frames", "{IN} scp:{F}/vad.scp ark:{T}/o.ark"),
    ("train-ubm", "--num-components 2 --num-iters-init 1 --num-iters 1 --min-count 0 {IN} {T}/ubm.npz"),
    ("map-adapt", "--ubm {F}/ubm.npz {IN} ark:{T}/o.ark"),
    ("train-ivector-extractor", "--ubm {F}/ubm.npz --ivector-dim 2 --num-iters 1 --num-gselect 2 {IN} {T}/x.npz"),
    ("extract-ivectors", "--extractor {F}/ivx.npz {IN} ark:{T}/o.ark"),
    ("train-class-gmms", "--utt2label {F}/data/utt2label --num-components 1 --num-iters-init 1 --num-iters 1 {IN} {T}/gmms"),
    ("train-class-svm", "--utt2label {F}/data/utt2label {IN} {T}/svm.model"),
    ("score-classes", "--method gmm --model {F}/gmms {IN} {T}/scores"),
    ("extract", "--device cpu --input feats --model {F}/exp/last.pt {IN} ark:{T}/o.ark"),
    ("score", "--backend gmm-ubm --ubm {F}/ubm.npz --trials {F}/model_trials ark:{F}/means.ark {IN} {T}/scores"),
]
# copy-matrix, the shared reader's plainest user, gets every bad table; the other readers
# the cases where a tool's own use of the table could go wrong (a tool that takes ~2 s just
# to start, for torch, fewer: the sweep must stay fast).
ALL_MATRIX_CASES = ["garbage", "empty", "truncated", "huge-dim", "text-table", "audio-ark",
                    "nan", "inf", "dup-scp", "reversed-range-scp"]
PER_TOOL_MATRIX_CASES = ["garbage", "nan", "dup-scp"]
SLOW_TO_START = {"extract", "extract-ivectors", "map-adapt", "train-ubm", "train-class-gmms", "plot-det",
                 "mine-pairs", "train", "separate"}


def _matrix_cases_of(tool):
    if tool == "copy-matrix":
        return ALL_MATRIX_CASES
    return PER_TOOL_MATRIX_CASES[:2] if tool in SLOW_TO_START else PER_TOOL_MATRIX_CASES


def _feature_cases():
    cases = []
    for tool, command in FEATURE_READERS:
        if tool not in {w[0] for w in WRITERS}:        # its valid run is not among the writers'
            cases.append(_c(tool, "valid", command.replace("{IN}", FEATS), expect="ok"))
        for bad in _matrix_cases_of(tool):
            if bad.endswith("scp"):
                inputs = [("in.scp", bad)]
                spec = "scp:{T}/in.scp"
            else:
                inputs = [("in.ark", bad)]
                spec = "ark:{T}/in.ark"
            cases.append(_c(tool, bad, command.replace("{IN}", spec), *inputs,
                            names=("in.scp" if bad.endswith("scp") else "in.ark",)))
    return cases


# The tools reading embedding vectors.
EMBEDDING_READERS = [
    ("score", "--trials {F}/data/trials {IN} {T}/scores"),
    ("train-plda", "--utt2spk {F}/data/utt2spk {IN} {T}/plda.npz"),
    ("identify", "--enroll-map {F}/enroll_map --query-map {F}/query_map {IN}"),
    ("mine-pairs", "{IN} ark:{F}/emb_b.ark {T}/pairs {T}/triplets"),
    ("normalize-scores", "--cohort ark:{F}/cohort.ark {F}/scores {IN} {T}/scores"),
    ("score-classes", "--method centroid --train-embeddings {IN} --train-utt2label {F}/data/utt2label "
                      "scp:{F}/emb.scp {T}/scores"),
]


def _embedding_cases():
    cases = []
    for tool, command in EMBEDDING_READERS:
        valid_in = "ark:{F}/emb_a.ark" if tool == "mine-pairs" else EMB
        if tool in ("mine-pairs", "score-classes"):     # no valid run of this use among the writers'
            cases.append(_c(tool, "valid-emb", command.replace("{IN}", valid_in), expect="ok"))
        for case_name, bad, name, spec in [("garbage-emb", "garbage", "in.ark", "ark:{T}/in.ark"),
                                           ("dup-emb-scp", "dup-emb-scp", "in.scp", "scp:{T}/in.scp"),
                                           ("nan-emb", "nan-emb", "in.ark", "ark:{T}/in.ark")]:
            cases.append(_c(tool, case_name, command.replace("{IN}", spec), (name, bad), names=(name,)))
    return cases


# Every tool that writes, with its output argument as {OUT} (a file) and the rest valid.
WRITERS = [
    ("copy-matrix", f"{FEATS} ark:{{OUT}}", True),
    ("add-deltas", f"{FEATS} ark:{{OUT}}", True),
    ("apply-cmvn", f"{FEATS} ark:{{OUT}}", True),
    ("compute-vad", f"{FEATS} ark:{{OUT}}", True),
    ("pool-feats", f"{FEATS} ark:{{OUT}}", True),
    ("select-voiced-frames", f"{FEATS} scp:{{F}}/vad.scp ark:{{OUT}}", True),
    ("compute-feats", "--type mfcc scp:{F}/two.scp ark:{OUT}", True),
    ("extract", "--device cpu --input feats --model {F}/exp/last.pt " + FEATS + " ark:{OUT}", True),
    ("extract-ivectors", "--extractor {F}/ivx.npz " + FEATS + " ark:{OUT}", True),
    ("map-adapt", "--ubm {F}/ubm.npz " + FEATS + " ark:{OUT}", True),
    ("train-ubm", "--num-components 2 --num-iters-init 1 --num-iters 1 --min-count 0 " + FEATS + " {OUT}", False),
    ("train-ivector-extractor", "--ubm {F}/ubm.npz --ivector-dim 2 --num-iters 1 --num-gselect 2 " + FEATS + " {OUT}", False),
    ("train-class-svm", "--utt2label {F}/data/utt2label " + FEATS + " {OUT}", False),
    ("train-plda", "--utt2spk {F}/data/utt2spk " + EMB + " {OUT}", False),
    ("score", "--trials {F}/data/trials " + EMB + " {OUT}", True),
    ("score-classes", "--method gmm --model {F}/gmms " + FEATS + " {OUT}", True),
    ("normalize-scores", "--cohort ark:{F}/cohort.ark {F}/scores " + EMB + " {OUT}", True),
    ("fuse-scores", "--train-trials {F}/data/trials --train-scores {F}/scores,{F}/scores "
                    "--apply-scores {F}/scores,{F}/scores {OUT}", True),
    ("make-trials", "{F}/data {OUT}", True),
    ("ins", "--surrogates 2 --scales 0.2,0.5 scp:{F}/two.scp {OUT}", True),
    ("identify", "--enroll-map {F}/enroll_map --query-map {F}/query_map --per-class {OUT} " + EMB, False),
    ("results-table", "--out {OUT} sys:vox={F}/eer.txt", False),
    ("html-report", "{F}/eer.txt {OUT}", False),
    ("classification-report", "--utt2label {F}/data/utt2label --json {OUT} {F}/class_scores", False),
    ("compare-systems", "--json {OUT} a={F}/acc_a b={F}/acc_b", False),
    ("plot-det", "{F}/data/trials {OUT} a={F}/scores", False),          # PNG: no suffix
    ("compute-eer", "--det-plot {OUT} {F}/data/trials {F}/scores", False),
]
# Tools writing a directory, with {OUT} for it.
DIR_WRITERS = [
    ("train-class-gmms", "--utt2label {F}/data/utt2label --num-components 1 --num-iters-init 1 --num-iters 1 "
                         + FEATS + " {OUT}"),
    ("subset-data-dir", "--first 2 {F}/data {OUT}"),
    ("combine-data-dirs", "{OUT} {F}/data_a {F}/data_b"),
    ("synth-corpus", "--kind urbansound --size mini --out {OUT}"),
    ("separate", "--device cpu scp:{F}/two.scp {OUT}"),
    ("train", "--config {F}/exp.yaml --data {F}/feats_data --out {OUT} --device cpu"),
]


def _output_cases():
    cases = []
    for tool, command, stdout in WRITERS:
        out = "{T}/out"
        cases.append(_c(tool, "valid-out", command.replace("{OUT}", out), expect="ok"))
        cases.append(_c(tool, "out-full-disk", command.replace("{OUT}", "{FULL}/out"), needs="mounts"))
        cases.append(_c(tool, "out-read-only", command.replace("{OUT}", "{RO}/out"), needs="mounts",
                        names=("out",)))
        if tool in SLOW_TO_START:
            continue
        cases.append(_c(tool, "out-is-dir", command.replace("{OUT}", "{T}/outdir"), ("outdir/keep", "empty"),
                        names=("outdir",)))
        if stdout:
            # A private copy of /dev/full: a tool that renames its output over it harms only the copy.
            cases.append(_c(tool, "dev-full", command.replace("ark:{OUT}", "ark:{T}/full")
                            .replace("{OUT}", "{T}/full"), ("full", "device:/dev/full"), names=("full",)))
            cases.append(_c(tool, "closed-stdout", command.replace("ark:{OUT}", "ark:-").replace("{OUT}", "-")
                            + " >&-"))
    for tool, command in DIR_WRITERS:
        cases.append(_c(tool, "out-dir-is-file", command.replace("{OUT}", "{T}/afile"), ("afile", "empty"),
                        names=("afile",)))
        cases.append(_c(tool, "out-dir-read-only", command.replace("{OUT}", "{RO}/out"), needs="mounts"))
        cases.append(_c(tool, "out-dir-full-disk", command.replace("{OUT}", "{FULL}/out"), needs="mounts"))
    return cases


SPECIAL_CASES = [
    # ---- a table of the wrong type
    _c("add-deltas", "vectors-for-matrices", "ark:{T}/in.ark ark:{T}/o.ark", ("in.ark", "vectors"),
       names=("in.ark",)),
    _c("select-voiced-frames", "matrices-for-vad", FEATS + " " + FEATS + " ark:{T}/o.ark", names=("feats.scp",)),
    # ---- outputs: pairs, same path twice, plots
    _c("copy-matrix", "same-ark-and-scp", FEATS + " ark,scp:{T}/o,{T}/o"),
    _c("compute-feats", "also-same-as-main", "--type mfcc --also ivector-mfcc20=ark:{T}/o.ark "
       "scp:{F}/two.scp ark:{T}/o.ark", names=("o.ark",)),
    _c("mine-pairs", "pairs-and-triplets-same", "ark:{F}/emb_a.ark ark:{F}/emb_b.ark {T}/o {T}/o", names=("o",)),
    _c("mine-pairs", "triplets-unwritable", "ark:{F}/emb_a.ark ark:{F}/emb_b.ark {T}/pairs {T}/outdir",
       ("outdir/keep", "empty"), names=("outdir",)),
    _c("copy-matrix", "scp-unwritable", FEATS + " ark,scp:{T}/o.ark,{T}/outdir", ("outdir/keep", "empty"),
       names=("outdir",)),
    _c("classification-report", "json-and-accuracies-same", "--utt2label {F}/data/utt2label --json {T}/o "
       "--accuracies {T}/o {F}/class_scores", names=("o",)),
    _c("classification-report", "roc-unknown-suffix", "--utt2label {F}/data/utt2label --roc {T}/roc.xyz "
       "{F}/class_scores", names=("roc.xyz",)),
    _c("classification-report", "second-output-unwritable", "--utt2label {F}/data/utt2label --json {T}/o.json "
       "--confusion {T}/outdir {F}/class_scores", ("outdir/keep", "empty"), names=("outdir",)),
    _c("compare-systems", "box-plot-unknown-suffix", "--box-plot {T}/p.xyz a={F}/acc_a b={F}/acc_b",
       names=("p.xyz",)),
    _c("plot-det", "unknown-suffix", "{F}/data/trials {T}/p.xyz a={F}/scores", names=("p.xyz",)),
    _c("compute-eer", "det-plot-unknown-suffix", "--det-plot {T}/p.xyz {F}/data/trials {F}/scores",
       names=("p.xyz",)),
    _c("ins", "plot-unknown-suffix", "--surrogates 2 --scales 0.2,0.5 --plot {T}/p.xyz scp:{F}/two.scp {T}/o",
       names=("p.xyz",)),
    _c("ins", "classes-pair-unwritable", "--surrogates 2 --scales 0.2,0.5 --utt2label {F}/data/utt2label "
       "scp:{F}/two.scp {T}/o", ("o.classes/keep", "empty"), names=("o.classes",)),
    # ---- numeric options
    _c("compute-eer", "c-miss-nan", "--c-miss nan {F}/data/trials {F}/scores", names=("c-miss",)),
    _c("compute-eer", "c-fa-inf", "--c-fa inf {F}/data/trials {F}/scores", names=("c-fa",)),
    _c("compute-eer", "p-target-2", "--p-target 2 {F}/data/trials {F}/scores", names=("p-target",)),
    _c("compute-vad", "energy-threshold-nan", "--vad-energy-threshold nan " + FEATS + " ark:{T}/o.ark",
       names=("--vad-energy-threshold",)),
    _c("compute-vad", "proportion-threshold-2", "--vad-proportion-threshold 2 " + FEATS + " ark:{T}/o.ark",
       names=("--vad-proportion-threshold",)),
    _c("compute-vad", "frames-context-negative", "--vad-frames-context -1 " + FEATS + " ark:{T}/o.ark",
       names=("--vad-frames-context",)),
    _c("compute-feats", "frame-length-nan", "--type mfcc --frame-length nan scp:{F}/two.scp ark:{T}/o.ark",
       names=("frame-length",)),
    _c("compute-feats", "sample-frequency-0", "--type mfcc --sample-frequency 0 scp:{F}/two.scp ark:{T}/o.ark",
       names=("sample-frequency",)),
    _c("map-adapt", "relevance-nan", "--relevance nan --ubm {F}/ubm.npz " + FEATS + " ark:{T}/o.ark",
       names=("--relevance",)),
    _c("mine-pairs", "client-threshold-nan", "--client-threshold nan ark:{F}/emb_a.ark ark:{F}/emb_b.ark "
       "{T}/p {T}/t", names=("--client-threshold",)),
    _c("train-class-svm", "c-nan", "--c nan --utt2label {F}/data/utt2label " + FEATS + " {T}/m",
       names=("--c",)),
    _c("train-ubm", "variance-floor-nan", "--variance-floor nan --num-components 2 --num-iters-init 1 "
       "--num-iters 1 " + FEATS + " {T}/u.npz", names=("--variance-floor",)),
    _c("train-ubm", "num-components-0", "--num-components 0 " + FEATS + " {T}/u.npz",
       names=("--num-components",)),
    _c("train-class-gmms", "variance-floor-inf", "--variance-floor inf --utt2label {F}/data/utt2label "
       "--num-components 1 " + FEATS + " {T}/g", names=("--variance-floor",)),
    _c("extract", "segment-seconds-nan", "--device cpu --input feats --segment-seconds nan --model "
       "{F}/exp/last.pt " + FEATS + " ark:{T}/o.ark", names=("--segment-seconds",)),
    _c("fuse-scores", "prior-nan", "--prior nan --train-trials {F}/data/trials --train-scores {F}/scores "
       "--apply-scores {F}/scores {T}/o", names=("prior",)),
    _c("compare-systems", "alpha-nan", "--alpha nan a={F}/acc_a b={F}/acc_b", names=("--alpha",)),
    _c("ins", "scales-nan", "--scales nan,0.5 --surrogates 2 scp:{F}/two.scp {T}/o", names=("--scales",)),
    _c("apply-cmvn", "cmn-window-0", "--mode sliding --cmn-window 0 " + FEATS + " ark:{T}/o.ark",
       names=("--cmn-window",)),
    _c("split-data-dir", "zero-parts", "{T}/d 0", ("d", "copy:data"), names=("0",)),
    _c("subset-data-dir", "first-negative", "--first -3 {F}/data {T}/o", names=("--first",)),
    # ---- YAML configs of metricvox-train
    _c("train", "yaml-lr-nan", "--config {T}/c.yaml --data {F}/feats_data --out {T}/exp --device cpu",
       ("c.yaml", "yaml-nan-lr"), names=("c.yaml", "lr")),
    _c("train", "yaml-duplicate-key", "--config {T}/c.yaml --data {F}/feats_data --out {T}/exp --device cpu",
       ("c.yaml", "yaml-dup-key"), names=("c.yaml", "epochs")),
    _c("train", "yaml-binary", "--config {T}/c.yaml --data {F}/feats_data --out {T}/exp --device cpu",
       ("c.yaml", "yaml-binary"), names=("c.yaml",)),
    _c("train", "yaml-anchor-bomb", "--config {T}/c.yaml --data {F}/feats_data --out {T}/exp --device cpu",
       ("c.yaml", "yaml-anchor-bomb"), names=("c.yaml",)),
    _c("train", "crop-longer-than-every-utterance", "--config {T}/c.yaml --data {F}/feats_data --out {T}/exp "
       "--device cpu", ("c.yaml", "yaml-huge-crop"), names=("crop",)),
    _c("train", "empty-init", "--config {F}/exp.yaml --data {F}/feats_data --out {T}/exp --device cpu "
       "--init {T}/init.pt", ("init.pt", "empty"), names=("init.pt",)),
    _c("train", "data-with-garbage-feats", "--config {F}/exp.yaml --data {T}/d --out {T}/exp --device cpu",
       ("d/utt2spk", "copy:feats_data/utt2spk"), ("d/feats.scp", "dup-scp"), names=("feats.scp",)),
    # ---- empty and garbage model files
    _c("extract", "empty-model", "--device cpu --input feats --model {T}/m.pt " + FEATS + " ark:{T}/o.ark",
       ("m.pt", "empty"), names=("m.pt",)),
    _c("extract", "garbage-model", "--device cpu --input feats --model {T}/m.pt " + FEATS + " ark:{T}/o.ark",
       ("m.pt", "garbage"), names=("m.pt",)),
    _c("export", "empty-model", "--model {T}/m.pt --format onnx {T}/o.onnx", ("m.pt", "empty"),
       names=("m.pt",)),
    _c("export", "garbage-model", "--model {T}/m.pt --format torchscript {T}/o.ts",
       ("m.pt", "garbage"), names=("m.pt",)),
    _c("score", "empty-plda", "--backend plda --model {T}/m.npz --trials {F}/data/trials " + EMB + " {T}/o",
       ("m.npz", "empty"), names=("m.npz",)),
    _c("score", "garbage-plda", "--backend plda --model {T}/m.npz --trials {F}/data/trials " + EMB + " {T}/o",
       ("m.npz", "garbage"), names=("m.npz",)),
    _c("score", "empty-siamese", "--backend siamese --model {T}/m.pt --trials {F}/data/trials " + EMB + " {T}/o",
       ("m.pt", "empty"), names=("m.pt",)),
    _c("score", "empty-ubm", "--backend gmm-ubm --ubm {T}/u.npz --trials {F}/model_trials ark:{F}/means.ark "
       + FEATS + " {T}/o", ("u.npz", "empty"), names=("u.npz",)),
    _c("map-adapt", "empty-ubm", "--ubm {T}/u.npz " + FEATS + " ark:{T}/o.ark", ("u.npz", "empty"),
       names=("u.npz",)),
    _c("train-ivector-extractor", "empty-ubm", "--ubm {T}/u.npz " + FEATS + " {T}/x.npz", ("u.npz", "empty"),
       names=("u.npz",)),
    _c("extract-ivectors", "empty-extractor", "--extractor {T}/x.npz " + FEATS + " ark:{T}/o.ark",
       ("x.npz", "empty"), names=("x.npz",)),
    _c("extract-ivectors", "garbage-extractor", "--extractor {T}/x.npz " + FEATS + " ark:{T}/o.ark",
       ("x.npz", "garbage"), names=("x.npz",)),
    _c("score-classes", "empty-svm", "--method svm --model {T}/m " + FEATS + " {T}/o", ("m", "empty"),
       names=("m",)),
    _c("score-classes", "empty-gmm-dir", "--method gmm --model {T}/g " + FEATS + " {T}/o", ("g/classes", "empty"),
       names=("classes",)),
    _c("normalize-scores", "empty-plda", "--backend plda --model {T}/m.npz --cohort ark:{F}/cohort.ark "
       "{F}/scores " + EMB + " {T}/o", ("m.npz", "empty"), names=("m.npz",)),
    _c("separate", "garbage-model", "--device cpu --model {T}/m.pt scp:{F}/two.scp {T}/o", ("m.pt", "garbage"),
       names=("m.pt",)),
    _c("separate", "empty-model", "--device cpu --model {T}/m.pt scp:{F}/two.scp {T}/o", ("m.pt", "empty"),
       names=("m.pt",)),
    # ---- text tables: scores, trials, lists, maps
    _c("compute-eer", "nan-score", "{F}/data/trials {T}/s", ("s", "nan-scores"), names=("s",)),
    _c("compute-eer", "duplicate-score", "{F}/data/trials {T}/s", ("s", "scores-dup"), names=("s",)),
    _c("compute-eer", "duplicate-trial", "{T}/t {F}/scores", ("t", "trials-dup"), names=("t",)),
    _c("compute-eer", "binary-scores", "{F}/data/trials {T}/s", ("s", "binary"), names=("s",)),
    _c("fuse-scores", "nan-train-score", "--train-trials {F}/data/trials --train-scores {T}/s,{F}/scores "
       "--apply-scores {F}/scores,{F}/scores {T}/o", ("s", "nan-scores"), names=("s",)),
    _c("normalize-scores", "nan-score", "--cohort ark:{F}/cohort.ark {T}/s " + EMB + " {T}/o",
       ("s", "nan-scores"), names=("s",)),
    _c("plot-det", "nan-score", "{F}/data/trials {T}/p.png a={T}/s", ("s", "nan-scores"), names=("s",)),
    _c("compare-systems", "nan-accuracy", "a={T}/acc b={F}/acc_b", ("acc", "nan-acc"), names=("acc",)),
    _c("results-table", "binary-report", "sys:vox={T}/r", ("r", "binary"), names=("r",)),
    _c("results-table", "empty-report", "sys:vox={T}/r", ("r", "empty"), names=("r",)),
    _c("html-report", "binary-results", "{T}/r {T}/o", ("r", "binary"), names=("r",)),
    _c("html-report", "empty-results", "{T}/r {T}/o", ("r", "empty"), names=("r",)),
    _c("html-report", "missing-figure", "{F}/eer.txt {T}/o {T}/gone.png", names=("gone.png",)),
    _c("html-report", "cut-short-figure", "{F}/eer.txt {T}/o {T}/f.png", ("f.png", "binary"),
       names=("f.png",)),
    _c("html-report", "garbage-stage-times", "--stage-times {T}/t {F}/eer.txt {T}/o", ("t", "garbage"),
       names=("t",)),
    _c("classification-report", "binary-scores", "--utt2label {F}/data/utt2label {T}/s", ("s", "binary"),
       names=("s",)),
    _c("classification-report", "garbage-utt2label", "--utt2label {T}/u {F}/class_scores", ("u", "garbage"),
       names=("u",)),
    _c("identify", "binary-enroll-map", "--enroll-map {T}/m --query-map {F}/query_map " + EMB, ("m", "binary"),
       names=("m",)),
    _c("train-plda", "binary-utt2spk", "--utt2spk {T}/u " + EMB + " {T}/o.npz", ("u", "binary"), names=("u",)),
    _c("mine-pairs", "same-keys-in-a-and-b", "ark:{F}/emb_a.ark ark:{F}/emb_a.ark {T}/p {T}/t"),
    # ---- data dirs and segments
    _c("compute-feats", "segments-nan", "--type mfcc --segments {T}/seg scp:{F}/data/wav.scp ark:{T}/o.ark",
       ("seg", "segments-nan"), names=("seg",)),
    _c("compute-feats", "segments-end-before-start", "--type mfcc --segments {T}/seg scp:{F}/data/wav.scp "
       "ark:{T}/o.ark", ("seg", "segments-reversed"), names=("seg",)),
    _c("compute-feats", "segments-past-the-end", "--type mfcc --segments {T}/seg scp:{F}/data/wav.scp "
       "ark:{T}/o.ark", ("seg", "segments-past-end"), names=("seg",)),
    _c("compute-feats", "garbage-wav", "--type mfcc scp:{T}/w.scp ark:{T}/o.ark", ("w.scp", "copy:two.scp"),
       ("x.wav", "garbage"), names=("w.scp",)),
    _c("compute-feats", "valid-segments", "--type mfcc --segments {F}/segments scp:{F}/data/wav.scp "
       "ark:{T}/o.ark", expect="ok"),
    _c("get-utt2dur", "segments-nan", "{T}/d", ("d", "copy:data_seg"), ("d/segments", "segments-nan"),
       names=("segments",)),
    _c("get-utt2dur", "segments-past-the-end", "{T}/d", ("d", "copy:data_seg"),
       ("d/segments", "segments-past-end"), names=("segments",)),
    _c("get-utt2dur", "valid", "{T}/d", ("d", "copy:data_seg"), expect="ok"),
    _c("validate-data-dir", "segments-end-before-start", "{T}/d", ("d", "copy:data_seg"),
       ("d/segments", "segments-reversed"), names=("segments",)),
    _c("validate-data-dir", "segments-past-the-end", "{T}/d", ("d", "copy:data_seg"),
       ("d/segments", "segments-past-end"), names=("segments",)),
    _c("validate-data-dir", "binary-utt2spk", "{T}/d", ("d", "copy:data"), ("d/utt2spk", "binary"),
       names=("utt2spk",)),
    _c("validate-data-dir", "valid", "{F}/data", expect="ok"),
    _c("import-lhotse", "valid", "--recordings {T}/r.jsonl --supervisions {T}/s.jsonl {T}/d",
       ("r.jsonl", "lhotse-recordings"), ("s.jsonl", "lhotse-supervisions"), expect="ok"),
    _c("import-lhotse", "supervision-past-the-end", "--recordings {T}/r.jsonl --supervisions "
       "{T}/s.jsonl {T}/d", ("r.jsonl", "lhotse-recordings"), ("s.jsonl", "lhotse-supervision-past-end"),
       names=("s.jsonl:1",)),
    _c("import-lhotse", "garbage-recordings", "--recordings {T}/r.jsonl --supervisions {T}/s.jsonl "
       "{T}/d", ("r.jsonl", "garbage"), ("s.jsonl", "lhotse-supervisions"), names=("r.jsonl:1",)),
    _c("export-lhotse", "valid", "{F}/data {T}/r.jsonl.gz {T}/s.jsonl", expect="ok"),
    _c("export-lhotse", "binary-utt2spk", "{T}/d {T}/r.jsonl.gz {T}/s.jsonl", ("d", "copy:data"),
       ("d/utt2spk", "binary"), names=("utt2spk",)),
    _c("fix-data-dir", "binary-utt2spk", "{T}/d", ("d", "copy:data"), ("d/utt2spk", "binary"),
       names=("utt2spk",)),
    _c("fix-data-dir", "segments-nan", "{T}/d", ("d", "copy:data_seg"), ("d/segments", "segments-nan"),
       names=("segments",)),
    _c("fix-data-dir", "valid", "{T}/d", ("d", "copy:data"), expect="ok"),
    _c("fix-data-dir", "not-a-dir", "{T}/f", ("f", "empty"), names=("f",)),
    _c("split-data-dir", "binary-utt2spk", "{T}/d 2", ("d", "copy:data"), ("d/utt2spk", "binary"),
       names=("utt2spk",)),
    _c("split-data-dir", "valid", "{T}/d 2", ("d", "copy:data"), expect="ok"),
    _c("split-data-dir", "split-dir-is-a-file", "{T}/d 2", ("d", "copy:data"), ("d/split2", "empty"),
       names=("split2",)),
    _c("subset-data-dir", "binary-utt-list", "--utt-list {T}/l {F}/data {T}/o", ("l", "binary"), names=("l",)),
    _c("subset-data-dir", "dest-is-source", "--first 2 {T}/d {T}/d", ("d", "copy:data"), names=("d",)),
    _c("combine-data-dirs", "duplicate-utterances", "{T}/o {F}/data {F}/data"),
    _c("combine-data-dirs", "dest-is-a-source", "{T}/a {T}/a {F}/data_b", ("a", "copy:data_a"), names=("a",)),
    _c("make-trials", "binary-utt2spk", "{T}/d {T}/o", ("d", "copy:data"), ("d/utt2spk", "binary"),
       names=("utt2spk",)),
    _c("make-trials", "no-speaker-with-two-utterances", "{T}/d {T}/o", ("d", "copy:data"),
       ("d/utt2spk", "utt2spk-singletons"), names=("utt2spk", "no target trial")),
    _c("train-plda", "one-speaker", "--utt2spk {T}/u " + EMB + " {T}/o.npz", ("u", "utt2spk-one-speaker"),
       names=("only one speaker",)),
    _c("results-table", "no-trial-list-name", "sys={F}/eer.txt", names=("no TRIALS",)),
    _c("ins", "garbage-wav", "--surrogates 2 --scales 0.2,0.5 scp:{T}/w.scp {T}/o", ("w.scp", "copy:two.scp"),
       ("x.wav", "garbage"), names=("w.scp",)),
    _c("separate", "garbage-wav", "--device cpu scp:{T}/w.scp {T}/o", ("w.scp", "copy:two.scp"),
       ("x.wav", "garbage"), names=("w.scp",)),
    _c("augment-wav", "valid", "--kind noise --musan {F}/musan {F}/wav/spk0-utt0.wav {T}/o.wav",
       expect="ok"),
    _c("augment-wav", "corrupt-input", "--kind noise --musan {F}/musan {T}/in.wav {T}/o.wav",
       ("in.wav", "garbage"), names=("in.wav",)),
    _c("augment-wav", "missing-musan", "--kind music --musan {T}/none {F}/wav/spk0-utt0.wav {T}/o.wav",
       names=("none",)),
    _c("augment-wav", "snr-min-above-max", "--kind noise --snr 15:0 --musan {F}/musan "
       "{F}/wav/spk0-utt0.wav {T}/o.wav", names=("15",)),
    _c("augment-data-dir", "valid", "--kind noise --musan {F}/musan {F}/data {T}/d", expect="ok"),
    _c("augment-data-dir", "binary-utt2spk", "--kind noise --musan {F}/musan {T}/d {T}/o",
       ("d", "copy:data"), ("d/utt2spk", "binary"), names=("utt2spk",)),
    # ---- synth-corpus arguments
    _c("synth-corpus", "unknown-kind", "--kind nope --out {T}/o", names=("nope",)),
    _c("synth-corpus", "unknown-size", "--kind urbansound --size huge --out {T}/o", names=("huge",)),
    # ---- extract-ivectors / separate / train with stdin closed or a pipe that fails
    _c("copy-matrix", "failing-input-pipe", "'ark:cat {T}/nope |' ark:{T}/o.ark"),
    _c("copy-matrix", "closed-stdin", "ark:- ark:{T}/o.ark <&-"),
    _c("compute-feats", "failing-wav-pipe", "--type mfcc scp:{T}/w.scp ark:{T}/o.ark", ("w.scp", "pipe-fails"),
       names=("w.scp",)),
]

BAD["pipe-fails"] = lambda w: b"spk0-utt0 sh -c 'exit 3' |\n"
BAD["utt2spk-singletons"] = lambda w: "".join(
    f"{line.split()[0]} solo{i}\n" for i, line in enumerate((w / "data/utt2spk").read_text().splitlines())).encode()
BAD["utt2spk-one-speaker"] = lambda w: "".join(
    f"{line.split()[0]} spk\n" for line in (w / "data/utt2spk").read_text().splitlines()).encode()


CASES = _feature_cases() + _embedding_cases() + _output_cases() + SPECIAL_CASES


# The cases whose outcome is still not the expected one, with the outcome seen: each is an
# xfail(strict=True), so that a fix shows up as an XPASS until its entry is removed here.
KNOWN = {
}


# --------------------------------------------------------------------------------------
# Running and classifying a case.

def _make_inputs(case, world, case_dir):
    for name, source in case.inputs:
        target = case_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.startswith("device:"):
            os.mknod(target, 0o666 | stat.S_IFCHR, os.stat(source[len("device:"):]).st_rdev)
        elif source.startswith("copy:"):
            origin = world / source[len("copy:"):]
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True)
            else:
                shutil.copy(origin, target)
        else:
            target.write_bytes(BAD[source](world))
    if "garbage-wav" in case.name:   # its wav.scp copy points its first recording at the garbage
        scp = case_dir / "w.scp"
        first, *rest = scp.read_text().splitlines(True)
        scp.write_text(f"{first.split()[0]} {case_dir / 'x.wav'}\n" + "".join(rest))


def _snapshot(*directories):
    seen = set()
    for directory in directories:
        for path, dirs, files in os.walk(directory):
            seen.update(os.path.join(path, name) for name in dirs + files)
    return seen


def _one_line_error(tool, stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    return bool(lines) and lines[-1].startswith(f"{tool}: error: ")


def classify(case, returncode, stderr, left_behind):
    """The outcome of one run, as the sweep's table counts it."""
    if returncode is None:
        return "hang"
    if "Traceback" in stderr:
        return "traceback"
    if case.expect == "ok":
        return "ok" if returncode == 0 else "unexpected-error"
    if returncode == 0:
        return "exit-0-wrong"
    if left_behind:
        return "partial-output"
    if not _one_line_error(case.tool, stderr):
        return "unclear-error"
    return "clean-error"


def run_case(case, world, case_dir, mounts=None):
    """Run one case; returns (outcome, stderr, what it left behind)."""
    case_dir.mkdir(parents=True, exist_ok=True)
    _make_inputs(case, world, case_dir)
    places = {"F": str(world), "T": str(case_dir)}
    watched = [case_dir]
    if mounts:
        places.update({k: str(v) for k, v in mounts.items()})
        watched += list(mounts.values())
    command = case.command
    for key, value in places.items():
        command = command.replace("{" + key + "}", shlex.quote(value))
    before = _snapshot(*watched)
    # Its own process group, so that a hang is ended with every child it started.
    proc = subprocess.Popen(f"exec {case.tool} {command}", shell=True, executable="/bin/bash",
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=case_dir)
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT)
        returncode = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        _, stderr = proc.communicate()
        returncode = None
    stderr = stderr.decode(errors="replace")
    # A name ending in .tmp is the project's mark of something unfinished (a staging dir the
    # next run removes): it does not look like a result.
    left = sorted(path for path in _snapshot(*watched) - before
                  if not any(part.endswith(".tmp") for part in Path(path).parts))
    # The mounts are shared by the cases: leave them as they were.
    for path in sorted(_snapshot(*mounts.values()) - before) if mounts else ():
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.remove(path)
    outcome = classify(case, returncode, stderr, left)
    if outcome == "clean-error":
        last = [line for line in stderr.splitlines() if line.strip()][-1]
        for fragment in case.names:
            for key, value in places.items():
                fragment = fragment.replace("{" + key + "}", value)
            if fragment not in last:
                outcome = "unclear-error"
    return outcome, stderr, left


def _param(case):
    marks = []
    if case.id in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=f"{KNOWN[case.id]} (see KNOWN)"))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case, world, mounts, tmp_path):
    if case.needs == "mounts" and mounts is None:
        pytest.skip("mount -t tmpfs is not permitted here")
    outcome, stderr, left = run_case(case, world, tmp_path / "case", mounts)
    expected = "ok" if case.expect == "ok" else "clean-error"
    assert outcome == expected, f"{outcome}; left {left}; stderr:\n{stderr[-3000:]}"


def test_every_tool_in_bin_is_swept():
    swept = {case.tool for case in CASES}
    assert swept == {p.name for p in (REPO / "bin").iterdir() if p.name.startswith("metricvox-")}


def test_case_ids_are_unique_and_known_cases_exist():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert set(KNOWN) <= set(ids)


def test_the_classifier_tells_the_outcomes_apart():
    case = Case("metricvox-x", "c", "")
    assert classify(case, None, "", []) == "hang"
    assert classify(case, 1, "Traceback (most recent call last):\n", []) == "traceback"
    assert classify(case, 0, "", []) == "exit-0-wrong"
    assert classify(case, 1, "metricvox-x: error: a: bad\n", ["/t/o.ark"]) == "partial-output"
    assert classify(case, 1, "Error: two\nlines of it\n", []) == "unclear-error"
    assert classify(case, 1, "metricvox-x: some log\nmetricvox-x: error: f:3: bad\n", []) == "clean-error"


if __name__ == "__main__":
    # The survey: every case's outcome, as counted in tests/bad_input_sweep_baseline.md.
    import collections
    import tempfile
    import time
    root = Path(tempfile.mkdtemp(prefix="sweep-"))
    # SWEEP_WORLD=DIR reuses the fixtures of an earlier run (kept in DIR).
    world = Path(os.environ["SWEEP_WORLD"]) if "SWEEP_WORLD" in os.environ else _build_world(root / "world")
    mount_base = root / "mounts"
    full, ro = mount_base / "full", mount_base / "ro"
    have = _mount(full) and _mount(ro, "ro")
    if have:
        _fill(full)
    mounts = {"FULL": full, "RO": ro} if have else None
    counts = collections.Counter()
    only = sys.argv[1:]
    for i, case in enumerate(CASES):
        if only and not any(o in case.id for o in only):
            continue
        started = time.time()
        outcome, stderr, left = run_case(case, world, root / "cases" / str(i), mounts)
        counts[outcome] += 1
        last = (stderr.strip().splitlines() or [""])[-1][:160]
        print(f"{outcome:16} {time.time() - started:5.1f}s {case.id:55} {last} {' LEFT ' + ' '.join(left) if left else ''}", flush=True)
    print(dict(counts))
    if have:
        subprocess.run(["umount", "-l", str(full)])
        subprocess.run(["umount", "-l", str(ro)])
