#!/usr/bin/env bash
# Device machine, diagnostic (makes no rows): each GPU kernel's duration over a few llama.cpp decode steps,
# read by Nsight Compute from the hardware (gpu__time_duration; kernels serialised, so the sum is the GPU's
# busy time per step without launch gaps). Needs the CUDA build (build_llamacpp.sh) and the files
# (llamacpp_served.sh gen). Usage: ncu_decode.sh "shape recipe" ...  -> $OUT/ncu-SHAPE-RECIPE.csv
# llama-bench -p 0 -n 4 -r 1: one warm-up token, then four; the load and warm-up kernels come first.
set -u
B=/tmp/lcpp/llama.cpp/build/bin
W=/tmp/gg
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU $($NCU --version | tail -1)" >> $OUT/ncu.log
for cur in "$@"; do
  f=$W/${cur% *}-${cur#* }.gguf
  [ -f $f.ok ] || { echo "=== $cur: no file" >> $OUT/ncu.log; continue; }
  echo "=== $cur $(date +%T)" >> $OUT/ncu.log
  timeout 200 $NCU --clock-control none --metrics gpu__time_duration.sum --csv --page raw \
    --launch-count 6000 $B/llama-bench -m $f -p 0 -n 4 -r 1 \
    > $OUT/ncu-${cur% *}-${cur#* }.csv 2>>$OUT/ncu.log
  echo "rc $? $(date +%T)" >> $OUT/ncu.log
done
