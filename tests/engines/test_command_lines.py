"""Each engine's command line as its own parser reads it (engines/cli_table.py over cli_flags.json):
the refusals people hit, and the real commands of the seeds and the log fixtures, which must pass."""
import json
import shlex

import pytest

from llmdoctor.engines.cli_table import check_args, table
from llmdoctor.engines.command import parse_command

from ..conftest import FIXTURES
from ..diagnose.test_seeds import SEED000_CMD, SEED001_CMD, SEED002_CMD, SEED002_INJECTED, SEED003_VLLM, SEED004_CMD


def issues(cmd: str, version=None):
    parsed = parse_command(shlex.split(cmd))
    return check_args(parsed.engine, version, parsed.args, parsed.program)


def refusals(cmd: str, version=None):
    return [i for i in issues(cmd, version) if i.refuses]


@pytest.mark.parametrize("cmd, version, kind, says, hint", [
    ("vllm serve Qwen/Qwen3-8B --tensor-paralel-size 2", "0.26.0", "unknown-flag",
     "vllm: error: unrecognized arguments: --tensor-paralel-size 2", "did you mean --tensor-parallel-size?"),
    ("vllm serve m --kv-cache-dtype fp4", "0.26.0", "bad-choice", "invalid choice: 'fp4'", None),
    ("vllm serve m -tp two", "0.33.0", "bad-value", "argument --tensor-parallel-size/-tp: invalid int value: 'two'", None),
    ("vllm serve m --max-model-len", "0.33.0", "missing-value", "expected one argument", None),
    ("vllm serve m --max-model", "0.33.0", "missing-value", "expected one argument", None),   # a unique prefix
    ("python -m sglang.launch_server --model-path m --contxt-length 131072", "0.5.23", "unknown-flag",
     "sglang serve: error: unrecognized arguments: --contxt-length 131072", "did you mean --context-length?"),
    ("python -m sglang.launch_server --model-path m --max 8", "0.5.23", "ambiguous-flag", "ambiguous option: --max", None),
    ("llama-server -m x.gguf --ctx-sze 4096", None, "unknown-flag", "error: invalid argument: --ctx-sze",
     "did you mean --ctx-size?"),
    ("llama-server -m x.gguf -c abc", None, "bad-value", 'error while handling argument "-c": stoi', None),
    ("llama-server -m x.gguf --no-mmap", "0c1e57098", "removed-flag", "error: invalid argument: --no-mmap",
     "--no-mmap was removed after llamacpp 4df29be4f"),
    ("llama-server -m x.gguf -ctk q9_0", None, "bad-choice", "invalid value: q9_0", None),
    ("ollama run llama3.1:8b --verbos", None, "unknown-flag", "Error: unknown flag: --verbos", "did you mean --verbose?"),
])
def test_the_engine_refuses(cmd, version, kind, says, hint):
    found = refusals(cmd, version)
    assert found, cmd
    assert found[0].kind == kind and says in found[0].message, (found[0].kind, found[0].message)
    if hint is not None:
        assert found[0].hint == hint
    assert found[0].source                      # names the parser and the version checked


@pytest.mark.parametrize("cmd, version", [
    ("vllm serve m --max_model_len=4096 -O3 --compilation-config.mode 3 --no-enable-prefix-caching -tp 2", "0.33.0"),
    ("vllm serve m --max-model-len 1k --gpu-memory-utilization 0.9 --kv-cache-dtype fp8", "0.26.0"),
    ("vllm serve m --hf-overrides '{\"max_position_embeddings\": 4096}' --speculative-config '{\"method\": \"mtp\"}'", "0.21.0"),
    ("python -m sglang.launch_server --model-path m --tp 2 --mem-fraction-static 0.8 --context-length 8192", "0.5.23"),
    ("python -m sglang.launch_server --model-path m --mem-frac 0.8", "0.5.23"),       # unique abbreviation
    ("llama-server -m x.gguf -c 8192 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 --jinja -np 2", "0c1e57098"),
    ("llama-server -m x.gguf --ctx_size 8192 -ngl auto", "0c1e57098"),                # '_' read as '-'
    ("ollama run llama3.1:8b --verbose --keepalive 5m", None),
    ("ollama serve", None),
])
def test_the_engine_accepts(cmd, version):
    assert refusals(cmd, version) == []


def test_a_flag_from_a_later_version_says_when_it_came():
    [found] = refusals("vllm serve m --mamba-cache-mode align", "0.8.5")
    assert found.kind == "unknown-flag" and "exists from vllm" in found.hint


def test_numbers_llamacpp_reads_only_in_part_are_a_warning():
    [found] = issues("llama-server -m x.gguf -c 4k", "0c1e57098")
    assert found.kind == "lossy-value" and not found.refuses


def test_deprecated_flag_is_a_warning_not_a_refusal():
    found = issues("llama-server -m x.gguf --no-mmap", "4df29be4f")
    assert [i.kind for i in found] == ["deprecated-flag"] and not found[0].refuses
    assert "--load-mode" in found[0].message


# ---------------------------------------------------------------- real commands validate clean

@pytest.mark.parametrize("cmd, version", [
    (SEED000_CMD, "4df29be4f"),                 # a build that still took --no-mmap/--mlock (deprecated there)
    (SEED001_CMD, "0.19.1"),
    (SEED002_CMD + SEED002_INJECTED, "0.21.0"),
    (SEED003_VLLM, "0.11.0"),
    (SEED004_CMD, "0.12.11"),
], ids=["seed000", "seed001", "seed002", "seed003", "seed004"])
def test_seed_commands_validate_for_their_version(cmd, version):
    assert refusals(cmd, version) == []


def test_seed000_at_the_newest_llamacpp_is_refused_for_the_removed_flags():
    assert {i.flag for i in refusals(SEED000_CMD, "0c1e57098")} == {"--no-mmap", "--mlock"}


MEASURED = sorted((FIXTURES / "logs" / "llamacpp-measured").glob("run-*.log"))


@pytest.mark.parametrize("log", MEASURED, ids=lambda p: p.stem)
def test_measured_llamacpp_commands_validate(log):
    first = log.read_text().splitlines()[0]          # "### name: MODEL FLAGS"
    args = ["-m"] + shlex.split(first.split(":", 1)[1])
    assert [i for i in check_args("llamacpp", "0c1e57098", args, "llama-completion") if i.refuses] == []


def _runs():
    for run in json.loads((FIXTURES / "logs" / "runs.json").read_text()):
        if run["engine"] in ("vllm", "sglang") and run.get("flags"):
            yield pytest.param(run, id=run["file"])


@pytest.mark.parametrize("run", list(_runs()))
def test_logged_runs_flags_exist_in_the_engine(run):
    """Every flag a logged run used is a flag of that engine (in some version read)."""
    t = table(run["engine"])
    known = {spec.dest for v in t.versions for spec in t.options(v).values()}
    aliases = {"tensor_parallel_size": "tp_size", "data_parallel_size": "dp_size", "max_model_len": "context_length",
               "pipeline_parallel_size": "pp_size", "expert_parallel_size": "ep_size", "tp": "tp_size",
               "dp": "dp_size"} if run["engine"] == "sglang" else {}
    missing = [f for f in run["flags"] if f not in known and aliases.get(f) not in known]
    assert missing == []


def test_tables_are_well_formed():
    for engine in ("vllm", "sglang", "llamacpp", "ollama"):
        t = table(engine)
        assert len(t.versions) >= 5 and len(set(t.versions)) == len(t.versions)
        for flag in t._flags:
            for span in flag["spans"]:
                assert t.versions.index(span["from"]) <= t.versions.index(span["to"]), (engine, flag["dest"])
        assert all(t.sources.get(v) for v in t.versions), engine
        newest = t.options(t.versions[-1])
        assert len(newest) > 25, engine


def test_llamacpp_environment_variables_go_through_the_same_handlers():
    from llmdoctor.engines.cli_table import check_env
    [found] = check_env("llamacpp", "0c1e57098", {"LLAMA_ARG_CTX_SIZE": "big", "LLAMA_ARG_N_PARALLEL": "2",
                                                  "OTHER": "x"})
    assert found.refuses and found.message == 'error while handling environment variable "LLAMA_ARG_CTX_SIZE": stoi'
    assert check_env("vllm", None, {"VLLM_ALLOW_LONG_MAX_MODEL_LEN": "maybe"}) == []
