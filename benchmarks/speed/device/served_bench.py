"""Served decode speed of a running llama-server: what a user of the server sees per generated token
(sampling on the CPU over the whole vocabulary, detokenization, the server loop), beside llama-bench's
bare decode of the same file (llama-bench samples nothing: its README, PR 16823).

Waits for /health, sends one untimed request, then per mode three requests of N_PREDICT tokens
(ignore_eos, no prompt cache) and prints one JSON line per request with the server's own timings
(`timings.predicted_per_second` = generated tokens over the generation's wall time, server-context.cpp).
Modes: `default` (the server's default sampler chain), `greedy` (temperature 0), `stream` (default
sampling, streamed as server-sent events, the way chat front-ends ask).

With a third argument `parallel=4,8`: per N, N requests at once (default sampling), three times; each
request's line carries `parallel` (a slot's tokens/s while N decode together: N times it is the aggregate).

Usage: python3 served_bench.py URL CASE [parallel=N,..]      (stdlib only; run on the device machine)
"""
from __future__ import annotations

import json
import sys
import time
import urllib.request

N_PREDICT = 128
REPEATS = 3
PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
MODES = {"default": {}, "greedy": {"temperature": 0.0}, "stream": {"stream": True}}


def post(url: str, body: dict, timeout: float = 120) -> tuple[dict, float]:
    req = urllib.request.Request(url + "/completion", json.dumps(body).encode(), {"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        if not body.get("stream"):
            out = json.loads(resp.read())
        else:
            out = {}
            for line in resp:
                line = line.strip()
                if line.startswith(b"data: ") and line != b"data: [DONE]":
                    out = json.loads(line[6:])      # the last event carries the timings
    return out, time.perf_counter() - t0


def wait_healthy(url: str, limit: float = 180) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server at {url} not healthy after {limit:.0f} s")


def record(case: str, mode: str, rep: int, ready: float, out: dict, wall: float, **extra) -> str:
    t = out.get("timings", {})
    return json.dumps({"case": case, "mode": mode, "rep": rep, "ready_s": round(ready, 1), **extra,
                       "predicted_n": t.get("predicted_n"), "predicted_ms": t.get("predicted_ms"),
                       "predicted_per_second": t.get("predicted_per_second"),
                       "prompt_n": t.get("prompt_n"), "prompt_ms": t.get("prompt_ms"), "client_wall_s": round(wall, 4)})


def main(url: str, case: str, parallel: list[int]) -> None:
    from concurrent.futures import ThreadPoolExecutor
    ready = wait_healthy(url)
    base = {"prompt": PROMPT, "n_predict": N_PREDICT, "ignore_eos": True, "cache_prompt": False}
    post(url, dict(base, seed=0))                               # warm-up, untimed
    for n in parallel:
        for i in range(REPEATS):
            with ThreadPoolExecutor(n) as pool:
                done = list(pool.map(lambda k: post(url, dict(base, seed=100 * i + k)), range(n)))
            for out, wall in done:
                print(record(case, "default", i, ready, out, wall, parallel=n), flush=True)
    for mode, extra in ({} if parallel else MODES).items():
        for i in range(REPEATS):
            out, wall = post(url, dict(base, seed=i + 1, **extra))
            print(record(case, mode, i, ready, out, wall), flush=True)


if __name__ == "__main__":
    par = [int(v) for v in sys.argv[3].split("=")[1].split(",")] if len(sys.argv) > 3 else []
    main(sys.argv[1], sys.argv[2], par)
