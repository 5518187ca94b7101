#!/usr/bin/env bash
# GPU check (one run, at most 8 minutes on one H100/H200): CUDA biLM checks, bench pretrain and classify,
# then the full profile's study rows (ELMo first). Needs AG News in $DATA (default devdata/news_classification)
# and, where gensim is missing, its wheels in .whl/. Writes its figures to $OUT (default benchmarks/records/gpu-<date>).
set -uo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-devdata/news_classification}"
OUT="${OUT:-benchmarks/records/gpu-$(date +%F)}"
mkdir -p "$OUT"
if ! python3 -c "import gensim" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
timeout 60 python3 -m elmo_lib bench pretrain --profile full --data-dir "$DATA" --budget 15 --json "$OUT/bench_pretrain.json" 2>&1 | grep -v "batch/s" | tail -4
# token-budget batches (16k tokens, lr scaled with the batch) against the same naive reference
timeout 60 python3 -m elmo_lib bench pretrain --profile full --data-dir "$DATA" --budget 15 --set pretrain.batch_tokens=16384 --json "$OUT/bench_pretrain_tokens.json" 2>&1 | grep -v "batch/s" | tail -4
timeout 340 python3 benchmarks/gpu_study.py --data-dir "$DATA" --out "$OUT" --profile full --budget 280 2>&1 | grep -v "batch/s\|it/s"
timeout 60 python3 -m elmo_lib bench classify --profile full --data-dir "$DATA" --artifacts /tmp/elmo-artifacts --json "$OUT/bench_classify.json" 2>&1 | grep -v "batch/s" | tail -4
