"""Fuzzing llmdoctor's inputs: launch commands, config.json files, machine recordings, engine logs,
rule and config TOML files, chat templates. Each input runs through the real command line in this
process; what counts is that it ends with exit 0, 1 or 2 within a time bound, never 3 (our bug).

    python -m llmdoctor.app.fuzz --kinds all --per-kind 100000 [--seed 1] [--out report.json]

prints, per kind: inputs run, crashes by site (exception type and the innermost llmdoctor frame),
the slowest input, the peak memory of the kind's processes and the input that raised it most
(an input that raises it by over 1 GiB counts as a crash). The test suite runs a small campaign
(tests/fuzz/) with hypothesis; this command is the long one.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
MODEL = FIXTURES / "models" / "Qwen--Qwen3-8B"
TIME_BOUND = 20.0                      # seconds one input may take
MEMORY_BOUND_MIB = 1024                # how far one input may raise the process's peak memory
PROGRESS_EVERY = 5000

NUMBERS = ["0", "-1", "1", "2", "7", "4096", "65536", "1e400", "-1e400", "inf", "-inf", "nan", "NaN", "1e-300",
           "9" * 400, "-" + "9" * 40, "0.5", "1.5", "90", "-0.2", "2147483648", "18446744073709551616", "abc", "",
           "1k", "4k", "1M", "0x10", "1_000", " 12", "12abc", "True", "None", "[]", "{}", "[" * 3000 + "]" * 3000,
           '{"method": "mtp", "num_speculative_tokens": 1e400}', '{"a": ' * 500 + "1" + "}" * 500,
           '{"method": "eagle3", "model": "/dev/zero"}', '{"method": "draft_model", "model": "' + "x/" * 300 + '"}',
           "/dev/zero", "/dev/stdin"]
PROGRAMS = [["vllm", "serve"], ["python", "-m", "sglang.launch_server", "--model-path"], ["llama-server", "-m"],
            ["ollama", "run"], ["sglang", "serve", "--model-path"], ["llama-cli", "-m"]]
WRAPPERS = [[], ["docker", "run", "--gpus", "all", "-v", "/tmp:/models", "vllm/vllm-openai:v0.26.0"],
            ["env", "CUDA_VISIBLE_DEVICES=0,1"], ["bash", "-c"], ["LLAMA_ARG_CTX_SIZE=abc"]]


def _flag_names(engine: str) -> list[str]:
    from llmdoctor.engines.cli_table import table
    t = table(engine)
    if t is None:
        return ["--x"]
    names = sorted({n for v in t.versions[-2:] for n in t.options(v)})
    return names or ["--x"]


_NAMES: dict[str, list[str]] = {}


def gen_launch(rnd: random.Random, tmp: Path) -> list[str]:
    prog = rnd.choice(PROGRAMS)
    engine = {"vllm": "vllm", "python": "sglang", "sglang": "sglang", "llama-server": "llamacpp",
              "llama-cli": "llamacpp", "ollama": "ollama"}[prog[0]]
    names = _NAMES.setdefault(engine, _flag_names(engine))
    argv = list(prog) + [rnd.choice([str(MODEL), "Qwen/Qwen3-8B", "x.gguf", "llama3.1:8b", "/models/q", "-"])]
    for _ in range(rnd.randint(0, 8)):
        name = rnd.choice(names) if rnd.random() < 0.85 else rnd.choice(["--tensor-paralel-size", "-O3", "--", "-",
                                                                            "--max-model", "--x.y", "--mem"])
        if rnd.random() < 0.5:
            argv += [name, rnd.choice(NUMBERS)]
        elif rnd.random() < 0.5:
            argv.append(f"{name}={rnd.choice(NUMBERS)}")
        else:
            argv.append(name)
    wrap = rnd.choice(WRAPPERS)
    if wrap == ["bash", "-c"]:
        text = " ".join(argv)
        if rnd.random() < 0.3:
            text += rnd.choice(['"', "'", "\\", " && ", " ; "])
        argv = ["bash", "-c", text]
    else:
        argv = wrap + argv
    return ["check", "--json", "--gpu", rnd.choice(["RTX 4090", "A10", "H100"]), "--model-path", str(MODEL), "--", *argv]


HOSTILE = [0, -1, -2 ** 63, 2 ** 64, 10 ** 400 if False else 2 ** 200, 1.5, -0.0, 1e308, "x", "", None, True, [], {},
           [[]], [[1]], {"a": 1}, [None] * 3, "nan", list(range(5))]


def _mutate(node, rnd: random.Random, depth=0):
    if isinstance(node, dict) and node:
        key = rnd.choice(list(node))
        if depth < 4 and isinstance(node[key], (dict, list)) and rnd.random() < 0.6:
            _mutate(node[key], rnd, depth + 1)
        else:
            node[key] = rnd.choice(HOSTILE) if rnd.random() < 0.9 else _deep(rnd.randint(50, 3000))
    elif isinstance(node, list) and node:
        i = rnd.randrange(len(node))
        if depth < 4 and isinstance(node[i], (dict, list)) and rnd.random() < 0.6:
            _mutate(node[i], rnd, depth + 1)
        else:
            node[i] = rnd.choice(HOSTILE)


def _deep(n: int):
    out: list = []
    for _ in range(n):
        out = [out]
    return out


def _dump(obj) -> str:
    try:
        return json.dumps(obj)
    except (RecursionError, ValueError):
        return "[" * 5000 + "]" * 5000


def gen_config(rnd: random.Random, tmp: Path) -> list[str]:
    src = rnd.choice(sorted(p for p in (FIXTURES / "models").glob("*/config.json")))
    cfg = json.loads(src.read_text())
    for _ in range(rnd.randint(1, 4)):
        _mutate(cfg, rnd)
    d = tmp / "m"
    d.mkdir(exist_ok=True)
    (d / "config.json").write_text(_dump(cfg))
    return ["check", "--json", "--gpu", "RTX 4090", str(d)] + rnd.choice([[], ["--engine", "llamacpp"], ["--engine", "sglang"]])


MACHINES = sorted((FIXTURES / "machines").glob("*.json"))


def gen_machine(rnd: random.Random, tmp: Path) -> list[str]:
    doc = json.loads(rnd.choice(MACHINES).read_text())
    for _ in range(rnd.randint(1, 4)):
        if rnd.random() < 0.3 and isinstance(doc.get("calls"), dict) and doc["calls"]:
            key = rnd.choice(list(doc["calls"]))
            doc["calls"][key] = {"value": rnd.choice(HOSTILE + [2 ** 64, {"x": 1}, "1" * 400])}
        else:
            _mutate(doc, rnd)
    path = tmp / "machine.json"
    path.write_text(_dump(doc))
    return ["check", "--json", "--machine", str(path), str(MODEL)]


LINE_CAP = 256 * 1024
LOGS = sorted((FIXTURES / "logs").glob("*/*.log"))


def gen_log(rnd: random.Random, tmp: Path) -> list[str]:
    lines = rnd.choice(LOGS).read_text(errors="replace").splitlines()
    for _ in range(rnd.randint(1, 6)):
        if not lines:
            break
        i = rnd.randrange(len(lines))
        line = lines[i]
        pick = rnd.random()
        if pick < 0.4:
            lines[i] = "".join(rnd.choice(NUMBERS) if c.isdigit() and rnd.random() < 0.2 else c for c in line)
        elif pick < 0.6:
            lines[i] = line + " " + "9" * rnd.choice([30, 400, 4000])
        elif pick < 0.8:
            lines.insert(i, line * rnd.randint(2, 50))
        else:
            lines[i] = "".join(chr(rnd.randint(0, 0x2FF)) for _ in range(rnd.randint(0, 200)))
        # a line mutated again and again grows geometrically (digits become 400-digit numbers, lines repeat):
        # unbounded, the generator itself took 18.8 GiB; 256 KiB a line still overruns the reader's caps
        lines[i] = lines[i][:LINE_CAP]
    path = tmp / "run.log"
    path.write_text("\n".join(lines), errors="replace")
    argv = ["logs", "--json", str(path)]
    if rnd.random() < 0.3:
        argv += ["--model", str(MODEL), "--gpu", "H100"]
    return argv


RULES = sorted((ROOT / "rules").glob("LD*.toml"))
TOML_VALUES = ['1', 'true', '"x"', '[]', '{}', '[1, "a"]', '"' + "a" * 5000 + '"', '{ a = { b = { c = 1 } } }',
               '"[" * 10"', '"lists.range(100000000).size() > 0"', '"[1,2,3].map(x, [x,x,x,x,x,x]).size() > 0"']


def gen_rules(rnd: random.Random, tmp: Path) -> list[str]:
    if rnd.random() < 0.5:
        text = rnd.choice(RULES).read_text()
        lines = text.splitlines()
        keys = [i for i, ln in enumerate(lines) if "=" in ln and not ln.startswith(" ")]
        for _ in range(rnd.randint(1, 3)):
            if keys:
                i = rnd.choice(keys)
                k = lines[i].split("=", 1)[0]
                lines[i] = f"{k}= {rnd.choice(TOML_VALUES)}"
        d = tmp / "rules"
        d.mkdir(exist_ok=True)
        (d / "LD990-fuzz.toml").write_text("\n".join(lines).replace('code = "LD', 'code = "LD9', 1))
        return ["check", "--json", "--gpu", "A10", "--rules", str(d), str(MODEL)]
    keys = rnd.sample(["rules", "ignore", "severity"], rnd.randint(1, 3))
    if rnd.random() < 0.2:              # now and then a key llmdoctor does not know (named as such: exit 2)
        keys.append(rnd.choice(["fail_on", "tool", "x"]))
    (tmp / "llmdoctor.toml").write_text("\n".join(f"{k} = {rnd.choice(TOML_VALUES)}" for k in keys))
    return ["check", "--json", "--gpu", "A10", str(MODEL), "--rules-from-cwd"]


TEMPLATE_BITS = ["{{ messages }}", "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
                 "{{ 'a' * 1000000000 }}", "{{ 'x'.center(1000000000) }}", "{{ '%s'|format('a') * 99999999 }}",
                 "{{ messages|tojson(indent=100000000) }}", "{% raise 'no' %}", "{{ ''.__class__ }}",
                 "{% for m in messages %}{% if m.role == 'developer' %}{{ raise_exception('bad') }}{% endif %}{% endfor %}",
                 "{{ x.y.z }}", "{%", "{{ range(10**9)|list }}", "{{ lipsum(1000000) }}"]


def gen_template(rnd: random.Random, tmp: Path) -> list[str]:
    d = tmp / "t"
    d.mkdir(exist_ok=True)
    shutil.copy(MODEL / "config.json", d / "config.json")
    (d / "chat_template.jinja").write_text("".join(rnd.choice(TEMPLATE_BITS) for _ in range(rnd.randint(1, 3))))
    return ["check", "--json", "--gpu", "A10", str(d)]


KINDS: dict[str, Callable] = {"launch": gen_launch, "config": gen_config, "machine": gen_machine, "log": gen_log,
                              "rules": gen_rules, "template": gen_template}


class _Timeout(Exception):
    pass


def run_one(argv: list[str], cwd: Path) -> tuple[int, float, str | None]:
    """(exit code, seconds, crash site or None). Exit 3 or an escaped exception is a crash."""
    from llmdoctor.app.cli import main

    def alarm(signum, frame):
        raise _Timeout()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND)
    start = time.perf_counter()
    site = None
    here = os.getcwd()
    try:
        os.chdir(cwd)
        if argv[-1] == "--rules-from-cwd":
            argv = argv[:-1]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                code = main(argv + ["--debug"] if False else argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        if code == 3:
            site = "exit 3: " + err.getvalue().strip().splitlines()[-1][:160]
    except _Timeout:
        code, site = -1, f"over {TIME_BOUND:.0f} s"
    except BaseException as exc:           # an escape from main() is a bug of ours too
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "llmdoctor" in f.filename]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        code, site = 3, f"{type(exc).__name__} at {where}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(here)
    return code, time.perf_counter() - start, site


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def run_kind(kind: str, inputs: int, seed: str, max_seconds: float, keep: Path | None = None) -> dict:
    """One kind's inputs in this process. Each input's rise of the process's peak memory is measured, so
    the input that drove the peak is named (and kept); a rise over MEMORY_BOUND_MIB counts as a crash."""
    rnd = random.Random(seed)
    crashes: Counter = Counter()
    examples: dict = {}
    codes: Counter = Counter()
    slowest = (0.0, None)
    biggest = (0, None)
    start = time.perf_counter()
    n = 0
    with tempfile.TemporaryDirectory() as tmp_root:
        for n in range(1, inputs + 1):
            tmp = Path(tempfile.mkdtemp(dir=tmp_root))
            argv = KINDS[kind](rnd, tmp)
            before = _peak_mib()
            code, seconds, site = run_one(argv, tmp)
            rise = _peak_mib() - before
            if site is None and rise > MEMORY_BOUND_MIB:
                site = f"over {MEMORY_BOUND_MIB} MiB"
            codes[code] += 1
            if site:
                crashes[site] += 1
                if site not in examples and keep is not None:     # the input files, to replay the crash
                    shutil.copytree(tmp, keep / f"{kind}-{seed.replace(':', '-')}-{n}", dirs_exist_ok=True)
                examples.setdefault(site, [a[:200] for a in argv[:60]])
            if seconds > slowest[0]:
                slowest = (seconds, argv[:12])
            if rise > biggest[0]:
                biggest = (rise, argv[:12])
            shutil.rmtree(tmp, ignore_errors=True)
            if n % PROGRESS_EVERY == 0:       # a long campaign says where it is (stderr), kind by kind
                print(f"{kind} [{seed}]: {n} inputs, {sum(crashes.values())} crashes, "
                      f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            if time.perf_counter() - start > max_seconds:
                break
    return {"inputs": n, "exit_codes": dict(codes), "crashes": dict(crashes), "examples": examples,
            "slowest_s": round(slowest[0], 3), "slowest_input": slowest[1], "peak_rss_mib": _peak_mib(),
            "largest_rise_mib": biggest[0], "largest_rise_input": biggest[1],
            "seconds": round(time.perf_counter() - start, 1)}


def _worker(args):
    return run_kind(*args)


def _merge(parts: list[dict]) -> dict:
    out = {"inputs": 0, "exit_codes": Counter(), "crashes": Counter(), "examples": {}, "slowest_s": 0.0,
           "slowest_input": None, "peak_rss_mib": 0, "largest_rise_mib": 0, "largest_rise_input": None, "seconds": 0.0}
    for r in parts:
        out["inputs"] += r["inputs"]
        out["exit_codes"].update({int(k): v for k, v in r["exit_codes"].items()})
        out["crashes"].update(r["crashes"])
        for site, ex in r["examples"].items():
            out["examples"].setdefault(site, ex)
        if r["slowest_s"] >= out["slowest_s"]:
            out["slowest_s"], out["slowest_input"] = r["slowest_s"], r["slowest_input"]
        if r["largest_rise_mib"] >= out["largest_rise_mib"]:
            out["largest_rise_mib"], out["largest_rise_input"] = r["largest_rise_mib"], r["largest_rise_input"]
        out["peak_rss_mib"] = max(out["peak_rss_mib"], r["peak_rss_mib"])
        out["seconds"] = max(out["seconds"], r["seconds"])
    out["exit_codes"], out["crashes"] = dict(out["exit_codes"]), dict(out["crashes"])
    return out


def campaign(kinds: list[str], per_kind: int, seed: int, max_seconds: float, keep: Path | None = None,
             jobs: int = 1) -> dict:
    """Each kind runs in fresh worker processes (so its peak memory is its own), `jobs` at a time, each
    worker with its own share of the inputs and its own random stream."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    report = {}
    for kind in kinds:
        shares = [per_kind // jobs + (1 if w < per_kind % jobs else 0) for w in range(jobs)]
        tasks = [(kind, n, f"{seed}:{kind}" + (f":{w}" if jobs > 1 else ""), max_seconds, keep)
                 for w, n in enumerate(shares) if n]
        with ctx.Pool(len(tasks), maxtasksperchild=1) as pool:
            report[kind] = _merge(pool.map(_worker, tasks, chunksize=1))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", default="all", help="comma-separated: " + ", ".join(KINDS))
    ap.add_argument("--per-kind", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=float("inf"), help="per kind")
    ap.add_argument("--out", help="write the report as JSON here")
    ap.add_argument("--keep", help="copy the input files of each new crash site into this folder")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes per kind")
    a = ap.parse_args(argv)
    kinds = list(KINDS) if a.kinds == "all" else a.kinds.split(",")
    keep = Path(a.keep) if a.keep else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    print(f"{'kind':10} {'inputs':>8} {'crashes':>8} {'slowest s':>10} {'peak MiB':>9} {'largest rise MiB':>17}",
          flush=True)
    report = {}
    for kind in kinds:                       # each kind reported (and written) as soon as it ends
        r = report[kind] = campaign([kind], a.per_kind, a.seed, a.max_seconds, keep, max(1, a.jobs))[kind]
        print(f"{kind:10} {r['inputs']:8d} {sum(r['crashes'].values()):8d} {r['slowest_s']:10.2f} {r['peak_rss_mib']:9d}"
              f" {r['largest_rise_mib']:17d}", flush=True)
        for site, count in sorted(r["crashes"].items(), key=lambda x: -x[1]):
            print(f"    {count:6d}  {site}\n            e.g. {r['examples'][site]}", flush=True)
        if a.out:
            Path(a.out).write_text(json.dumps(report, indent=1))
    return 1 if any(r["crashes"] for r in report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
