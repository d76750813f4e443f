"""Nearest-neighbour search of pair mining: metricvox against scikit-learn, time and peak memory.

    python3 bench/mining.py [--anchors 100000] [--database 100000] [--dim 400] [--k 10]
                            [--peer-anchors 5000] [--block-size 4096]

What is measured is one search of Algorithm 1: the --k most cosine-similar of
--database vectors for each of --anchors query vectors (the impostor search
A x B; the client search A x A is the same work, so a whole mining run costs
about twice this). Vectors are Gaussian float32, the same (seeded) for every run.

Each run is a fresh subprocess, so its peak resident memory (getrusage
ru_maxrss) is its own; "working" memory is that peak minus the peak before the
search started (inputs, libraries). Runs:
  (1) metricvox.mining.topk.nearest_by_cosine, anchors x database;
  (2) the same with a database a fifth the size -- the working memory should not move;
  (3) metricvox and (4) scikit-learn NearestNeighbors(metric='cosine',
      algorithm='brute').kneighbors (which chunks internally, default working_memory)
      on the first --peer-anchors anchors against the whole database: scikit-learn is too slow
      for the full anchor set within a few minutes on 2 cores, and the work is linear in
      the number of anchors, so the ratio is of pairs per second on the same subset.
      (3) and (4) alternate --repeats times and each side's fastest run counts, so that
      load from other processes on the machine falls on both alike.
The neighbour lists of (3) and (4) are compared, to show they are the same search.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def vectors(rows, dim, seed):
    return np.random.default_rng(seed).standard_normal((rows, dim), dtype=np.float32)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(args):
    """One measured search in this process; prints a JSON line, saves the neighbour indices."""
    sys.path.insert(0, str(REPO))
    if args.worker == "metricvox":
        from metricvox.mining.topk import nearest_by_cosine
        search = lambda q, d: nearest_by_cosine(q, d, args.k, block_size=args.block_size)[1]  # noqa: E731
    else:
        from sklearn.neighbors import NearestNeighbors
        search = lambda q, d: NearestNeighbors(  # noqa: E731
            n_neighbors=args.k, metric="cosine", algorithm="brute").fit(d).kneighbors(q)[1]
    queries = vectors(args.anchors, args.dim, seed=1)
    database = vectors(args.database, args.dim, seed=2)
    search(queries[:8], database[:64])  # warm up libraries and thread pools
    before = peak_rss_mb()
    start = time.perf_counter()
    indices = search(queries, database)
    seconds = time.perf_counter() - start
    if args.save:
        np.save(args.save, indices)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb(), "before_mb": before}))


def measure(side, anchors, database, args, save=None):
    command = [sys.executable, __file__, "--worker", side, "--anchors", str(anchors),
               "--database", str(database), "--dim", str(args.dim), "--k", str(args.k),
               "--block-size", str(args.block_size)] + (["--save", str(save)] if save else [])
    result = json.loads(subprocess.run(command, check=True, capture_output=True,
                                       text=True).stdout.splitlines()[-1])
    result.update(side=side, anchors=anchors, database=database,
                  working_mb=result["peak_mb"] - result["before_mb"])
    pairs = anchors * database
    print(f"{side:10s} {anchors:>7d} x {database:<7d} {result['seconds']:8.1f} s "
          f"{pairs / result['seconds'] / 1e6:8.1f} Mpairs/s   peak RSS {result['peak_mb']:7.0f} MB, "
          f"working {result['working_mb']:6.0f} MB", flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--anchors", type=int, default=100_000)
    parser.add_argument("--database", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=400)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--peer-anchors", type=int, default=5_000)
    parser.add_argument("--block-size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--worker", choices=("metricvox", "sklearn"), help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"cosine top-{args.k}, {args.dim}-d float32 vectors, block size {args.block_size}")
    full = measure("metricvox", args.anchors, args.database, args)
    small = measure("metricvox", args.anchors, args.database // 5, args)
    print(f"working memory with |B| = {args.database // 5} and {args.database}: "
          f"{small['working_mb']:.0f} MB and {full['working_mb']:.0f} MB (the whole "
          f"{args.anchors} x {args.database} float32 similarity matrix would be "
          f"{args.anchors * args.database * 4 / 2**20:.0f} MB)")
    peer_anchors = min(args.peer_anchors, args.anchors)
    print(f"peer comparison on the first {peer_anchors} anchors against all {args.database} "
          f"(scikit-learn takes too long for {args.anchors}):")
    with tempfile.TemporaryDirectory() as scratch:
        ours_file, peer_file = Path(scratch) / "ours.npy", Path(scratch) / "peer.npy"
        runs = [(measure("metricvox", peer_anchors, args.database, args, save=ours_file),
                 measure("sklearn", peer_anchors, args.database, args, save=peer_file))
                for _ in range(args.repeats)]
        ours = min((r[0] for r in runs), key=lambda r: r["seconds"])
        peer = min((r[1] for r in runs), key=lambda r: r["seconds"])
        ours_idx, peer_idx = np.load(ours_file), np.load(peer_file)
    same = np.mean([set(a) == set(b) for a, b in zip(ours_idx, peer_idx)])
    print(f"same neighbour set for {100 * same:.2f}% of the anchors (float32 rounding may swap "
          "near-equal neighbours)")
    print(f"fastest of {args.repeats}: metricvox {ours['seconds']:.1f} s, scikit-learn "
          f"{peer['seconds']:.1f} s")
    print(f"speed ratio metricvox / scikit-learn: {peer['seconds'] / ours['seconds']:.1f}x; "
          f"working memory ratio scikit-learn / metricvox: "
          f"{peer['working_mb'] / max(ours['working_mb'], 1):.1f}x")


if __name__ == "__main__":
    main()
