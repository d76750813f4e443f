"""metricvox: deep metric learning on audio, built the way Kaldi recipes are built."""

__version__ = "0.1.0"

# The Python API's names (metricvox.api), imported on first use so that the tools,
# which import metricvox, do not pay for torch and the back ends unless they use them.
_API_NAMES = ("load_model", "Model", "Verification", "LowSampleRateWarning")


def __getattr__(name):
    if name in _API_NAMES:
        from metricvox import api
        return getattr(api, name)
    raise AttributeError(f"module 'metricvox' has no attribute {name!r}")
