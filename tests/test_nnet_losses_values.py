"""Every loss against its paper's formula, worked here in explicit loops.

The batch is small and fixed (seeded), in float64. Each reference below is a
transcription of the paper's equation with Python loops and ``math``, sharing no
code with metricvox.nnet.losses.
"""
import math

import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.losses import build_loss
from metricvox.nnet.losses.triplet import ranked_negatives

N, M, D = 3, 3, 4


def batch(num_classes=N, per_class=M, dim=D, seed=0):
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(num_classes * per_class, dim, generator=g, dtype=torch.float64)
    labels = torch.arange(10, 10 + num_classes).repeat_interleave(per_class)
    return emb, labels


def clustered_batch(num_classes=N, per_class=M, dim=D, spread=0.3, seed=0):
    """Embeddings scattered around one random centre per class; also returns the centres."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_classes, dim, generator=g, dtype=torch.float64)
    noise = torch.randn(num_classes * per_class, dim, generator=g, dtype=torch.float64)
    emb = centres.repeat_interleave(per_class, dim=0) + spread * noise
    labels = torch.arange(10, 10 + num_classes).repeat_interleave(per_class)
    return emb, labels, centres


def rows(t):
    return [[float(v) for v in r] for r in t]


def dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def norm(u):
    return math.sqrt(dot(u, u))


def unit(u):
    n = norm(u)
    return [a / n for a in u]


def cos(u, v):
    return dot(u, v) / (norm(u) * norm(v))


def dist(u, v):
    return math.sqrt(sum((a - b) ** 2 for a, b in zip(u, v)))


def mean_vec(vs):
    return [sum(c) / len(vs) for c in zip(*vs)]


def cross_entropy(logits, target):
    return math.log(sum(math.exp(z) for z in logits)) - logits[target]


# ---- classification heads -------------------------------------------------------

def test_softmax_is_linear_layer_and_cross_entropy():
    emb, labels = batch(num_classes=3)
    labels = labels - 10
    loss = build_loss("softmax", embedding_dim=D, num_classes=5).double()
    W = rows(loss.classifier.weight.detach())
    b = [float(v) for v in loss.classifier.bias.detach()]
    expected = 0.0
    for x, y in zip(rows(emb), labels.tolist()):
        logits = [dot(x, W[c]) + b[c] for c in range(5)]
        expected += cross_entropy(logits, y)
    expected /= len(labels)
    out = loss(emb, labels)
    assert out.loss.item() == pytest.approx(expected, rel=1e-10)
    assert out.logits.shape == (9, 5)


def margin_head(name, **config):
    """A head whose class weights are the centres of the embeddings' classes (plus one more).

    The target angles stay small (under 45 degrees), the domain where the papers'
    Eqs. 4 and 6 are used literally (SphereFace's cos(m theta), ArcFace's theta + m < pi).
    """
    emb, labels, centres = clustered_batch(spread=0.2, seed=2)
    labels = labels - 10
    loss = build_loss(name, embedding_dim=D, num_classes=4, **config).double()
    g = torch.Generator().manual_seed(1)
    W = torch.cat([centres, torch.randn(1, D, generator=g, dtype=torch.float64)]).t()
    with torch.no_grad():
        loss.head.W.copy_(W)
    return loss, emb, labels, rows(W.t())


def margin_reference(emb, labels, W, target_logit, other_logit):
    total = 0.0
    for x, y in zip(rows(emb), labels.tolist()):
        logits = []
        for c, w in enumerate(W):
            theta = math.acos(cos(x, w))
            logits.append(target_logit(x, theta) if c == y else other_logit(x, theta))
        total += cross_entropy(logits, y)
    return total / len(labels)


def test_normsoftmax_modified_softmax_eq3():
    s = 20.0
    loss, emb, labels, W = margin_head("normsoftmax", scale=s)
    expected = margin_reference(emb, labels, W,
                                lambda x, t: s * math.cos(t), lambda x, t: s * math.cos(t))
    out = loss(emb, labels)
    assert out.loss.item() == pytest.approx(expected, rel=1e-9)
    assert float(out.accuracy) == 1.0


def test_sphereface_multiplicative_margin_eq4():
    m = 4
    loss, emb, labels, W = margin_head("sphereface", margin=m)
    for x, y in zip(rows(emb), labels.tolist()):
        assert math.acos(cos(x, W[y])) < math.pi / m   # the literal domain of Eq. 4
    # s is the norm of the embedding (the paper's "hypersphere radius").
    expected = margin_reference(emb, labels, W,
                                lambda x, t: norm(x) * math.cos(m * t),
                                lambda x, t: norm(x) * math.cos(t))
    assert loss(emb, labels).loss.item() == pytest.approx(expected, rel=1e-9)


def test_amsoftmax_additive_cosine_margin_eq5():
    s, m = 30.0, 0.2
    loss, emb, labels, W = margin_head("amsoftmax", margin=m, scale=s)
    expected = margin_reference(emb, labels, W,
                                lambda x, t: s * (math.cos(t) - m), lambda x, t: s * math.cos(t))
    assert loss(emb, labels).loss.item() == pytest.approx(expected, rel=1e-9)


def test_aamsoftmax_additive_angular_margin_eq6_in_radians():
    s, m = 30.0, 0.5
    loss, emb, labels, W = margin_head("aamsoftmax", margin=m, scale=s)
    expected = margin_reference(emb, labels, W,
                                lambda x, t: s * math.cos(t + m), lambda x, t: s * math.cos(t))
    assert loss(emb, labels).loss.item() == pytest.approx(expected, rel=1e-9)


# ---- triplet ----------------------------------------------------------------------

def triplets(labels):
    ls = labels.tolist()
    for a in range(len(ls)):
        for p in range(len(ls)):
            for n in range(len(ls)):
                if a != p and ls[a] == ls[p] and ls[n] != ls[a]:
                    yield a, p, n


def distances(emb, squared, normalize=True):
    xs = [unit(x) if normalize else x for x in rows(emb)]
    d = [[dist(u, v) for v in xs] for u in xs]
    return [[v * v for v in r] for r in d] if squared else d


@pytest.mark.parametrize("squared", [False, True])
def test_triplet_batch_hard_eq1(squared):
    margin = 0.3
    emb, labels, _ = clustered_batch(spread=0.4, seed=4)
    d = distances(emb, squared)
    ls = labels.tolist()
    hinge = []
    for a in range(len(ls)):
        hardest_positive = max(d[a][p] for p in range(len(ls)) if p != a and ls[p] == ls[a])
        hardest_negative = min(d[a][n] for n in range(len(ls)) if ls[n] != ls[a])
        hinge.append(max(0.0, hardest_positive - hardest_negative + margin))
    assert 0 < sum(h > 0 for h in hinge) < len(hinge)   # the batch exercises the hinge
    loss = build_loss("triplet", margin=margin, mining="hard",
                      distance="squared" if squared else "euclidean")
    assert loss(emb, labels).loss.item() == pytest.approx(sum(hinge) / len(hinge), rel=1e-9)


def test_triplet_hard_negative_per_pair():
    margin = 0.3
    emb, labels, _ = clustered_batch(spread=0.4, seed=4)
    d = distances(emb, squared=False)
    ls = labels.tolist()
    hinge = []
    for a in range(len(ls)):
        hardest_negative = min(d[a][n] for n in range(len(ls)) if ls[n] != ls[a])
        for p in range(len(ls)):
            if p != a and ls[p] == ls[a]:
                hinge.append(max(0.0, d[a][p] - hardest_negative + margin))
    loss = build_loss("triplet", margin=margin, mining="hardneg")
    assert loss(emb, labels).loss.item() == pytest.approx(sum(hinge) / len(hinge), rel=1e-9)


def _drawn_negatives(emb, labels, hard_prob, hard_rank, draws):
    """{(anchor, positive): [negatives drawn]} over ``draws`` calls of the ranked miner."""
    d = torch.tensor(distances(emb, squared=False), dtype=torch.float64)
    seen = {}
    torch.manual_seed(0)
    for _ in range(draws):
        for a, p, n in zip(*(t.tolist() for t in ranked_negatives(d, labels, hard_prob, hard_rank))):
            seen.setdefault((a, p), []).append(n)
    return seen


def test_triplet_drawn_hard_negatives_come_from_the_anchors_nearest_ranks():
    emb, labels, _ = clustered_batch(spread=0.4, seed=4)
    d = distances(emb, squared=False)
    ls = labels.tolist()
    pairs = {(a, p) for a in range(len(ls)) for p in range(len(ls)) if p != a and ls[p] == ls[a]}
    seen = _drawn_negatives(emb, labels, hard_prob=1.0, hard_rank=3, draws=60)
    assert set(seen) == pairs                          # every (anchor, positive) pair, once a draw
    for (a, _), drawn in seen.items():
        nearest = sorted((n for n in range(len(ls)) if ls[n] != ls[a]), key=lambda n: d[a][n])[:3]
        assert set(drawn) == set(nearest)              # all three ranks, nothing else


def test_triplet_drawn_negatives_without_hard_prob_are_uniform_over_the_negatives():
    emb, labels, _ = clustered_batch(spread=0.4, seed=4)
    ls = labels.tolist()
    seen = _drawn_negatives(emb, labels, hard_prob=0.0, hard_rank=2, draws=400)
    for (a, _), drawn in seen.items():
        negatives = [n for n in range(len(ls)) if ls[n] != ls[a]]
        counts = [drawn.count(n) for n in negatives]
        assert sum(counts) == 400
        expected = 400 / len(negatives)                # within 5 sd of a uniform draw
        assert all(abs(c - expected) < 5 * math.sqrt(expected) for c in counts), counts


def test_triplet_drawn_negatives_loss_is_the_mean_hinge_of_the_drawn_triplets():
    margin = 0.3
    emb, labels, _ = clustered_batch(spread=0.4, seed=4)
    d = distances(emb, squared=False)
    loss = build_loss("triplet", margin=margin, mining="hardneg", hard_prob=0.5, hard_rank=2)
    torch.manual_seed(7)
    value = loss(emb, labels).loss.item()
    # The draw is random, so the triplets come from the miner under the same seed; the
    # hinge and its mean are the reference.
    torch.manual_seed(7)
    drawn = ranked_negatives(torch.tensor(d), labels, 0.5, 2)
    hinge = [max(0.0, d[a][p] - d[a][n] + margin) for a, p, n in zip(*(t.tolist() for t in drawn))]
    assert value == pytest.approx(sum(hinge) / len(hinge), rel=1e-6)


def test_triplet_hard_prob_and_rank_are_checked():
    with pytest.raises(InputError, match="hard_prob must be in"):
        build_loss("triplet", mining="hardneg", hard_prob=1.5)
    with pytest.raises(InputError, match="hard_prob must be in"):
        build_loss("triplet", mining="hardneg", hard_prob="half")   # a YAML string
    with pytest.raises(InputError, match="hard_rank must be a positive integer"):
        build_loss("triplet", mining="hardneg", hard_rank=0)
    with pytest.raises(InputError, match="apply to mining 'hardneg' only"):
        build_loss("triplet", mining="hard", hard_rank=3)


@pytest.mark.parametrize("squared", [False, True])
def test_triplet_semi_hard_eq8(squared):
    margin = 0.5
    emb, labels = batch(num_classes=4, per_class=2, seed=3)
    d = distances(emb, squared)
    hinge = [d[a][p] - d[a][n] + margin for a, p, n in triplets(labels)
             if d[a][p] < d[a][n] <= d[a][p] + margin]
    assert hinge
    loss = build_loss("triplet", margin=margin, mining="semihard",
                      distance="squared" if squared else "euclidean")
    assert loss(emb, labels).loss.item() == pytest.approx(sum(hinge) / len(hinge), rel=1e-9)


def test_triplet_all_triplets_unnormalised():
    margin = 0.8
    emb, labels = batch()
    d = distances(emb, squared=False, normalize=False)
    hinge = [max(0.0, d[a][p] - d[a][n] + margin) for a, p, n in triplets(labels)]
    loss = build_loss("triplet", margin=margin, mining="all", normalize=False)
    assert loss(emb, labels).loss.item() == pytest.approx(sum(hinge) / len(hinge), rel=1e-9)


def test_triplet_listed_siamese_triples_eq1():
    margin = 0.8                                    # the Siamese paper's m
    clustered, _, _ = clustered_batch(num_classes=4, per_class=2, spread=0.5, seed=5)
    # Triple k: two utterances of class k, then one of class k + 1.
    order = [i for k in range(4) for i in (2 * k, 2 * k + 1, (2 * k + 2) % 8)]
    emb = clustered[order]
    xs = [unit(x) for x in rows(emb)]               # its l2-normalisation layer
    hinge = [max(0.0, dist(xs[k], xs[k + 1]) - dist(xs[k], xs[k + 2]) + margin)
             for k in range(0, len(xs), 3)]
    assert 0 < sum(h > 0 for h in hinge) < len(hinge)
    loss = build_loss("triplet", margin=margin, mining="listed")
    assert loss(emb, None).loss.item() == pytest.approx(sum(hinge) / len(hinge), rel=1e-9)


# ---- n-pair, angular ------------------------------------------------------------

@pytest.mark.parametrize("normalize", [True, False])
def test_npair_eq10_per_anchor(normalize):
    emb, labels = batch(num_classes=4, per_class=2)
    xs = [unit(x) if normalize else x for x in rows(emb)]
    anchors, positives = xs[0::2], xs[1::2]
    total = 0.0
    for i, f in enumerate(anchors):
        total += math.log(1 + sum(math.exp(dot(f, positives[j]) - dot(f, positives[i]))
                                  for j in range(len(anchors)) if j != i))
    loss = build_loss("npair", normalize=normalize)
    assert loss(emb, labels).loss.item() == pytest.approx(total / len(anchors), rel=1e-9)


@pytest.mark.parametrize("alpha", [30.0, 45.0])
def test_angular_hinge_eq12_alpha_in_degrees(alpha):
    emb, labels = batch()
    xs = [unit(x) for x in rows(emb)]
    tan2 = math.tan(math.radians(alpha)) ** 2
    hinge = []
    for a, p, n in triplets(labels):
        centre = mean_vec([xs[a], xs[p]])
        hinge.append(max(0.0, dist(xs[a], xs[p]) ** 2 - 4 * tan2 * dist(xs[n], centre) ** 2))
    assert any(h > 0 for h in hinge) and any(h == 0 for h in hinge)
    loss = build_loss("angular", alpha=alpha)
    assert loss(emb, labels).loss.item() == pytest.approx(sum(hinge) / len(hinge), rel=1e-9)


# ---- prototypical, GE2E -----------------------------------------------------------

def groups(emb):
    xs = rows(emb)
    return [xs[j * M:(j + 1) * M] for j in range(N)]


def test_proto_euclidean_eqs2_3():
    emb, labels = batch()
    g = groups(emb)
    prototypes = [mean_vec(utts[:-1]) for utts in g]        # Eq. 2: support = first M-1
    total = 0.0
    for j, utts in enumerate(g):
        query = utts[-1]                                     # the M-th segment
        logits = [-dist(query, c) ** 2 for c in prototypes]  # Eq. 3
        total += cross_entropy(logits, j)
    out = build_loss("proto")(emb, labels)
    assert out.loss.item() == pytest.approx(total / N, rel=1e-10)
    assert out.logits.shape == (N, N)


def test_angleproto_eq4_learnable_w_b():
    emb, labels = batch()
    loss = build_loss("angleproto", init_w=7.0, init_b=-2.0).double()
    g = groups(emb)
    prototypes = [mean_vec(utts[:-1]) for utts in g]
    total = sum(cross_entropy([7.0 * cos(utts[-1], c) - 2.0 for c in prototypes], j)
                for j, utts in enumerate(g))
    assert loss(emb, labels).loss.item() == pytest.approx(total / N, rel=1e-10)
    assert {n for n, _ in loss.named_parameters()} == {"w", "b"}


def ge2e_reference(emb, w, b, normalised, method):
    """Wan et al.'s Eqs. 1 and 5-9 in loops: mean per-utterance loss over the batch."""
    g = groups(emb)
    averaged = [[unit(e) for e in utts] if normalised else utts for utts in g]
    total = 0.0
    for j, utts in enumerate(g):
        for i, e in enumerate(utts):
            similarities = []
            for k in range(N):
                others = averaged[k][:i] + averaged[k][i + 1:] if k == j else averaged[k]
                similarities.append(w * cos(unit(e), mean_vec(others)) + b)    # Eqs. 5, 8, 9
            if method == "softmax":                                             # Eq. 6
                total += cross_entropy(similarities, j)
            else:                                                               # Eq. 7
                sigmoid = [1 / (1 + math.exp(-s)) for s in similarities]
                total += 1 - sigmoid[j] + max(s for k, s in enumerate(sigmoid) if k != j)
    return total / (N * M)


@pytest.mark.parametrize("centroids", ["normalised", "raw"])
@pytest.mark.parametrize("method", ["softmax", "contrast"])
def test_ge2e_with_own_centroid_excluding_self(centroids, method):
    emb, labels = batch()
    emb = emb * torch.linspace(0.5, 3.0, N * M, dtype=torch.float64).unsqueeze(1)  # unequal norms
    loss = build_loss("ge2e", init_w=10.0, init_b=-5.0, centroids=centroids, method=method).double()
    expected = ge2e_reference(emb, 10.0, -5.0, centroids == "normalised", method)
    assert loss(emb, labels).loss.item() == pytest.approx(expected, rel=1e-10)


# 2 speakers x 2 utterances in 2-d, chosen so that every cosine is a simple number. Unit
# directions: a1 (1, 0), a2 (0, 1), b1 (-1, 0), b2 (0, -1); the norms differ (2, 1, 1, 3),
# which matters only to the raw centroids.
TINY = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -3.0]], dtype=torch.float64)
TINY_LABELS = torch.tensor([7, 7, 9, 9])
W, B = 2.0, -1.0


def tiny_similarities(centroids):
    """(S_own, S_other) per utterance a1, a2, b1, b2, worked by hand.

    Own class (M = 2): c_j^(-i) is the other utterance, at 90 degrees: cos 0, S = b.
    normalised: c_A = (1/2, 1/2), c_B = -(1/2, 1/2); every utterance is at 135 degrees
    from the other class's centroid: cos -1/sqrt(2).
    raw: c_A = ((2, 0) + (0, 1)) / 2 = (1, 1/2), direction (2, 1)/sqrt(5);
    c_B = ((-1, 0) + (0, -3)) / 2 = -(1/2, 3/2), direction -(1, 3)/sqrt(10):
    a1.c_B -1/sqrt(10), a2.c_B -3/sqrt(10), b1.c_A -2/sqrt(5), b2.c_A -1/sqrt(5).
    """
    if centroids == "normalised":
        other = [-1 / math.sqrt(2)] * 4
    else:
        other = [-1 / math.sqrt(10), -3 / math.sqrt(10), -2 / math.sqrt(5), -1 / math.sqrt(5)]
    return [(B, W * c + B) for c in other]


@pytest.mark.parametrize("centroids", ["normalised", "raw"])
def test_ge2e_softmax_eq6_on_a_batch_worked_by_hand(centroids):
    # Eq. 6: -S_own + log(exp(S_own) + exp(S_other)) = log(1 + exp(S_other - S_own)).
    expected = sum(math.log1p(math.exp(other - own)) for own, other in tiny_similarities(centroids)) / 4
    loss = build_loss("ge2e", init_w=W, init_b=B, centroids=centroids).double()
    out = loss(TINY, TINY_LABELS)
    assert out.loss.item() == pytest.approx(expected, rel=1e-12)
    if centroids == "normalised":   # every term is log(1 + exp(-w/sqrt(2)))
        assert out.loss.item() == pytest.approx(math.log1p(math.exp(-W / math.sqrt(2))), rel=1e-12)


@pytest.mark.parametrize("centroids", ["normalised", "raw"])
def test_ge2e_contrast_eq7_on_a_batch_worked_by_hand(centroids):
    def sigmoid(x):
        return 1 / (1 + math.exp(-x))
    # Eq. 7 with one other class: 1 - sigmoid(S_own) + sigmoid(S_other).
    expected = sum(1 - sigmoid(own) + sigmoid(other) for own, other in tiny_similarities(centroids)) / 4
    loss = build_loss("ge2e", init_w=W, init_b=B, centroids=centroids, method="contrast").double()
    assert loss(TINY, TINY_LABELS).loss.item() == pytest.approx(expected, rel=1e-12)


def test_ge2e_default_is_the_papers_normalised_softmax_form():
    default = build_loss("ge2e", init_w=W, init_b=B).double()(TINY, TINY_LABELS).loss.item()
    assert default == pytest.approx(math.log1p(math.exp(-W / math.sqrt(2))), rel=1e-12)


def test_ge2e_w_is_kept_positive():
    # w clamped to (almost) 0: every S is b, so each softmax term is log 2.
    loss = build_loss("ge2e", init_w=-3.0, init_b=B).double()
    assert loss(TINY, TINY_LABELS).loss.item() == pytest.approx(math.log(2), abs=1e-5)


@pytest.mark.parametrize("option", [{"centroids": "unit"}, {"method": "triplet"}])
def test_ge2e_bad_option_values(option):
    with pytest.raises(InputError, match="ge2e"):
        build_loss("ge2e", **option)


# ---- pair BCE -------------------------------------------------------------------

def test_bce_probability_per_pair():
    p = torch.tensor([0.9, 0.2, 0.6, 0.05], dtype=torch.float64)
    y = torch.tensor([1, 0, 0, 1])
    expected = -sum(math.log(pi) if yi else math.log(1 - pi)
                    for pi, yi in zip(p.tolist(), y.tolist())) / 4
    out = build_loss("bce")(p.unsqueeze(1), y)
    assert out.loss.item() == pytest.approx(expected, rel=1e-12)
    assert float(out.accuracy) == pytest.approx(0.5)
