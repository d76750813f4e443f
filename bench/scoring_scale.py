"""metricvox-score at VoxCeleb1-E scale: the whole tool run against a bare numpy floor.

    flock /tmp/metricvox-cpu.lock python3 bench/scoring_scale.py [--utterances 145160]
        [--trials 579818] [--cohort 5994] [--workdir DIR]

Writes synthetic inputs the size of VoxCeleb1-E: --utterances utterances of 1,251
speakers with 256-d network-like embeddings and 400-d i-vector-like vectors (each
an ark + scp), and a --trials trial list in VoxCeleb's format ('1|0 enroll test',
keys 'idNNNNN/video/nnnnn.wav'), half target, half non-target, whose enrollment
utterances repeat as in -E (a few enroll many trials, most a handful). A PLDA back
end is trained by the real metricvox-train-plda (LDA 400 -> 200, length norm) on
i-vectors of 4,000 other speakers.

Then runs, each as its own process, timed (wall) with its peak RSS:
  - metricvox-score --backend cosine on the 256-d table (limit 60 s);
  - metricvox-score --backend plda --model PLDA on the 400-d table (limit 120 s);
  - metricvox-compute-eer and metricvox-normalize-scores (as-norm, top 200, against
    a --cohort of speaker-mean embeddings) on the cosine scores (limit 30 s each).
Each metricvox-score run is set beside its peer floor, measured in the same run: the
same scores computed in bare numpy from in-memory arrays (no file reading, parsing
or writing), in a process of its own; the tool's scores are checked against the
floor's. Prints seconds, peak RSS, the ratio tool/floor and PASS/FAIL per limit.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.io import MatrixWriter  # noqa: E402

SPEAKERS = 1251
PLDA_SPEAKERS, PLDA_UTTS_PER_SPEAKER = 4000, 8
BLOCK = 65536   # trials per block in the floors


def tool_env():
    env = dict(os.environ)
    env["PATH"] = f"{REPO / 'bin'}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


# Peak RSS is measured by a small launcher: a child's ru_maxrss counts the memory of the
# process it was forked from, which here holds the generated inputs.
_LAUNCHER = """import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.perf_counter() - start} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_measured(command, stdout=None):
    """(wall seconds, peak RSS in MiB) of one child process; its failure stops the bench."""
    with tempfile.NamedTemporaryFile("r", suffix=".measure") as measure, \
            open(os.devnull if stdout is None else stdout, "w") as out:
        process = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, measure.name,
                                  *map(str, command)], env=tool_env(), stdout=out,
                                 stderr=subprocess.PIPE)
        seconds, rss_kib, code = measure.read().split()
    if process.returncode != 0 or int(code) != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{process.stderr.decode(errors='replace')}")
    return float(seconds), int(rss_kib) / 1024


def write_table(path, keys, matrix):
    with MatrixWriter(f"ark,scp:{path}.ark,{path}.scp") as writer:
        for key, row in zip(keys, matrix):
            writer.write(key, row)
    return f"scp:{path}.scp"


def speaker_data(rng, num_speakers, utts_per_speaker, dim, between, within):
    """(speaker index per row, rows): speaker means plus per-utterance noise."""
    speakers = np.repeat(np.arange(num_speakers), utts_per_speaker)
    means = rng.normal(scale=between, size=(num_speakers, dim))
    return speakers, (means[speakers] + rng.normal(scale=within, size=(speakers.size, dim)))


def make_trials(rng, speakers, num_trials):
    """(enroll index, test index, is_target) arrays of distinct pairs, half targets.

    Each utterance enrolls a geometric number of trials (mean about 4 once the list is
    cut to size; a few enroll 30 or more), as in a list that pairs every utterance with
    a few others."""
    num_utts = speakers.size
    by_speaker = np.argsort(speakers, kind="stable")
    starts = np.searchsorted(speakers[by_speaker], np.arange(speakers.max() + 2))
    counts = rng.geometric(num_utts / (2.2 * num_trials), size=num_utts)
    enroll = rng.permutation(np.repeat(np.arange(num_utts), counts))
    target = np.arange(enroll.size) % 2 == 0
    spk = speakers[enroll]
    same = by_speaker[starts[spk] + rng.integers(0, starts[spk + 1] - starts[spk])]
    test = np.where(target, same, rng.integers(0, num_utts, size=enroll.size))
    keep = np.flatnonzero((test != enroll) & (target == (speakers[test] == speakers[enroll])))
    _, first_seen = np.unique(enroll[keep] * num_utts + test[keep], return_index=True)
    keep = np.sort(keep[first_seen])
    keep = np.sort(np.concatenate([keep[target[keep]][:num_trials // 2],
                                   keep[~target[keep]][:num_trials - num_trials // 2]]))
    if keep.size < num_trials:
        sys.exit(f"could draw only {keep.size} distinct trials")
    return enroll[keep], test[keep], target[keep]


def make_inputs(work, args):
    rng = np.random.default_rng(0)
    per_speaker = -(-args.utterances // SPEAKERS)
    speakers = np.repeat(np.arange(SPEAKERS), per_speaker)[:args.utterances]
    keys = [f"id{10001 + s}/v{s:05d}{i // 8 % 100000:05d}/{i % 8 + 1:05d}.wav"
            for i, s in enumerate(speakers)]
    order = np.argsort(keys)   # a table in key order, as Kaldi writes them
    speakers, keys = speakers[order], [keys[i] for i in order]

    means = rng.normal(size=(SPEAKERS, 256))
    network = np.maximum(means[speakers] + 1.5 * rng.normal(size=(speakers.size, 256)), 0)
    network = network.astype(np.float32)
    mixing = rng.normal(size=(400, 400)) / 20
    ivectors = ((rng.normal(size=(SPEAKERS, 400))[speakers]
                 + 2.5 * rng.normal(size=(speakers.size, 400))) @ mixing).astype(np.float32)
    enroll, test, target = make_trials(rng, speakers, args.trials)
    inputs = {
        "network": write_table(work / "network", keys, network),
        "ivectors": write_table(work / "ivectors", keys, ivectors),
        "trials": work / "trials",
    }
    label = np.where(target, "1", "0")
    with open(inputs["trials"], "w") as out:
        out.writelines(f"{label[i]} {keys[enroll[i]]} {keys[test[i]]}\n" for i in range(enroll.size))
    np.savez(work / "arrays.npz", network=network, ivectors=ivectors, enroll=enroll, test=test)

    train_speakers, train = speaker_data(rng, PLDA_SPEAKERS, PLDA_UTTS_PER_SPEAKER, 400, 1.0, 2.5)
    train = (train @ mixing).astype(np.float32)
    train_keys = [f"spk{s:05d}-u{i:06d}" for i, s in enumerate(train_speakers)]
    train_scp = write_table(work / "plda_train", train_keys, train)
    with open(work / "utt2spk", "w") as out:
        out.writelines(f"{k} spk{s:05d}\n" for k, s in zip(train_keys, train_speakers))
    inputs["plda"] = work / "plda.npz"
    train_s, _ = run_measured(["metricvox-train-plda", "--lda-dim", "200", "--utt2spk",
                               work / "utt2spk", train_scp, inputs["plda"]])

    _, cohort = speaker_data(rng, args.cohort, 4, 256, 1.0, 1.5)
    cohort = np.maximum(cohort, 0).reshape(args.cohort, 4, 256).mean(axis=1)
    inputs["cohort"] = write_table(work / "cohort", [f"c{i:05d}" for i in range(args.cohort)],
                                   cohort.astype(np.float32))
    print(f"inputs: {len(keys)} utterances, {enroll.size} trials ({target.sum()} target) over "
          f"{np.unique(enroll).size} enrollment utterances (most trials of one: "
          f"{np.bincount(enroll).max()}); PLDA trained on {train.shape[0]} i-vectors of "
          f"{PLDA_SPEAKERS} speakers in {train_s:.1f} s")
    return inputs


# --- the floors: the same scores in bare numpy, from in-memory arrays ------------------

def cosine_floor(arrays, _model):
    unit = arrays["network"].astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    enroll, test = arrays["enroll"], arrays["test"]
    return np.concatenate([np.einsum("ij,ij->i", unit[enroll[s:s + BLOCK]], unit[test[s:s + BLOCK]])
                           for s in range(0, enroll.size, BLOCK)])


def plda_floor(arrays, model):
    """Kaldi's PLDA LLR of every trial (enrollments of one utterance), every per-utterance
    step done once: mean, LDA, length norm to sqrt(dim), PLDA transform, PLDA-space length
    norm; then the LLR's terms of each side, leaving one dot product per trial:
    LLR = c + a(e) + b(t) + f(e).u(t), the two-covariance formula expanded."""
    x = arrays["ivectors"].astype(np.float64) - model["mean"]
    x = x @ model["lda"].T
    x *= np.sqrt(x.shape[1]) / np.linalg.norm(x, axis=1, keepdims=True)
    u = (x - model["plda_mean"]) @ model["plda_transform"].T
    psi = model["plda_psi"]
    u *= np.sqrt(u.shape[1] / ((u * u) @ (1 / (psi + 1))))[:, None]
    given, marginal, shrink = 1 + psi / (psi + 1), 1 + psi, psi / (psi + 1)
    constant = 0.5 * (np.log(marginal).sum() - np.log(given).sum())
    f = u * (shrink / given)
    a = (u * u) @ (-0.5 * shrink ** 2 / given)
    b = (u * u) @ (0.5 / marginal - 0.5 / given)
    enroll, test = arrays["enroll"], arrays["test"]
    return np.concatenate([
        constant + a[enroll[s:s + BLOCK]] + b[test[s:s + BLOCK]]
        + np.einsum("ij,ij->i", f[enroll[s:s + BLOCK]], u[test[s:s + BLOCK]])
        for s in range(0, enroll.size, BLOCK)])


FLOORS = {"cosine": (cosine_floor, "network"), "plda": (plda_floor, "ivectors")}


def run_floor(name, work):
    """In this (child) process: load the arrays, time the floor, save its scores."""
    floor, table = FLOORS[name]
    with np.load(work / "arrays.npz") as archive:
        arrays = {key: archive[key] for key in (table, "enroll", "test")}
    with np.load(work / "plda.npz") as archive:
        model = {key: archive[key] for key in archive.files}
    start = time.perf_counter()
    scores = floor(arrays, model)
    seconds = time.perf_counter() - start
    np.save(work / f"floor_{name}.npy", scores)
    print(json.dumps({"seconds": seconds}))


def measure_floor(name, work):
    out = work / f"floor_{name}.json"
    _, rss = run_measured([sys.executable, __file__, "--floor", name, "--workdir", work], out)
    return json.loads(out.read_text())["seconds"], rss, np.load(work / f"floor_{name}.npy")


def read_score_column(path):
    with open(path) as stream:
        return np.array([float(line.rsplit(None, 1)[1]) for line in stream])


def verdict(seconds, limit):
    return f"limit {limit:>4.0f} s  {'PASS' if seconds <= limit else 'FAIL'}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=145160)
    parser.add_argument("--trials", type=int, default=579818)
    parser.add_argument("--cohort", type=int, default=5994,
                        help="Cohort entries for metricvox-normalize-scores (VoxCeleb2 dev's speakers).")
    parser.add_argument("--workdir", type=Path, help="Keep the inputs here (default: a temp dir).")
    parser.add_argument("--floor", choices=tuple(FLOORS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        return run_floor(args.floor, args.workdir)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="scoring_scale."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        inputs = make_inputs(work, args)
        limits = {"cosine": 60.0, "plda": 120.0}
        tables = {"cosine": inputs["network"], "plda": inputs["ivectors"]}
        failed = False
        for backend, limit in limits.items():
            extra = ["--model", inputs["plda"]] if backend == "plda" else []
            scores_path = work / f"scores_{backend}"
            seconds, rss = run_measured(["metricvox-score", "--trials", inputs["trials"],
                                         "--backend", backend, *extra, tables[backend],
                                         scores_path])
            floor_s, floor_rss, floor_scores = measure_floor(backend, work)
            tool_scores = read_score_column(scores_path)
            error = np.max(np.abs(tool_scores - floor_scores))
            print(f"metricvox-score --backend {backend}: {seconds:6.1f} s, {rss:6.0f} MiB | "
                  f"numpy floor: {floor_s:6.2f} s, {floor_rss:6.0f} MiB | ratio {seconds / floor_s:4.1f} "
                  f"(time), {rss / floor_rss:4.2f} (RSS) | {verdict(seconds, limit)} | "
                  f"max |tool - floor| {error:.1e}")
            failed |= seconds > limit or error > 1e-5 * max(1.0, np.abs(floor_scores).max())

        seconds, rss = run_measured(["metricvox-compute-eer", inputs["trials"], work / "scores_cosine"],
                                    work / "eer")
        eer = (work / "eer").read_text().split()[1]
        print(f"metricvox-compute-eer on {args.trials} scores: {seconds:6.1f} s, {rss:6.0f} MiB "
              f"(EER {eer}) | {verdict(seconds, 30)}")
        failed |= seconds > 30
        seconds, rss = run_measured(["metricvox-normalize-scores", "--cohort", inputs["cohort"],
                                     work / "scores_cosine", inputs["network"], work / "snorm"])
        print(f"metricvox-normalize-scores (as-norm top 200, cohort {args.cohort}): {seconds:6.1f} s, "
              f"{rss:6.0f} MiB | {verdict(seconds, 30)}")
        failed |= seconds > 30
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
