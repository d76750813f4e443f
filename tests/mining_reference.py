"""Test helpers for pair mining: Algorithm 1 done the plain way, and clustered i-vectors.

The reference holds the whole similarity matrix in float64 and sorts each row
(by decreasing score, then increasing index) -- nothing blocked, nothing shared
with the code under test.
"""
import numpy as np


def cosine_matrix(queries, database):
    q = np.asarray(queries, np.float64)
    d = np.asarray(database, np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    return q @ d.T


def brute_force_nearest(queries, database, k, exclude_self=False):
    """(scores, indices) of the k best database rows per query, ties to the lower index."""
    similarity = cosine_matrix(queries, database)
    columns = np.arange(similarity.shape[1])
    order = []
    for i, row in enumerate(similarity):
        ranked = [j for j in np.lexsort((columns, -row)) if not (exclude_self and j == i)]
        order.append(ranked[:k])
    indices = np.array(order, dtype=np.int64).reshape(len(similarity), -1)
    return np.take_along_axis(similarity, indices, 1), indices


def reference_algorithm_1(a_keys, a, b_keys, b, k, client_threshold, impostor_threshold):
    """Pairs ``[(anchor, other, is_client)]`` and triplets as the paper's Algorithm 1 forms them."""
    client_scores, clients = brute_force_nearest(a, a, k, exclude_self=True)
    impostor_scores, impostors = brute_force_nearest(a, b, k)
    pairs, triplets = [], []
    for i, anchor in enumerate(a_keys):
        kept_clients = [a_keys[j] for s, j in zip(client_scores[i], clients[i]) if s >= client_threshold]
        kept_impostors = [b_keys[j] for s, j in zip(impostor_scores[i], impostors[i])
                          if s >= impostor_threshold]
        pairs += [(anchor, c, True) for c in kept_clients]
        pairs += [(anchor, m, False) for m in kept_impostors]
        triplets += [(anchor, c, m) for c, m in zip(kept_clients, kept_impostors)]
    return pairs, triplets


def clustered_vectors(rng, speakers, per_speaker, dim, prefix, noise=0.7):
    """Keys ``{prefix}spkNNN-uNN``, (n, dim) float32 vectors around one centre per speaker,
    and the utt2spk dict."""
    keys, rows, utt2spk = [], [], {}
    for s in range(speakers):
        centre = rng.standard_normal(dim)
        for u in range(per_speaker):
            key = f"{prefix}spk{s:03d}-u{u:02d}"
            keys.append(key)
            rows.append(centre + noise * rng.standard_normal(dim))
            utt2spk[key] = f"{prefix}spk{s:03d}"
    return keys, np.array(rows, np.float32), utt2spk
