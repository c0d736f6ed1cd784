#!/usr/bin/env bash
# The prepared GPU check: one short run on a machine with CUDA (e.g. the device tool's H100/H200).
# Installs the project into a fresh venv (the machine's own torch if it has one), then scores
# candidates in bf16 and fp32 and prints throughput and agreement as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv --system-site-packages /tmp/gpu-venv
/tmp/gpu-venv/bin/python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'" \
  || /tmp/gpu-venv/bin/pip install -q torch
/tmp/gpu-venv/bin/pip install -q -e . 2>&1 | tail -2
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
PYTHONUNBUFFERED=1 /tmp/gpu-venv/bin/python benchmarks/gpu_check.py --device cuda "$@"
