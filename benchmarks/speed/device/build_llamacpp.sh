#!/usr/bin/env bash
# Device machine: unpack the trimmed llama.cpp source (ggml-org/llama.cpp@0c1e57098, vendored in the
# llama-cpp-python 0.3.36 sdist) and build it for sm_90 in the background (its own session, niced), so the
# build outlives this call while the machine is warm. Usage: build_llamacpp.sh [SOURCE.tgz]
#   lcpp-src.tgz  (2026-12-01): tools/ cut to llama-bench and batched-bench;
#   lcpp-src2.tgz (2026-12-02): also llama-server (tools/ cut to the benches, mtmd, ui and server; the web UI
#                 left out: LLAMA_USE_PREBUILT_UI=OFF embeds an empty asset table; models/, docs, tests and
#                 the non-CUDA/CPU ggml backends removed).
set -eu
SRC=${1:-.device-carry/lcpp/lcpp-src.tgz}
SERVER=OFF; TARGETS="llama-bench llama-batched-bench"
if tar tzf "$SRC" | grep -q tools/server/server.cpp; then SERVER=ON; TARGETS="$TARGETS llama-server"; fi
mkdir -p /tmp/lcpp && tar xzf $SRC -C /tmp/lcpp
cd /tmp/lcpp/llama.cpp
setsid nohup nice -n 19 bash -c "cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CUDA_NCCL=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=$SERVER -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_APP=OFF -DGGML_NATIVE=OFF \
  && ninja -C build -j 14 $TARGETS && touch /tmp/lcpp/BUILD_OK" > /tmp/lcpp/build.log 2>&1 < /dev/null &
sleep 5; tail -3 /tmp/lcpp/build.log; nproc; df -h /tmp /dev/shm | cat; free -g | head -2
