"""metricvox: deep metric learning on audio, built the way Kaldi recipes are built."""

__version__ = "0.1.0"
