"""Evaluation protocols and reports built on metricvox.metrics."""
