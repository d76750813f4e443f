"""The loss registry: gradients, the weighted sum, devices and bad configuration."""
import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.losses import LOSSES, build_loss

D, C = 3, 4
BATCH_LOSSES = [n for n in LOSSES if n not in ("bce", "multi")]


def tiny_batch(num_classes=3, per_class=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 2 * torch.randn(num_classes, D, generator=g, dtype=torch.float64)
    emb = centres.repeat_interleave(per_class, 0)
    emb = emb + 0.5 * torch.randn(emb.shape, generator=g, dtype=torch.float64)
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    return emb, labels


@pytest.mark.parametrize("name", BATCH_LOSSES)
def test_gradient_matches_finite_differences(name):
    torch.manual_seed(0)
    # Options that make the hinge losses non-zero on this batch.
    options = {"triplet": {"margin": 1.0, "mining": "semihard"}, "angular": {"alpha": 10}}
    options = options.get(name, {})
    loss = build_loss(name, embedding_dim=D, num_classes=C, **options).double()
    emb, labels = tiny_batch()
    emb.requires_grad_(True)
    assert loss(emb, labels).loss.item() > 0
    assert torch.autograd.gradcheck(lambda e: loss(e, labels).loss, (emb,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("mining", ["hard", "hardneg", "all", "listed"])
def test_triplet_gradient_other_minings(mining):
    loss = build_loss("triplet", margin=1.0, mining=mining, distance="squared")
    emb, labels = tiny_batch()
    emb.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda e: loss(e, labels).loss, (emb,), eps=1e-6, atol=1e-5)


def test_listed_triplets_need_three_rows_each():
    with pytest.raises(InputError, match="3\\*B"):
        build_loss("triplet", mining="listed")(torch.randn(4, D), None)


def test_bce_gradient():
    p = torch.tensor([0.3, 0.8, 0.55], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1, 0, 1])
    loss = build_loss("bce")
    assert torch.autograd.gradcheck(lambda q: loss(q, y).loss, (p,))


MULTI_METRIC = [  # the multi-metric paper's weights (its Sec. 4)
    {"name": "npair", "weight": 0.5},
    {"name": "softmax", "weight": 0.1},
    {"name": "triplet", "weight": 1.0, "mining": "semihard", "distance": "squared", "margin": 1.0},
    {"name": "angular", "weight": 1.0, "alpha": 45},
]


def test_multi_is_the_weighted_sum_of_its_parts():
    torch.manual_seed(0)
    multi = build_loss("multi", embedding_dim=D, num_classes=C, losses=MULTI_METRIC).double()
    emb, labels = tiny_batch()
    out = multi(emb, labels)
    torch.manual_seed(0)   # the same softmax weights for the stand-alone copy
    expected = 0.0
    for spec in MULTI_METRIC:
        options = {k: v for k, v in spec.items() if k not in ("name", "weight")}
        part = build_loss(spec["name"], embedding_dim=D, num_classes=C, **options).double()
        value = part(emb, labels).loss
        assert float(out.parts[spec["name"]]) == pytest.approx(value.item(), rel=1e-12)
        expected += spec["weight"] * value.item()
    assert out.loss.item() == pytest.approx(expected, rel=1e-12)
    assert out.logits.shape == (6, C) and out.accuracy is not None   # from the softmax part
    assert sum(p.numel() for p in multi.parameters()) == D * C + C


def test_multi_gradient():
    multi = build_loss("multi", embedding_dim=D, num_classes=C, losses=MULTI_METRIC).double()
    emb, labels = tiny_batch()
    emb.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda e: multi(e, labels).loss, (emb,), eps=1e-6, atol=1e-5)


def test_multi_same_loss_twice_keeps_both_values():
    multi = build_loss("multi", losses=[{"name": "proto", "weight": 1},
                                        {"name": "proto", "weight": 2}])
    out = multi(*tiny_batch())
    assert set(out.parts) == {"proto", "proto.2"}
    assert out.loss.item() == pytest.approx(3 * float(out.parts["proto"]))


@pytest.mark.parametrize("name", BATCH_LOSSES)
def test_runs_on_the_inputs_device(name):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    loss = build_loss(name, embedding_dim=D, num_classes=C).to(device)
    emb, labels = tiny_batch()
    out = loss(emb.float().to(device), labels.to(device))
    assert out.loss.device.type == device and torch.isfinite(out.loss)


# ---- bad configuration and bad batches ---------------------------------------------

def test_unknown_loss_lists_the_valid_names():
    with pytest.raises(InputError) as err:
        build_loss("arcface")
    for name in ("aamsoftmax", "angleproto", "ge2e", "multi"):
        assert name in str(err.value)


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(InputError) as err:
        build_loss("triplet", margn=0.2)
    assert "'margn'" in str(err.value)
    for option in ("margin", "mining", "distance", "normalize"):
        assert option in str(err.value)


@pytest.mark.parametrize("config", [
    {"name": "triplet", "mining": "hardest"},
    {"name": "triplet", "distance": "cosine"},
    {"name": "angular", "alpha": 90},          # tan(alpha) is unbounded there
    {"name": "sphereface", "margin": 1.5},
])
def test_bad_option_values(config):
    config = dict(config)
    with pytest.raises(InputError):
        build_loss(config.pop("name"), embedding_dim=D, num_classes=C, **config)


@pytest.mark.parametrize("name", ["softmax", "amsoftmax", "aamsoftmax", "sphereface", "normsoftmax"])
def test_classification_heads_need_sizes(name):
    with pytest.raises(InputError, match="num_classes"):
        build_loss(name, embedding_dim=D)


@pytest.mark.parametrize("losses", [
    [],
    [{"name": "softmax"}],                                    # no weight
    [{"name": "proto", "weight": "heavy"}],
    [{"name": "multi", "weight": 1, "losses": []}],
    [{"name": "proto", "weight": 1, "margin": 0.2}],           # option proto does not have
])
def test_bad_multi_specs(losses):
    with pytest.raises(InputError):
        build_loss("multi", embedding_dim=D, num_classes=C, losses=losses)


@pytest.mark.parametrize("name", ["proto", "angleproto", "ge2e", "triplet", "npair", "angular"])
def test_one_utterance_per_class_is_refused_up_front(name):
    emb, labels = tiny_batch(num_classes=4, per_class=1)
    with pytest.raises(InputError, match="at least 2 classes x 2 utterances"):
        build_loss(name)(emb.float(), labels)


@pytest.mark.parametrize("name", ["proto", "ge2e", "triplet"])
def test_one_class_is_refused(name):
    emb, labels = tiny_batch(num_classes=1, per_class=4)
    with pytest.raises(InputError, match="got 1 x 4"):
        build_loss(name)(emb.float(), labels)


@pytest.mark.parametrize("labels", [
    [0, 1, 0, 1, 2, 2],      # not class-major
    [0, 0, 1, 1, 1, 2],      # unequal M
    [0, 0, 1, 1, 0, 0],      # a class in two groups
])
def test_badly_laid_out_batch(labels):
    emb, _ = tiny_batch()
    with pytest.raises(InputError, match="class"):
        build_loss("ge2e")(emb.float(), torch.tensor(labels))


def test_bce_rejects_non_probabilities_and_labels():
    loss = build_loss("bce")
    with pytest.raises(InputError, match="probabilities"):
        loss(torch.tensor([0.2, 1.3]), torch.tensor([0, 1]))
    with pytest.raises(InputError, match="0/1|0 \\(impostor\\)"):
        loss(torch.tensor([0.2, 0.3]), torch.tensor([0, 2]))


@pytest.mark.parametrize("name", ["amsoftmax", "aamsoftmax", "sphereface", "normsoftmax"])
def test_margin_head_weights_stay_float32_for_half_precision_embeddings(name):
    loss = build_loss(name, embedding_dim=D, num_classes=C)
    emb, labels = tiny_batch()
    out = loss(emb.to(torch.bfloat16), labels)
    assert loss.head.W.dtype == torch.float32 and torch.isfinite(out.loss)


def test_sizes_must_be_positive_integers():
    with pytest.raises(InputError, match="embedding_dim"):
        build_loss("softmax", embedding_dim="512", num_classes=C)
