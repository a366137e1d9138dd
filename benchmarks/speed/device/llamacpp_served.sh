#!/usr/bin/env bash
# Device machine: served decode beside bare decode, per GGUF (random weights, real shapes; make_gguf.py).
#   llamacpp_served.sh gen "shape recipe" ...   write the files (in its own session, so it outlives the call)
#   llamacpp_served.sh run "shape recipe" ...   per file, one at a time and nothing else running:
#       llama-bench -p 512 -n 128 -r 3 -o jsonl                       -> $OUT/lcpp-bench.jsonl
#       llama-server -ngl 99 -c 4096 (defaults otherwise) and served_bench.py -> $OUT/lcpp-served.jsonl
#   llamacpp_served.sh par "shape recipe" ...   per file: llama-server -np 8 -c 8192, 4 and 8 requests at once
#   LB_TAG=t LB_ARGS="..." [LB_ENV="VAR=1"] llamacpp_served.sh bench "shape recipe" ...
#       per file: env $LB_ENV llama-bench $LB_ARGS -o jsonl -> $OUT/lcpp-bench.jsonl, case "t shape recipe"
# The server's log and llama-bench's stderr go to $OUT/lcpp.log.
set -u
B=/tmp/lcpp/llama.cpp/build/bin
W=/tmp/gg; mkdir -p $W
export PYTHONPATH=/tmp/lcpp/llama.cpp/gguf-py
mode=$1; shift
if [ "$mode" = gen ]; then
  setsid nohup nice -n 19 bash -c 'for c in "$@"; do f='$W'/${c% *}-${c#* }.gguf; [ -f $f.ok ] || \
    { python3 benchmarks/speed/make_gguf.py $f $c && touch $f.ok; }; done; touch '$W'/GEN_DONE' \
    gen "$@" > $W/gen.log 2>&1 < /dev/null &
  exit 0
fi
for i in $(seq 1 100); do [ -f $W/GEN_DONE ] && break; sleep 3; done
cat $W/gen.log >> $OUT/lcpp.log
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem,memory.total --format=csv >> $OUT/lcpp.log
lscpu | grep -i "model name\|^CPU(s)\|MHz" >> $OUT/lcpp.log
for cur in "$@"; do
  f=$W/${cur% *}-${cur#* }.gguf
  [ -f $f.ok ] || { echo "=== $cur: no file" >> $OUT/lcpp.log; continue; }
  echo "=== $mode $cur $(date +%T)" >> $OUT/lcpp.log
  if [ $mode = bench ]; then
    echo "\$ ${LB_ENV:-} llama-bench -m $f $LB_ARGS -o jsonl" >> $OUT/lcpp.log
    env ${LB_ENV:-} $B/llama-bench -m $f $LB_ARGS -o jsonl 2>>$OUT/lcpp.log | sed "s|^|{\"case\": \"$LB_TAG $cur\", \"r\": |; s|$|}|" >> $OUT/lcpp-bench.jsonl
    continue
  fi
  if [ $mode = run ]; then
    echo "\$ llama-bench -m $f -p 512 -n 128 -r 3 -o jsonl" >> $OUT/lcpp.log
    $B/llama-bench -m $f -p 512 -n 128 -r 3 -o jsonl 2>>$OUT/lcpp.log | sed "s|^|{\"case\": \"$cur\", \"r\": |; s|$|}|" >> $OUT/lcpp-bench.jsonl
    srv_args="-c 4096"; client_args=""; tag="$cur"
  else
    srv_args="-np 8 -c 8192"; client_args="parallel=4,8"; tag="par $cur"
  fi
  echo "\$ llama-server -m $f -ngl 99 $srv_args --port 8089 --no-webui" >> $OUT/lcpp.log
  $B/llama-server -m $f -ngl 99 $srv_args --port 8089 --no-webui >> $OUT/lcpp.log 2>&1 &
  srv=$!
  python3 benchmarks/speed/device/served_bench.py http://127.0.0.1:8089 "$tag" $client_args >> $OUT/lcpp-served.jsonl 2>>$OUT/lcpp.log
  kill $srv; wait $srv
done
echo "=== done $(date +%T)" >> $OUT/lcpp.log
