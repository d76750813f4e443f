"""Every scoring back end the tools offer by name (``--backend``), and their usage rules.

The back-end layer's own (:mod:`metricvox.backend.backends`), and ``siamese``: trials
scored through the head of a double-branch Siamese network
(:mod:`metricvox.nnet.siamese_head_scoring`), its checkpoint given as ``model`` and run
on ``device``. The networks sit in a layer below the back ends, which never import
them, so the two are put together here, for the tools; torch is imported only when
``siamese`` is chosen.
"""

from metricvox.backend.backends import EMBEDDING_BACKENDS as LAYER_EMBEDDING_BACKENDS
from metricvox.backend.backends import GMM_UBM, EmbeddingBackend


def _siamese_scorer(options):
    from metricvox.nnet.siamese_head_scoring import SiameseScorer  # torch only when chosen
    return SiameseScorer.from_checkpoint(options.model, options.device)


EMBEDDING_BACKENDS = {**LAYER_EMBEDDING_BACKENDS, "siamese": EmbeddingBackend(_siamese_scorer)}
BACKENDS = {**EMBEDDING_BACKENDS, "gmm-ubm": GMM_UBM}


def usage_problem(name, options, num_inputs, enroll_map):
    """Why back end ``name`` cannot take these ``options`` (a ScoringOptions), ``num_inputs``
    rspecifiers and enrollment map (a usage error for the tool to report), or None."""
    for other, backend in BACKENDS.items():
        for option in backend.own_options:
            if (other == name) != (getattr(options, option) is not None):
                return f"--backend {other} and --{option} go together"
    return BACKENDS[name].input_problem(num_inputs, enroll_map)
