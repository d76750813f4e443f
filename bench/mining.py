"""metricvox-mine-pairs on n x n i-vectors: wall time and peak memory of the whole tool run, against
the bare matrix products it cannot avoid, and its neighbours against a float64 brute force.

    python3 bench/mining.py [--n 100000] [--dim 400] [--k 10] [--per-speaker 100]
                            [--check-anchors 5000] [--block-size 8192]

Databases A and B (n vectors each, different speakers) are written as float32
ark/scp, like i-vectors from metricvox-extract-ivectors: --per-speaker vectors
around each of n/--per-speaker random speaker centres (cosine ~0.5 within a
speaker), or plain Gaussian vectors with --per-speaker 0. Then:

  (1) the tool, as a subprocess: `metricvox-mine-pairs A.scp B.scp pairs triplets`;
      wall time, and peak resident memory (getrusage of the child: reading,
      searching, writing, everything);
  (2) the floor: the matrix products of the two searches (clients A x A,
      impostors A x B) alone, torch.mm of the same block shapes into one buffer,
      in the tool's coarse precision (bfloat16 where the CPU has AMX) and in
      float32 (timed on a quarter of the query blocks and scaled);
  (3) the first --check-anchors anchors' client and impostor sets in the tool's
      PAIRS_OUT (a sorted table) against a float64 numpy brute force over the whole of A and B
      (k best by cosine, ties to the lower index, then the paper's thresholds).
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricvox.io import MatrixWriter  # noqa: E402
from metricvox.mining.lists import read_pairs  # noqa: E402
from metricvox.mining.select import PAPER_CLIENT_THRESHOLD, PAPER_IMPOSTOR_THRESHOLD  # noqa: E402
from metricvox.mining.topk import _coarse_dtypes  # noqa: E402


def database(rng, n, dim, per_speaker, prefix):
    if per_speaker:
        centres = rng.standard_normal((-(-n // per_speaker), dim), dtype=np.float32)
        vectors = np.repeat(centres, per_speaker, 0)[:n]
        vectors += rng.standard_normal((n, dim), dtype=np.float32)
    else:
        vectors = rng.standard_normal((n, dim), dtype=np.float32)
    keys = [f"{prefix}{i:07d}" for i in range(n)]
    return keys, vectors


def write_table(directory, name, keys, vectors):
    ark, scp = directory / f"{name}.ark", directory / f"{name}.scp"
    with MatrixWriter(f"ark,scp:{ark},{scp}") as writer:
        for key, vector in zip(keys, vectors):
            writer.write(key, vector)
    return f"scp:{scp}"


def run_tool(args, a_spec, b_spec, directory):
    env = dict(os.environ, PATH=f"{REPO / 'bin'}:{os.environ['PATH']}",
               PYTHONPATH=f"{REPO}:{os.environ.get('PYTHONPATH', '')}")
    command = ["metricvox-mine-pairs", "--k", str(args.k), "--block-size", str(args.block_size),
               a_spec, b_spec, str(directory / "pairs"), str(directory / "triplets")]
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"metricvox-mine-pairs failed:\n{proc.stderr}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb, proc.stderr


def matrix_product_seconds(a, b, block_size, dtype, query_fraction=1.0):
    """torch.mm of every (database block x query block) of a search of a against b."""
    a, b = torch.from_numpy(a).to(dtype), torch.from_numpy(b).to(dtype)
    rows = min(block_size, len(a))
    buffer = torch.empty(min(block_size, len(b)) * rows, dtype=dtype)
    starts = list(range(0, len(a), rows))
    used = starts[:max(1, round(len(starts) * query_fraction))]
    torch.mm(b[:64], a[:64].T)  # warm up
    start = time.perf_counter()
    for q in used:
        query = a[q:q + rows]
        for d in range(0, len(b), block_size):
            part = b[d:d + block_size]
            torch.mm(part, query.T, out=buffer[:len(part) * len(query)].view(len(part), -1))
    return (time.perf_counter() - start) * len(starts) / len(used)


def brute_force_lists(anchors, vectors, k, threshold, exclude_self):
    """Float64: per anchor, the indices of its k most cosine-similar vectors (ties to the lower
    index) that score >= threshold, best first, and the scores of the whole rows' k-th."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    query = anchors / np.linalg.norm(anchors, axis=1, keepdims=True)
    lists = []
    for start in range(0, len(query), 250):
        similarity = query[start:start + 250] @ unit.T
        if exclude_self:
            similarity[np.arange(len(similarity)), np.arange(start, start + len(similarity))] = -np.inf
        for row in similarity:
            kth = np.partition(row, -k)[-k]
            tied_or_better = np.flatnonzero(row >= kth)
            order = tied_or_better[np.lexsort((tied_or_better, -row[tied_or_better]))][:k]
            lists.append([(int(j), row[j]) for j in order if row[j] >= threshold])
    return lists


def check_against_brute_force(args, a_keys, a, b_keys, b, directory):
    index_a = {key: i for i, key in enumerate(a_keys)}
    index_b = {key: i for i, key in enumerate(b_keys)}
    anchors = a_keys[:args.check_anchors]
    mined_clients, mined_impostors = {key: [] for key in anchors}, {key: [] for key in anchors}
    for pair in read_pairs(directory / "pairs"):
        if pair.enroll in mined_clients:
            if pair.is_target:
                mined_clients[pair.enroll].append(index_a[pair.test])
            else:
                mined_impostors[pair.enroll].append(index_b[pair.test])
    query = a[:len(anchors)].astype(np.float64)
    clients = brute_force_lists(query, a.astype(np.float64), args.k, PAPER_CLIENT_THRESHOLD, True)
    impostors = brute_force_lists(query, b.astype(np.float64), args.k, PAPER_IMPOSTOR_THRESHOLD,
                                  False)
    same = differ_by_ties = differ = 0
    for i, key in enumerate(anchors):
        for mined, expected, others in ((mined_clients[key], clients[i], a),
                                        (mined_impostors[key], impostors[i], b)):
            if sorted(mined) == sorted(j for j, _ in expected):
                same += 1
            elif sorted(cosine(query[i], others[j]) for j in mined) == sorted(s for _, s in expected):
                differ_by_ties += 1   # other vectors, but the same float64 scores
            else:
                differ += 1
    return same, differ_by_ties, differ


def cosine(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return (x / np.linalg.norm(x)) @ (y / np.linalg.norm(y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=400)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--per-speaker", type=int, default=100)
    parser.add_argument("--check-anchors", type=int, default=5_000)
    parser.add_argument("--block-size", type=int, default=8192)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    a_keys, a = database(rng, args.n, args.dim, args.per_speaker, "A")
    b_keys, b = database(rng, args.n, args.dim, args.per_speaker, "B")
    print(f"A and B: {args.n} x {args.dim} float32 each "
          f"({f'{args.per_speaker} per speaker' if args.per_speaker else 'Gaussian'}), k={args.k}, "
          f"block size {args.block_size}, {torch.get_num_threads()} threads", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        a_spec = write_table(directory, "a", a_keys, a)
        b_spec = write_table(directory, "b", b_keys, b)
        seconds, peak_mb, stderr = run_tool(args, a_spec, b_spec, directory)
        print(f"(1) metricvox-mine-pairs: {seconds:.1f} s wall, peak RSS {peak_mb:.0f} MB")
        for line in stderr.splitlines():
            if "search" in line:
                print("      " + line.split(": ", 1)[-1])
        coarse = _coarse_dtypes(torch.device("cpu"))[0]
        floors = {dtype: sum(matrix_product_seconds(a, other, args.block_size, dtype,
                                                    1.0 if dtype == coarse else 0.25)
                             for other in (a, b))
                  for dtype in dict.fromkeys((coarse, torch.float32))}
        for dtype, floor in floors.items():
            print(f"(2) bare matrix products A x A + A x B in {str(dtype)[6:]}: {floor:.1f} s; "
                  f"tool / products = {seconds / floor:.2f}")
        same, ties, differ = check_against_brute_force(args, a_keys, a, b_keys, b, directory)
        lists = 2 * min(args.check_anchors, args.n)
        print(f"(3) float64 brute force, first {min(args.check_anchors, args.n)} anchors: "
              f"{same} of {lists} client/impostor sets identical, "
              f"{ties} differ where float64 scores tie exactly, {differ} differ otherwise")


if __name__ == "__main__":
    main()
