#!/usr/bin/env bash
# Device machine: write each GGUF (random weights, real shapes; make_gguf.py), run llama-bench
# (pp512 and tg128 at depth 0 and 8192, 2 repetitions) and llama-batched-bench (512 prompt, 128 out,
# 1/8/32 parallel sequences), delete it. The next file is written while the current one is measured.
# Usage: llamacpp_bench.sh "shape recipe" ...   (results appended under $OUT)
set -u
B=/tmp/lcpp/llama.cpp/build/bin
W=/tmp/gg; mkdir -p $W
export PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem,memory.total --format=csv >> $OUT/lcpp.log
gen() { nice -n 10 python3 benchmarks/speed/make_gguf.py $W/$1-$2.gguf $1 $2 >> $OUT/lcpp.log 2>&1; }
set -- "$@"
gen $1 &
while [ $# -gt 0 ]; do
  wait
  cur="$1"; shift
  [ $# -gt 0 ] && gen $1 &
  f=$W/${cur% *}-${cur#* }.gguf
  echo "=== $cur $(date +%T)" >> $OUT/lcpp.log
  echo "\$ llama-bench -m $f -p 512 -n 128 -d 0,8192 -r 2 -o jsonl" >> $OUT/lcpp.log
  $B/llama-bench -m $f -p 512 -n 128 -d 0,8192 -r 2 -o jsonl 2>>$OUT/lcpp.log | sed "s|^|{\"case\": \"$cur\", \"r\": |; s|$|}|" >> $OUT/lcpp-bench.jsonl
  echo "\$ llama-batched-bench -m $f -c 24576 -b 2048 -ub 512 -npp 512 -ntg 128 -npl 1,8,32 -ngl 99" >> $OUT/lcpp.log
  $B/llama-batched-bench -m $f -c 24576 -b 2048 -ub 512 -npp 512 -ntg 128 -npl 1,8,32 -ngl 99 2>&1 | grep -v "^llama_model_loader: - \|^load: \|^print_info: \|^llama_context: \|^llama_kv_cache: \|^load_tensors: " >> $OUT/lcpp.log
  rm -f $f
done
wait
echo "=== done $(date +%T)" >> $OUT/lcpp.log
