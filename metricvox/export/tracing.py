"""Tracing the extractor into a TorchScript graph, refusing what a graph cannot hold.

A trace records the tensor operations one example runs. Two things in a model
escape it: a Python ``torch.autograd.Function`` (recorded as an opaque Python
call no file format can store) and a Python decision on tensor values (frozen to
the example's outcome). The first is found in the graph and named; the second
shows when the traced graph is checked against the model (see ``exporting``),
and the tracer's warning tells where it is.
"""

import os
import warnings

import torch

from metricvox.errors import InputError

# The models' input checks compare sizes in Python: expected, harmless warnings.
_EXPECTED_WARNING_FILES = (os.path.join("nnet", "models", "features_input.py"),
                           os.path.join("nnet", "pooling.py"))


def python_ops(graph):
    """Names of the Python autograd Functions a traced graph calls (blocks included)."""
    names = []
    for node in graph.nodes():
        if node.kind() == "prim::PythonOp":
            names.append(node.pyname())
        for block in node.blocks():
            names += python_ops(block)
    return names


def trace_extractor(extractor, example):
    """(traced ScriptModule, frozen-value warnings as 'file:line (what)' texts)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            traced = torch.jit.trace(extractor, (example,), check_trace=False)
        except Exception as error:
            raise InputError(f"the model cannot be traced: {type(error).__name__}: "
                             f"{str(error).strip().splitlines()[0]}") from None
    unexportable = python_ops(traced.inlined_graph)
    if unexportable:
        raise InputError(f"the model cannot be exported: it calls the Python autograd Function "
                         f"{unexportable[0]}, an op no TorchScript or ONNX graph can hold")
    # "Converting a tensor to a Python float might cause the trace ...": its first words.
    frozen = [f"{os.path.basename(w.filename)}:{w.lineno} ({str(w.message).split(' might ')[0]})"
              for w in caught if issubclass(w.category, torch.jit.TracerWarning)
              and not w.filename.endswith(_EXPECTED_WARNING_FILES)]
    return traced, frozen
