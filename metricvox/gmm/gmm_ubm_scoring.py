"""GMM-UBM verification scores: how much better a speaker's adapted GMM explains the test frames.

The score of a trial is the average over the test frames of the log-likelihood
ratio log p(x_t | speaker) - log p(x_t | UBM), where the speaker's GMM has the
MAP-adapted means and the UBM's weights and covariances. Higher means more
likely the same speaker.

With the adapted mean m_c + d_c and v_c = S_c^-1 d_c, a component's
log-likelihood is the UBM's plus an affine term,

    log w_c N(x; m_c + d_c, S_c) = log w_c N(x; m_c, S_c) + x . v_c - m_c . v_c - d_c . v_c / 2

so the UBM's component log-likelihoods are computed once per test utterance and
a trial costs one (frames x dims x components) product. With ``top_c`` > 0 only
the ``top_c`` best UBM components of each frame are kept, on both sides of the
ratio (Reynolds' fast scoring); 0 scores exactly.
"""

import logging
from collections import defaultdict, namedtuple

import numpy as np
from scipy.special import logsumexp

from metricvox.errors import InputError
from metricvox.gmm.frames import checked_frames

log = logging.getLogger(__name__)
_MODEL_CACHE_BYTES = 256 * 2 ** 20

# A test utterance's frames, its UBM component log-likelihoods (T, C) or (T, top_c), its
# frame log-likelihoods under the UBM and, with top_c, the components kept per frame.
_TestSide = namedtuple("_TestSide", "frames joint ubm_log_likelihood selected")


class GmmUbmScorer:
    """GMM-UBM scores against ``ubm``, exact or (``top_c`` > 0) over each frame's ``top_c``
    best UBM components."""

    def __init__(self, ubm, top_c=0):
        if top_c < 0:
            raise InputError(f"the number of top Gaussians must not be negative, got {top_c}")
        self.ubm = ubm
        self.top_c = top_c if 0 < top_c < ubm.num_components else 0
        if ubm.kind == "diag":
            self._precision = 1.0 / ubm.covars
        else:
            eye = np.broadcast_to(np.eye(ubm.dim), ubm.covars.shape)
            self._precision = np.linalg.solve(ubm.covars, eye)

    def test_side(self, frames):
        """What a test utterance's trials share: its frames, UBM likelihoods and selection."""
        joint = self.ubm.component_log_likelihoods(frames)
        selected = None
        if self.top_c:
            selected = np.argpartition(-joint, self.top_c - 1, axis=1)[:, :self.top_c]
            joint = np.take_along_axis(joint, selected, axis=1)
        return _TestSide(frames, joint, logsumexp(joint, axis=1), selected)

    def model_side(self, means):
        """What a model's trials share: the slope v_c and offset of its affine term."""
        delta = means - self.ubm.means
        if self.ubm.kind == "diag":
            slope = self._precision * delta
        else:
            slope = np.einsum("cde,ce->cd", self._precision, delta)
        return slope, (self.ubm.means * slope).sum(1) + 0.5 * (delta * slope).sum(1)

    def score(self, means, test, model=None):
        """Average log-likelihood ratio of ``test`` (a :meth:`test_side`) for adapted ``means``
        (``model``: their :meth:`model_side`, when already computed)."""
        slope, offset = model if model is not None else self.model_side(means)
        if test.selected is None:
            adapted = test.joint + test.frames @ slope.T - offset
        else:
            adapted = (test.joint + np.einsum("td,tkd->tk", test.frames, slope[test.selected])
                       - offset[test.selected])
        return float(np.mean(logsumexp(adapted, axis=1) - test.ubm_log_likelihood))

    def score_trials(self, trials, enroll_means, test_features, *, where=None, enroll_where=None,
                     test_where=None):
        """``[(enroll, test, score)]`` for every trial with a model and test features.

        ``enroll_means`` maps models to their adapted means (from table
        ``enroll_where``); ``test_features`` iterates ``(utterance, frames)`` (from
        ``test_where``) and is read once, each test utterance scored against all its
        models. Trials with a missing side are skipped and counted; if none can be
        scored it is an error naming the trial list ``where``.
        """
        trials_of = defaultdict(list)
        for trial in trials:
            trials_of[trial.test].append(trial)
        scores, models = {}, {}  # models: enrollments' model sides, reused across their trials
        model_bytes = 8 * self.ubm.means.size + 8 * self.ubm.num_components
        max_models = max(1, _MODEL_CACHE_BYTES // model_bytes)
        for utterance, frames in test_features:
            wanted = [t for t in trials_of.get(utterance, ()) if t.enroll in enroll_means]
            if not wanted:
                continue
            frames = checked_frames(frames, utterance, test_where, self.ubm.dim)
            if frames.shape[0] == 0:
                raise InputError(f"utterance '{utterance}': no frames to score", test_where)
            test = self.test_side(frames)
            for trial in wanted:
                if trial.enroll not in models:
                    means = _checked_means(enroll_means[trial.enroll], trial.enroll, self.ubm,
                                            enroll_where)
                    if len(models) >= max_models:  # bounded memory: forget the oldest model
                        del models[next(iter(models))]
                    models[trial.enroll] = self.model_side(means)
                scores[trial.enroll, trial.test] = self.score(None, test, models[trial.enroll])
        scored = [(t.enroll, t.test, scores[t.enroll, t.test]) for t in trials
                  if (t.enroll, t.test) in scores]
        if not scored:
            first = trials[0] if trials else None
            detail = f" (first: '{first.enroll} {first.test}')" if first else ""
            raise InputError(f"none of the {len(trials)} trials has both a model and test "
                             f"features{detail}", where)
        if len(scored) < len(trials):
            skipped = next(t for t in trials if (t.enroll, t.test) not in scores)
            log.warning("%d of %d trials lack a model or test features and were not scored "
                        "(first: '%s %s')", len(trials) - len(scored), len(trials), skipped.enroll,
                        skipped.test)
        return scored


def llr_score(ubm, means, frames, top_c=0):
    """The GMM-UBM score of one trial: adapted ``means`` (C, D) against test ``frames`` (T, D)."""
    scorer = GmmUbmScorer(ubm, top_c)
    return scorer.score(means, scorer.test_side(np.asarray(frames, dtype=np.float64)))


def score_trials(trials, ubm, enroll_means, test_features, *, top_c=0, where=None,
                 enroll_where=None, test_where=None):
    """:meth:`GmmUbmScorer.score_trials` with UBM ``ubm`` and ``top_c``."""
    return GmmUbmScorer(ubm, top_c).score_trials(trials, enroll_means, test_features, where=where,
                                                 enroll_where=enroll_where, test_where=test_where)


def _checked_means(means, model, ubm, where):
    means = np.asarray(means, dtype=np.float64)
    if means.shape != ubm.means.shape:
        raise InputError(f"model '{model}': adapted means of shape {means.shape}, but the UBM's "
                         f"are {ubm.means.shape}", where)
    if not np.isfinite(means).all():
        raise InputError(f"model '{model}': adapted means contain NaN or infinite values", where)
    return means
