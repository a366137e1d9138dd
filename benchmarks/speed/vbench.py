"""Measure vLLM decode and prefill speed on the device machine (vLLM 0.26.0, one H200), dummy weights.

Runs on the device machine, after ../shared/tools/vllm-on-device/ has installed vLLM into /tmp/site.
A group ("a+b+c") starts its cases as separate processes at once (their start-up, torch.compile and
CUDA-graph capture overlap), waits until every one is ready, then lets them measure ONE AT A TIME
(the others sit idle: no GPU work) and exit. So start-up is shared and the timings are not.

Each case: LLM(model=DIR, load_format="dummy", skip_tokenizer_init=True, enable_prefix_caching=False,
max_num_seqs=64, kv_cache_memory_bytes=..., **kwargs) and then, with a fresh prompt for every request
(no prefix reuse):
  ttft_P_s            one request of P prompt tokens, 1 output token (best of 2)   P in 512, 2048, min(7680, max_model_len - 512)
  decode_bs1_pP_tok_s 256 / (time(P prompt, 257 out) - time(P prompt, 1 out))       P in 512 and the long one
                      (VB_REPEATS=3: after one untimed 257-token decode, the median of 3; ttft best of 3)
  decode_bsB_tok_s    B * 128 / (time(B x 512 prompt, 129 out) - time(B x 512, 1 out))  aggregate, B in 8, 32, 64
Long-context mode (the case's env VB_CONTEXTS="16384,65536", VB_BATCH_AT="8x16384"), instead of the above:
  ttft_P_s and decode_bs1_pP_tok_s (median of VB_REPEATS) for each P of VB_CONTEXTS; decode_bsB_pP_tok_s,
  B * 128 / (time(B x P prompt, 129 out) - time(B x P, 1 out)), for each BxP of VB_BATCH_AT (the median of
  VB_REPEATS such pairs from 2026-12-02's seventh session; one pair before).
Writes WORKDIR/<case>.log and WORKDIR/results.jsonl (one line per case); with VB_OUT set, copies
results.jsonl there and tars the logs there after each case.
Usage: PYTHONPATH=/tmp/site python3 vbench.py WORKDIR CASES.json GROUP [GROUP ...]
"""
import json, os, re, subprocess, sys, time

CHILD = r"""
import json, os, sys, time
path, kw, ready, go = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
from vllm import LLM, SamplingParams
from vllm.inputs import TokensPrompt
kw.setdefault("max_num_seqs", 64)
kw.setdefault("max_model_len", 8192)
t0 = time.time()
llm = LLM(model=path, load_format="dummy", skip_tokenizer_init=True, seed=0, enable_prefix_caching=False, **kw)
init_s = time.time() - t0
open(ready, "w").write("1")
print("VBENCH_READY", flush=True)
while not os.path.exists(go):
    time.sleep(0.1)
print("VBENCH_GO", flush=True)
seq = [0]
def prompts(n, plen):
    out = []
    for _ in range(n):
        seq[0] += 1
        b = seq[0] * 7919
        out.append(TokensPrompt(prompt_token_ids=[100 + (b + j * 31) % 20000 for j in range(plen)]))
    return out
def gen(n, plen, outlen):
    sp = SamplingParams(max_tokens=outlen, min_tokens=outlen, ignore_eos=True, detokenize=False, temperature=0)
    p = prompts(n, plen)
    t = time.perf_counter(); llm.generate(p, sp, use_tqdm=False); return time.perf_counter() - t
res = {"init_s": round(init_s, 1)}
med = lambda v: sorted(v)[len(v) // 2]
REPEATS = int(os.environ.get("VB_REPEATS", "1"))   # 3 from 2026-12-02 (a first timed decode could stall once)
CONTEXTS = [int(c) for c in os.environ.get("VB_CONTEXTS", "").split(",") if c]
if CONTEXTS:                                         # long-context mode: decode where KV reads rule the step
    gen(1, 64, 16); gen(1, 512, 257)
    for P in CONTEXTS:
        t1 = min(gen(1, P, 1) for _ in range(2))
        res[f"ttft_{P}_s"] = round(t1, 4)
        runs = [round(256 / (gen(1, P, 257) - t1), 1) for _ in range(REPEATS)]
        res[f"decode_bs1_p{P}_tok_s"], res[f"decode_bs1_p{P}_runs"] = med(runs), runs
    for B, P in (map(int, bp.split("x")) for bp in os.environ.get("VB_BATCH_AT", "").split(",") if bp):
        gen(B, P, 4)
        # each repeat times its own pair: one pass of a batched point moved 2.3x between two machines (8 x 4K)
        def pair():
            t1 = gen(B, P, 1)
            return round(B * 128 / (gen(B, P, 129) - t1), 1)
        runs = [pair() for _ in range(REPEATS)]
        res[f"decode_bs{B}_p{P}_tok_s"], res[f"decode_bs{B}_p{P}_runs"] = med(runs), runs
    print("VBENCH_RESULT " + json.dumps(res), flush=True)
    sys.exit(0)
LONG = min(7680, kw["max_model_len"] - 512)
gen(1, 64, 16); gen(8, 512, 16); gen(1, LONG, 2)
if REPEATS > 1:
    gen(1, 512, 257)                                  # a whole timed-length decode before any timing
for P in (512, 2048, LONG):
    res[f"ttft_{P}_s"] = round(min(gen(1, P, 1) for _ in range(max(2, REPEATS))), 4)
for P in (512, LONG):
    t1 = min(gen(1, P, 1) for _ in range(2))
    runs = [round(256 / (gen(1, P, 257) - t1), 1) for _ in range(REPEATS)]
    res[f"decode_bs1_p{P}_tok_s"] = med(runs)
    if REPEATS > 1:
        res[f"decode_bs1_p{P}_runs"] = runs
for B in (8, 32, 64):
    gen(B, 512, 4)  # warm this batch size first (Triton JIT of untuned fused-MoE configs; added after the 2026-12-01 runs)
    t1 = gen(B, 512, 1)
    res[f"decode_bs{B}_tok_s"] = round(B * 128 / (gen(B, 512, 129) - t1), 1)
print("VBENCH_RESULT " + json.dumps(res), flush=True)
"""

PATTERNS = {
    "model_loading_gib": r"Model loading took ([\d.]+) GiB",
    "kv_tokens": r"GPU KV cache size: ([\d,]+) tokens",
    "graph_s": r"Graph capturing finished in ([\d.]+) secs?",
    "compile_s": r"torch.compile took ([\d.]+) s",
}


def parse(log):
    out = {}
    for k, pat in PATTERNS.items():
        m = re.findall(pat, log)
        if m:
            try:
                out[k] = float(m[-1].replace(",", ""))
            except ValueError:
                pass
    return out


def kill(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, 9)
        except ProcessLookupError:
            pass
    p.wait()


def run_group(out, cases, ids, env):
    procs, files = {}, {}
    for cid in ids:
        c = cases[cid]
        ready, go = f"{out}/{cid}.ready", f"{out}/{cid}.go"
        for f in (ready, go):
            if os.path.exists(f):
                os.remove(f)
        fh = open(f"{out}/{cid}.log", "w")
        cenv = dict(env, **{k: str(v) for k, v in c.get("env", {}).items()})
        procs[cid] = subprocess.Popen([sys.executable, "-c", CHILD, c["model"], json.dumps(c.get("kwargs", {})), ready, go],
                                      stdout=fh, stderr=subprocess.STDOUT, env=cenv, start_new_session=True)
        files[cid] = (fh, ready, go, time.time())
    deadline = time.time() + float(os.environ.get("VB_INIT_TIMEOUT", "300"))
    while time.time() < deadline:
        if all(os.path.exists(files[c][1]) or procs[c].poll() is not None for c in ids):
            break
        time.sleep(0.5)
    for cid in ids:
        fh, ready, go, t = files[cid]
        if os.path.exists(ready) and procs[cid].poll() is None:
            open(go, "w").write("1")
            try:
                procs[cid].wait(timeout=float(os.environ.get("VB_MEASURE_TIMEOUT", "180")))
            except subprocess.TimeoutExpired:
                pass
        kill(procs[cid])
        fh.close()
        log = open(f"{out}/{cid}.log", errors="replace").read()
        rec = {"case": cid, "group": "+".join(ids), "model": cases[cid]["model"], "kwargs": cases[cid].get("kwargs", {}),
               "rc": procs[cid].returncode, "wall_s": round(time.time() - t, 1), **parse(log)}
        m = re.search(r"VBENCH_RESULT (\{.*\})", log)
        if m:
            rec.update(json.loads(m.group(1)))
        else:
            rec["tail"] = [l for l in log.splitlines() if "Error" in l or "error" in l][-4:]
        with open(f"{out}/results.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)
        save(out)


def save(out):
    """Copy the results and logs to VB_OUT after every case: a call cut short still returns what it measured."""
    dest = os.environ.get("VB_OUT")
    if dest:
        subprocess.run(["cp", f"{out}/results.jsonl", f"{dest}/vllm-results.jsonl"])
        subprocess.run(f"tar czf {dest}/vllm-logs.tgz -C {out} $(cd {out} && ls *.log)", shell=True)


def main():
    out, cases = sys.argv[1], json.load(open(sys.argv[2]))
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, VLLM_NO_USAGE_STATS="1", DO_NOT_TRACK="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               VLLM_USE_FLASHINFER_SAMPLER="0", VLLM_LOGGING_LEVEL=os.environ.get("VLLM_LOGGING_LEVEL", "INFO"),
               PYTHONUNBUFFERED="1")
    for group in sys.argv[3:]:
        ids = [c for c in group.split("+") if c in cases]
        t = time.time()
        run_group(out, cases, ids, env)
        print(f"group {group} took {time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
