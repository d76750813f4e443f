"""Exported extractors: a checkpoint's utterance-mode embedding extractor as one graph.

front_end (the feature types as tensor ops), extractor (front end + short-utterance
policy + mean norm + model), metadata (the settings stored with the graph), tracing,
writers (TorchScript and ONNX bytes), exporting (checkpoint -> checked file), loader
(model files told apart by content; running an export), extraction (metricvox-extract
on an export).
"""
