"""The scoring back ends by name, as the tools' ``--backend`` and ``--model`` choose them.

``cosine`` and ``euclidean`` need no model; ``plda`` needs the file written by
metricvox-train-plda; ``siamese`` the checkpoint of a double-branch Siamese network
(:mod:`metricvox.nnet.siamese_head_scoring`), run on ``device``. Every back end has the same two methods (see
:class:`metricvox.backend.similarity.SimilarityScorer`), so trial scoring and score
normalisation work with any of them.
"""

from metricvox.backend.plda_backend import PldaBackend
from metricvox.backend.similarity import METRICS, SimilarityScorer
from metricvox.errors import InputError

BACKENDS = METRICS + ("plda", "siamese")


def make_scorer(backend, model=None, device="cpu"):
    """The scorer named ``backend`` (a name, or already a scorer), loading ``model`` if needed."""
    if not isinstance(backend, str):
        return backend
    if backend == "plda":
        if model is None:
            raise InputError("--backend plda needs --model (a file from metricvox-train-plda)")
        return PldaBackend.load(model)
    if backend == "siamese":
        from metricvox.nnet.siamese_head_scoring import SiameseScorer  # torch only when needed
        return SiameseScorer.from_checkpoint(model, device)
    if backend in METRICS:
        return SimilarityScorer(backend)
    raise InputError(f"unknown back end {backend!r}; choose from {', '.join(BACKENDS)}")
