#!/usr/bin/env python3
"""Scale rehearsal of the voxceleb recipe: a VoxCeleb-layout corpus of --utts utterances over
--speakers speakers, run through egs/voxceleb/run.sh stage by stage with the real corpus's
settings, and per stage its wall time, CPU time, peak RSS and disk written (Markdown table).

  python3 bench/scale_rehearsal.py --utts 25000 --work /scratch/rehearsal
  python3 bench/scale_rehearsal.py --utts 25000 --work /scratch/rehearsal --stages 3   # rerun one

The corpus: every speaker is a synthetic voice (metricvox.synth, as the stand-in corpus makes
them) with one recording of --recording-seconds; its utterances are --seconds-long cuts of that
recording through a Kaldi segments file (the rehearsal writes data/vox2_dev itself: wav.scp,
segments, utt2spk, spk2utt, so the recipe's stage 1 validates it instead of listing m4a files).
VoxCeleb1 (the evaluation side and its four trial lists) is a small synthetic one in the real
layout, read by the recipe's own stage 1. From stage 1 on everything is the recipe's code on
every utterance: --corpus is given, so it runs with the real corpus's settings (1024-component
full UBM on every 5th frame, 400-d i-vectors on the longest 100k utterances, LDA 200 + PLDA on
all, mining k = 10, the networks at their paper width from conf/), except that each network
trains one epoch, cut after --batches-per-epoch batches when given (the table then says how many
batches a full epoch has, and the stage time scaled to it).

Each stage runs in a fresh child process whose RUSAGE_CHILDREN gives the CPU time (user + sys)
and the peak RSS (the largest single process of the stage); disk written is the growth in bytes
of the files under --work. Stages already done are skipped by the recipe itself (its outputs
exist); to measure a stage again, delete its outputs or use a fresh --work. The table so far
is also in WORK/rehearsal.md after every stage. Without --keep the work dir is removed at the
end (unless --work was given and already existed).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
RECIPE = REPO / "egs" / "voxceleb"
RECIPE_LINKS = ("run.sh", "path.sh", "cmd.sh", "conf", "local", "utils")
STAGES = {
    0: "corpus (rehearsal: synthetic recordings, data/vox2_dev with segments; VoxCeleb1)",
    1: "data dirs (validation, per-input copies, trial lists)",
    2: "features: MFCC + VAD, log mel 80, spectrogram 161",
    3: "MFCC stats, UBM, i-vector extractor, i-vectors, PLDA, GMM-UBM, scoring",
    4: "mining (all pairs, k nearest)",
    5: "VGG / Siamese networks (5 trainings)",
    6: "ResNet-50-SE pre-training + multi-metric",
    7: "embeddings, scoring, fusion",
    8: "report",
}
NETWORK_STAGES = {5: ("vgg_random", "siamese_double", "siamese_triple", "vgg_softmax",
                      "vgg_amsoftmax"),
                  6: ("resnet_pretrain", "resnet_multi")}

# Runs one stage command in this (fresh) process and prints its descendants' resource use. As a
# child subreaper (Linux prctl) it also reaps the descendants orphaned on the way, such as a
# worker pool's forkserver and its workers, whose use would otherwise be counted nowhere.
MEASURE = """
import ctypes, json, os, resource, subprocess, sys, time
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=sys.stderr)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": use.ru_utime + use.ru_stime,
                  "maxrss_kib": use.ru_maxrss}))
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utts", type=int, required=True, help="utterances of the training set")
    parser.add_argument("--speakers", type=int, default=6000, help="its speakers")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of an utterance")
    parser.add_argument("--recording-seconds", type=float, default=4.0,
                        help="length of each speaker's recording the utterances are cut from")
    parser.add_argument("--vox1-speakers", type=int, default=20,
                        help="VoxCeleb1 dev speakers, and as many test speakers")
    parser.add_argument("--work", type=Path, help="work dir (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument("--stages", default="0-8", help="stages to run: 3, 2-5 or 0,3,4")
    parser.add_argument("--nj", type=int, default=2)
    parser.add_argument("--batches-per-epoch", type=int, default=0,
                        help="cut each network's one epoch after this many batches (0: full)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recipe-option", action="append", default=[], metavar="OPT=VALUE",
                        help="more run.sh options, e.g. num-components=256 (repeatable)")
    args = parser.parse_args()
    if args.utts < args.speakers:
        parser.error(f"--utts ({args.utts}) must be at least --speakers ({args.speakers})")
    if not 0 < args.seconds <= args.recording_seconds:
        parser.error("need 0 < --seconds <= --recording-seconds")
    args.stages = sorted(parse_stages(args.stages, parser))
    return args


def parse_stages(text, parser):
    stages = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if not match:
            parser.error(f"--stages: '{part}' is not N or N-M")
        low = int(match.group(1))
        stages.update(range(low, int(match.group(2) or low) + 1))
    if not stages <= set(STAGES):
        parser.error(f"--stages: the stages are {min(STAGES)}..{max(STAGES)}")
    return stages


def utterances_per_speaker(utts, speakers):
    """As even as can be: the first utts % speakers speakers get one more."""
    base, extra = divmod(utts, speakers)
    return [base + (i < extra) for i in range(speakers)]


def segment_starts(count, seconds, recording_seconds):
    """``count`` start times spread over a recording; cuts overlap when they must."""
    room = recording_seconds - seconds
    if count == 1 or room <= 0:
        return [0.0] * count
    return [round(room * i / (count - 1), 3) for i in range(count)]


def _write_recording(job):
    """One speaker's recording of exactly ``seconds`` (the synthesiser's length is approximate)."""
    import numpy as np
    from metricvox.synth import audio_files, voxceleb
    path, speaker, seed, seconds = job
    size = voxceleb.Size(dev_speakers=0, test_speakers=0, vox2_speakers=1, videos=(1, 1),
                         utterances=(1, 1), seconds=(seconds, seconds), trials_per_enrollment=1)
    (_video, _number, audio), = voxceleb.speaker_recordings(seed, speaker, size)
    samples = round(seconds * voxceleb.SAMPLE_RATE)
    audio = np.resize(audio, samples)   # repeated from its start if it came out shorter
    audio_files.write_audio(Path(path), audio, voxceleb.SAMPLE_RATE)
    return path


def make_corpus(args, corpus, data):
    """VoxCeleb1 in its layout under ``corpus``; the training set as data/vox2_dev, cut by segments."""
    from metricvox.synth import voxceleb
    from metricvox.worker_pool import ordered_map
    vox1_size = voxceleb.Size(dev_speakers=args.vox1_speakers, test_speakers=args.vox1_speakers,
                              vox2_speakers=0, videos=(3, 4), utterances=(3, 4),
                              seconds=(3.0, 6.0), trials_per_enrollment=5)
    voxceleb.write_corpus(corpus, vox1_size, args.seed, nj=args.nj)
    speakers = [f"id{voxceleb.FIRST_VOX2_SPEAKER + i:05d}" for i in range(args.speakers)]
    recordings = corpus / "vox2_recordings"
    jobs = [(str(recordings / f"{spk}.wav"), spk, args.seed, args.recording_seconds)
            for spk in speakers]
    for _ in ordered_map(_write_recording, jobs, args.nj):
        pass
    wav, segments, utt2spk = [], [], []
    for spk, count in zip(speakers, utterances_per_speaker(args.utts, args.speakers)):
        recording = f"{spk}-rec"
        wav.append(f"{recording} {recordings / spk}.wav\n")
        for number, start in enumerate(segment_starts(count, args.seconds,
                                                      args.recording_seconds), 1):
            utt = f"{spk}-rec-{number:05d}"
            segments.append(f"{utt} {recording} {start:.3f} {start + args.seconds:.3f}\n")
            utt2spk.append(f"{utt} {spk}\n")
    # Speaker ids are zero-padded, so these lists are already in C order.
    out = data / "vox2_dev"
    out.mkdir(parents=True, exist_ok=True)
    (out / "wav.scp").write_text("".join(wav))
    (out / "segments").write_text("".join(segments))
    (out / "utt2spk").write_text("".join(utt2spk))
    subprocess.run(["metricvox-fix-data-dir", str(out)], check=True)   # spk2utt


def rehearsal_conf_dir(work, batches_per_epoch):
    """The papers' network configs (conf/), each trained for one epoch, perhaps cut short."""
    conf_dir = work / "conf-rehearsal"
    conf_dir.mkdir(exist_ok=True)
    for source in sorted((RECIPE / "conf").glob("*.yaml")):
        config = yaml.safe_load(source.read_text())
        if config.get("epochs", 1) != 0:
            config["epochs"] = 1
            if batches_per_epoch:
                config["batches_per_epoch"] = batches_per_epoch
        (conf_dir / source.name).write_text(yaml.safe_dump(config, sort_keys=False))
    return conf_dir


def bytes_under(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def measured(command, log_path, env):
    """Run ``command`` in a fresh process measuring its descendants; returns the figures."""
    with open(log_path, "w") as log:
        proc = subprocess.run([sys.executable, "-c", MEASURE, *command], stdout=subprocess.PIPE,
                              stderr=log, text=True, env=env)
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def run_stage(stage, args, work, env, conf_dir):
    log_path = work / f"stage{stage}.log"
    if stage == 0:
        command = [sys.executable, str(Path(__file__).resolve()), "--make-corpus-only",
                   json.dumps({k: str(v) if isinstance(v, Path) else v
                               for k, v in vars(args).items()})]
    else:
        options = [f"--{o.split('=', 1)[0]}={o.split('=', 1)[1]}" for o in args.recipe_option]
        command = ["bash", str(work / "run.sh"), "--corpus", str(work / "corpus"),
                   "--stage", str(stage), "--stop-stage", str(stage), "--nj", str(args.nj),
                   "--seed", str(args.seed), "--conf-dir", str(conf_dir), *options]
    before = bytes_under(work)
    figures = measured(command, log_path, env)
    figures["disk"] = bytes_under(work) - before
    figures["log"] = log_path
    if figures["code"] != 0:
        tail = log_path.read_text().splitlines()[-15:]
        sys.exit(f"stage {stage} failed (exit {figures['code']}); end of {log_path}:\n"
                 + "\n".join(tail))
    return figures


def full_epoch_batches(work, stage):
    """[(experiment, batches in a full epoch)] from the training logs of a network stage."""
    found = []
    for exp in NETWORK_STAGES.get(stage, ()):
        log = work / "exp" / exp / "train.log"
        match = re.search(r"(\d+) batches of", log.read_text()) if log.exists() else None
        if match:
            found.append((exp, int(match.group(1))))
    return found


def table(args, rows, work):
    lines = [f"Scale rehearsal: {args.utts} utterances, {args.speakers} speakers, "
             f"{args.seconds:g} s each; --nj {args.nj}"
             + (f"; networks cut at {args.batches_per_epoch} batches per epoch"
                if args.batches_per_epoch else "; networks one full epoch each"), "",
             "| stage | what | wall (s) | CPU (s) | peak RSS (MiB) | disk written (MiB) | note |",
             "|---|---|---|---|---|---|---|"]
    for stage, figures in rows:
        note = ""
        epochs = full_epoch_batches(work, stage)
        if epochs and args.batches_per_epoch:
            scale = sum(b for _, b in epochs) / (args.batches_per_epoch * len(epochs))
            note = (f"full epochs: {', '.join(f'{e} {b}' for e, b in epochs)} batches; "
                    f"wall x {scale:.1f} = {figures['wall'] * scale:.0f} s (upper bound)")
        lines.append(f"| {stage} | {STAGES[stage]} | {figures['wall']:.1f} | {figures['cpu']:.1f} | "
                     f"{figures['maxrss_kib'] / 1024:.0f} | {figures['disk'] / 2**20:.1f} | {note} |")
    return "\n".join(lines)


def prepare_work(args):
    existed = args.work is not None and args.work.exists()
    work = (args.work or Path(tempfile.mkdtemp(prefix="scale_rehearsal."))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for name in RECIPE_LINKS:
        if not (work / name).exists():
            os.symlink(RECIPE / name, work / name)
    return work, existed


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--make-corpus-only":
        options = json.loads(sys.argv[2])
        work = Path(options["work"])
        make_corpus(argparse.Namespace(**options), work / "corpus", work / "data")
        return
    args = parse_args()
    work, existed = prepare_work(args)
    args.work = work
    env = dict(os.environ, PATH=f"{REPO / 'bin'}:{os.environ['PATH']}",
               PYTHONPATH=f"{REPO}:{os.environ.get('PYTHONPATH', '')}".rstrip(":"))
    conf_dir = rehearsal_conf_dir(work, args.batches_per_epoch)
    rows = []
    try:
        for stage in args.stages:
            print(f"stage {stage}: {STAGES[stage]}", file=sys.stderr, flush=True)
            rows.append((stage, run_stage(stage, args, work, env, conf_dir)))
            print(f"  {rows[-1][1]['wall']:.1f} s", file=sys.stderr, flush=True)
            (work / "rehearsal.md").write_text(table(args, rows, work) + "\n")
    finally:
        if rows:
            print(table(args, rows, work))
        if not args.keep and not existed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"\nwork dir: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
