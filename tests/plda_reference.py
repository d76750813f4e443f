"""The two-covariance PLDA log-likelihood ratio from its definition, for tests to check
metricvox's closed forms against: the log ratio of the joint Gaussian density of an
enrollment mean and a test vector under "same speaker" to that under "different"."""
import numpy as np
from scipy.stats import multivariate_normal


def joint_log_ratio(mean, between, within, enroll_mean, n, test):
    """log p([e; t] | same) - log p([e; t] | different), e the mean of n enrollment vectors
    of a speaker y ~ N(0, between) plus noise N(0, within) each, t one vector."""
    enroll_cov = between + within / n
    test_cov = between + within
    same = np.block([[enroll_cov, between], [between, test_cov]])
    different = np.block([[enroll_cov, np.zeros_like(between)], [np.zeros_like(between), test_cov]])
    point = np.concatenate([enroll_mean, test])
    centre = np.concatenate([mean, mean])
    return (multivariate_normal(centre, same).logpdf(point)
            - multivariate_normal(centre, different).logpdf(point))
