"""The back-end layer never imports the networks: in DESIGN.md's layer table data flows
top to bottom, and metricvox.nnet (below) imports metricvox.backend for validation."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

BACKEND = REPO / "metricvox" / "backend"

# Imports every module of metricvox.backend in a fresh interpreter, then reports which
# modules of the package and of metricvox.nnet ended up loaded.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import metricvox.backend
for module in pkgutil.iter_modules(metricvox.backend.__path__, "metricvox.backend."):
    importlib.import_module(module.name)
print(json.dumps({
    "package": metricvox.backend.__path__[0],
    "backend": sorted(n for n in sys.modules if n.startswith("metricvox.backend.")),
    "nnet": sorted(n for n in sys.modules if n == "metricvox.nnet" or n.startswith("metricvox.nnet.")),
}))
"""


def test_importing_every_backend_module_loads_no_network_module():
    proc = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert Path(loaded["package"]) == BACKEND
    modules = {f"metricvox.backend.{path.stem}" for path in BACKEND.glob("*.py")
               if path.stem != "__init__"}
    assert modules and modules <= set(loaded["backend"])
    assert loaded["nnet"] == []


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_no_backend_module_imports_the_networks_even_inside_a_function():
    offending = [f"{path.name}: {module}" for path in sorted(BACKEND.glob("*.py"))
                 for module in _imported_modules(path)
                 if module == "metricvox.nnet" or module.startswith("metricvox.nnet.")]
    assert offending == []
