"""The scoring back ends of this layer by name, as the tools' ``--backend`` chooses them.

Each entry says what its two inputs (the enrollment and the test rspecifier) hold,
builds its scorer from the tools' options (:class:`ScoringOptions`; a model file is
loaded then, before any input is read) and scores a trial list with it:

- ``cosine`` and ``euclidean``: embeddings on both sides, no model;
- ``plda``: embeddings, and the file metricvox-train-plda wrote as ``model``;
- ``gmm-ubm`` (:data:`GMM_UBM`): MAP-adapted means on the enrollment side, feature
  matrices on the test side, and the UBM they were adapted from as ``ubm``.

The embedding back ends' scorers share the methods of
:class:`metricvox.backend.similarity.SimilarityScorer`, so trial scoring and score
normalisation work with any of them. The back end that scores through a Siamese
network's own head sits with the networks, a layer below this one, which never imports
them: :mod:`metricvox.scoring_backends` adds it for the tools.
"""

from collections import namedtuple

from metricvox.backend.plda_backend import PldaBackend
from metricvox.backend.similarity import METRICS, SimilarityScorer
from metricvox.backend.trial_scoring import score_trials
from metricvox.errors import InputError
from metricvox.gmm.gmm_ubm_scoring import GmmUbmScorer
from metricvox.gmm.model import Gmm
from metricvox.io import read_matrices, read_matrix_dict

# The tools' options a back end is built from: a model file, the torch device of a
# network, a GMM-UBM's UBM and its number of top Gaussians per frame.
ScoringOptions = namedtuple("ScoringOptions", "model device ubm top_gaussians",
                            defaults=(None, "cpu", None, 0))


class EmbeddingBackend:
    """Embeddings on both sides of a trial (one table may hold both sides), scored by
    :func:`metricvox.backend.trial_scoring.score_trials` with the scorer that
    ``make_scorer(options)`` builds."""

    own_options = ()  # options that only this back end takes, and needs

    def __init__(self, make_scorer):
        self.make_scorer = make_scorer

    def input_problem(self, num_inputs, enroll_map):
        """Why the tool's inputs do not suit this back end, or None: one or two tables
        and an enrollment map all do."""
        return None

    def score(self, scorer, trials, enroll_rspecifier, test_rspecifier=None, *, enroll_map=None,
              average="embedding", where=None):
        """``[(enroll, test, score)]`` of ``trials`` (read from ``where``); without
        ``test_rspecifier`` both sides come from the enrollment table."""
        enroll = read_matrix_dict(enroll_rspecifier)
        test = enroll if test_rspecifier is None else read_matrix_dict(test_rspecifier)
        return score_trials(trials, enroll, test, metric=scorer, average=average,
                            enroll_map=enroll_map, where=where)


def _similarity_backend(metric):
    return EmbeddingBackend(lambda _options: SimilarityScorer(metric))


def _plda_scorer(options):
    if options.model is None:
        raise InputError("--backend plda needs --model (a file from metricvox-train-plda)")
    return PldaBackend.load(options.model)


EMBEDDING_BACKENDS = {**{metric: _similarity_backend(metric) for metric in METRICS},
                      "plda": EmbeddingBackend(_plda_scorer)}


class GmmUbmBackend:
    """Two different inputs: the MAP-adapted means of each enrollment model (from
    metricvox-map-adapt, read whole) and the test utterances' feature matrices (streamed
    once), scored by :meth:`metricvox.gmm.gmm_ubm_scoring.GmmUbmScorer.score_trials`."""

    own_options = ("ubm",)

    def make_scorer(self, options):
        return GmmUbmScorer(Gmm.load(options.ubm), options.top_gaussians)

    def input_problem(self, num_inputs, enroll_map):
        # A model's utterances were pooled when its means were adapted.
        if num_inputs != 2 or enroll_map:
            return ("--backend gmm-ubm takes MEANS_RSPECIFIER TEST_FEATS_RSPECIFIER SCORES and no "
                    "--enroll-map (give it to metricvox-map-adapt)")
        return None

    def score(self, scorer, trials, means_rspecifier, feats_rspecifier, *, enroll_map=None,
              average=None, where=None):
        """``[(enroll, test, score)]`` of ``trials`` (read from ``where``). ``enroll_map``
        and ``average`` do not apply (:meth:`input_problem` turns a map away)."""
        return scorer.score_trials(trials, read_matrix_dict(means_rspecifier),
                                   read_matrices(feats_rspecifier), where=where,
                                   enroll_where=means_rspecifier, test_where=feats_rspecifier)


GMM_UBM = GmmUbmBackend()
