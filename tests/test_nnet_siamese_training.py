"""Siamese training from mined lists: pair/triplet crops, the double- and triple-branch
runs of metricvox-train, and trial scores straight from the double-branch network."""
import numpy as np
import pytest
import torch
import yaml

from conftest import assert_one_line_error, run_tool
from metricvox.data.trials import read_scores
from metricvox.errors import InputError
from metricvox.io import MatrixWriter
from metricvox.metrics import equal_error_rate
from metricvox.mining.lists import write_pairs, write_triplets
from metricvox.nnet.crop_sources import FeatureCrops
from metricvox.nnet.extraction import Embedder
from metricvox.nnet.mined_datasets import PairCropDataset, TripletCropDataset, collate_triplets
from metricvox.nnet.shuffled_sampler import ShuffledBatchSampler
from metricvox.nnet.training.loop import train

BINS, CROP = 8, 16   # the VGG encoder's smallest input keeps the runs fast
SMALL_VGG = {"freq_bins": BINS, "embedding_dim": 16, "hidden_dim": 32, "attention_dim": 16}
SPEAKERS, UTTS = 6, 6


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Features around one mean per speaker, pair and triplet lists drawn from the true speakers."""
    d = tmp_path_factory.mktemp("siamese")
    rng = np.random.default_rng(0)
    feats = {}
    for s in range(SPEAKERS):
        mean = 2.0 * rng.normal(size=BINS)
        for u in range(UTTS):
            feats[f"s{s}-u{u}"] = (mean + rng.normal(size=(30 + 5 * u, BINS))).astype(np.float32)
    with MatrixWriter(f"ark,scp:{d}/feats.ark,{d}/feats.scp") as writer:
        for key in sorted(feats):
            writer.write(key, feats[key])
    keys = sorted(feats)
    speaker = {k: k.split("-")[0] for k in keys}
    pairs, triplets = [], []
    for a in keys:
        clients = [k for k in keys if k != a and speaker[k] == speaker[a]]
        impostors = [k for k in keys if speaker[k] != speaker[a]]
        pairs += [(a, c, True) for c in clients[:2]]
        pairs += [(a, impostors[i], False) for i in rng.choice(len(impostors), 2, replace=False)]
        for c in clients[:3]:
            triplets.append((a, c, impostors[int(rng.integers(len(impostors)))]))
    write_pairs(d / "pairs", pairs)
    write_triplets(d / "triplets", triplets)
    trials = [f"{a} {b} {'target' if speaker[a] == speaker[b] else 'nontarget'}\n"
              for i, a in enumerate(keys) for b in keys[i + 1:]]
    (d / "trials").write_text("".join(trials))
    return d, feats


def test_pair_and_triplet_crops_are_windows_of_the_listed_utterances(corpus):
    d, feats = corpus
    source = FeatureCrops(d / "feats.scp", CROP)
    pairs = PairCropDataset(source, d / "pairs")
    first = pairs.entries[0]
    (anchor, other), label = pairs[(0, 5)]
    assert label == int(first.is_target)
    for crop, utt in ((anchor, first.enroll), (other, first.test)):
        full = feats[utt].T
        assert crop.shape == (BINS, CROP)
        assert any(np.array_equal(crop.numpy(), full[:, s:s + CROP]) for s in range(full.shape[1]))

    triplets = TripletCropDataset(source, d / "triplets")
    batch, labels = collate_triplets([triplets[(i, i)] for i in range(2)])
    assert batch.shape == (6, BINS, CROP) and labels.shape == (6,)
    # Rows go anchor, client, impostor, anchor, ...: row 4 is the second triplet's client.
    client = feats[triplets.entries[1].client].T
    assert any(np.array_equal(batch[4].numpy(), client[:, s:s + CROP])
               for s in range(client.shape[1]))


def test_a_list_naming_an_unknown_utterance_is_an_error_with_its_line(corpus, tmp_path):
    d, _ = corpus
    (tmp_path / "pairs").write_text("s0-u0 s0-u1 target\ns0-u0 nobody nontarget\n")
    with pytest.raises(InputError, match=r"pairs:2: utterance nobody is not in .*feats.scp"):
        PairCropDataset(FeatureCrops(d / "feats.scp", CROP), tmp_path / "pairs")


def test_shuffled_batches_cover_each_item_once_and_depend_on_seed_and_epoch():
    sampler = ShuffledBatchSampler(10, 3, seed=4)
    epoch0 = list(sampler)
    assert len(epoch0) == len(sampler) == 3
    indices = [i for batch in epoch0 for i, _ in batch]
    assert len(set(indices)) == 9
    assert list(ShuffledBatchSampler(10, 3, seed=4)) == epoch0
    sampler.set_epoch(1)
    assert list(sampler) != epoch0
    with pytest.raises(InputError, match="a batch needs 12 items but the list has only 10"):
        ShuffledBatchSampler(10, 12)


def _config(path, **changes):
    config = {"model": {"name": "siamese_pair", **SMALL_VGG}, "loss": {"name": "bce"},
              "input": {"source": "feats", "crop_frames": CROP},
              "optimiser": {"name": "adam", "lr": 0.002}, "epochs": 4}
    config.update(changes)
    path.write_text(yaml.safe_dump(config))
    return path


def test_double_branch_trains_on_pairs_and_scores_trials_through_its_head(corpus, tmp_path):
    d, feats = corpus
    config = _config(tmp_path / "pair.yaml",
                     sampler={"name": "pairs", "list": str(d / "pairs"), "batch_size": 16},
                     validation={"data": str(d), "metric": "eer", "trials": str(d / "trials")},
                     optimiser={"name": "adam", "lr": 0.001}, epochs=6)
    run_tool("metricvox-train", "--config", config, "--data", d, "--out", tmp_path / "exp",
             "--seed", "1", "--quiet")
    log = (tmp_path / "exp" / "train.log").read_text()
    assert "validation eer" in log and "accuracy" in log
    pairs = len((d / "pairs").read_text().splitlines())
    assert f"{pairs} mined pairs (no class labels" in log

    model = tmp_path / "exp" / "best.pt"
    run_tool(f"metricvox-extract --quiet --model {model} scp:{d}/feats.scp ark:- | "
             f"metricvox-score --quiet --backend siamese --model {model} --trials {d}/trials - "
             f"{tmp_path}/scores")
    scores = read_scores(tmp_path / "scores")
    # The reference: the whole network applied to both utterances' full features.
    network = Embedder.from_checkpoint(model, "cpu").model
    a, b = "s0-u0", "s3-u2"
    with torch.no_grad():
        probability = network(torch.from_numpy(feats[a].T[None]), torch.from_numpy(feats[b].T[None]))
    assert scores[(a, b)] == pytest.approx(torch.logit(probability).item(), abs=1e-4)
    # Trained on pairs of well separated speakers, it tells them apart.
    target = np.array([s for (x, y), s in scores.items() if x[:2] == y[:2]])
    nontarget = np.array([s for (x, y), s in scores.items() if x[:2] != y[:2]])
    eer, _ = equal_error_rate(target, nontarget)
    assert eer < 0.2


@pytest.fixture(scope="module")
def triplet_run(corpus, tmp_path_factory):
    """A triple-branch encoder trained on the triplets, and its embeddings of every utterance."""
    d, _ = corpus
    out = tmp_path_factory.mktemp("triplet")
    config = _config(out / "triplet.yaml", model={"name": "vgg_encoder", **SMALL_VGG},
                     loss={"name": "triplet", "margin": 0.8, "mining": "listed"},
                     sampler={"name": "triplets", "list": str(d / "triplets"), "batch_size": 8},
                     epochs=3)
    run_tool("metricvox-train", "--config", config, "--data", d, "--out", out / "exp", "--quiet")
    run_tool("metricvox-extract", "--quiet", "--model", out / "exp" / "last.pt",
             f"scp:{d}/feats.scp", f"ark:{out}/emb.ark")
    return out


def test_triple_branch_trains_on_listed_triplets(corpus, triplet_run, tmp_path):
    d, _ = corpus
    run_tool("metricvox-score", "--quiet", "--trials", d / "trials",
             f"ark:{triplet_run}/emb.ark", tmp_path / "scores")
    scores = read_scores(tmp_path / "scores")
    target = np.array([s for (x, y), s in scores.items() if x[:2] == y[:2]])
    nontarget = np.array([s for (x, y), s in scores.items() if x[:2] != y[:2]])
    assert equal_error_rate(target, nontarget)[0] < 0.2


@pytest.mark.parametrize("changes, message", [
    ({"model": {"name": "vgg_encoder", **SMALL_VGG}},
     "sampler 'pairs' trains a double-branch network: model siamese_pair with loss bce"),
    ({"sampler": {"classes_per_batch": 2, "per_class": 2}},
     "model siamese_pair with loss bce trains on mined pairs: set sampler.name to pairs"),
])
def test_a_sampler_that_does_not_fit_the_model_is_a_one_line_error(corpus, tmp_path, changes,
                                                                  message):
    d, _ = corpus
    (d / "utt2spk").write_text("".join(f"{k} {k[:2]}\n" for k in sorted(corpus[1])))
    base = {"sampler": {"name": "pairs", "list": str(d / "pairs"), "batch_size": 4}}
    config = _config(tmp_path / "bad.yaml", **{**base, **changes})
    proc = run_tool("metricvox-train", "--config", config, "--data", d, "--out", tmp_path / "x",
                    check=False)
    assert_one_line_error(proc, message)


def test_a_batch_of_more_pairs_than_the_list_has_names_the_key_to_lower(corpus, tmp_path):
    d, _ = corpus
    pairs = len((d / "pairs").read_text().splitlines())
    config = _config(tmp_path / "big.yaml",
                     sampler={"name": "pairs", "list": str(d / "pairs"), "batch_size": pairs + 1})
    with pytest.raises(InputError) as error:
        train(config, d, tmp_path / "x")
    assert str(error.value) == (f"{config}: config 'sampler.batch_size' is {pairs + 1}, but the "
                                f"training data have only {pairs} pairs in {d}/pairs: set it to "
                                f"{pairs} or fewer")
    assert not (tmp_path / "x").exists()


def test_siamese_backend_needs_a_siamese_checkpoint(corpus, triplet_run, tmp_path):
    d, _ = corpus
    proc = run_tool("metricvox-score", "--backend", "siamese", "--model",
                    triplet_run / "exp" / "last.pt", "--trials", d / "trials",
                    f"ark:{triplet_run}/emb.ark", tmp_path / "scores", check=False)
    assert_one_line_error(proc, "last.pt", "needs a siamese_pair model; the checkpoint holds vgg_encoder")
    assert not (tmp_path / "scores").exists()
    proc = run_tool("metricvox-score", "--backend", "siamese", "--trials", d / "trials",
                    f"ark:{triplet_run}/emb.ark", tmp_path / "scores", check=False)
    assert_one_line_error(proc, "--backend siamese needs --model")
