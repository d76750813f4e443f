"""Evaluation measures: verification error rates (EER, minDCF, DET)."""

from metricvox.metrics.error_rates import error_rates
from metricvox.metrics.eer import equal_error_rate
from metricvox.metrics.dcf import min_dcf

__all__ = ["error_rates", "equal_error_rate", "min_dcf"]
