"""A safetensors repo on the Hub, read without its weights: what is fetched, what is cached, revisions,
offline mode and the Hub's errors. Against the loopback Hub (conftest.py), never the real one."""
import json
import os

import pytest

from llmdoctor.app.model_ref import resolve_arg
from llmdoctor.errors import InputError, UsageError
from tests.remote import fakes
from tests.remote.conftest import SHA_MAIN, SHA_OLD, TOKEN, check_json, ranges, read, run

WEIGHTS = sum(2 * fakes._numel(shape) for _, shape in fakes.hf_tensors())
SHARDS = [f"model-{i:05d}-of-00005.safetensors" for i in range(1, 6)]
NOT_NEEDED = ("tokenizer.json", "vocab.json", "merges.txt", "README.md", "LICENSE", ".gitattributes")


def test_a_safetensors_repo_is_read_from_its_headers(env, hub):
    info = read(env, "Qwen/Qwen3-8B")
    assert (info.path, info.format, info.architecture) == ("Qwen/Qwen3-8B", "hf", "Qwen3ForCausalLM")
    assert info.weight_bytes == WEIGHTS and info.params_exact and not info.weights_computed
    assert info.spec.num_layers == 36 and info.chat_template.source == "tokenizer_config.json"
    assert info.generation_config["temperature"] == 0.6
    assert f"commit {SHA_MAIN[:12]}" in info.notes[-1]
    files = fakes.qwen3_safetensors_files()
    for shard in SHARDS:                       # each header in one request, nothing past it but rounding
        asked = ranges(hub, shard)
        assert len(asked) == 1 and asked[0][0] == 0
        assert len(files[shard].head) <= asked[0][1] <= len(files[shard].head) + 4096
    assert not any(name in e.path for e in hub.log for name in NOT_NEEDED)
    assert hub.bytes_sent() < 160_000          # 125 KB: model info, 4 side files, 5 headers


def test_the_next_read_is_served_from_the_hf_cache(env, hub):
    first = read(env, "Qwen/Qwen3-8B")
    hub.reset()
    again = read(env, "Qwen/Qwen3-8B")          # a branch may have moved: only the listing is asked again
    assert [e.path.split("?")[0] for e in hub.log] == ["/api/models/Qwen/Qwen3-8B/revision/main"]
    hub.reset()
    offline = read({**env, "HF_HUB_OFFLINE": "1"}, "Qwen/Qwen3-8B")
    assert hub.log == [] and offline.weight_bytes == again.weight_bytes == first.weight_bytes
    assert "read from the HF cache" in offline.notes[-1]
    pinned = read(env, f"Qwen/Qwen3-8B@{SHA_MAIN}")   # a commit's listing never changes
    assert hub.log == [] and pinned.weight_bytes == WEIGHTS


def test_what_is_kept_is_the_hf_cache_huggingface_hub_reads(env, hub):
    from huggingface_hub import hf_hub_download, scan_cache_dir
    from llmdoctor.checkpoint.locate import headers_only_snapshot, hf_snapshot, locate
    read(env, "Qwen/Qwen3-8B")
    cache = env["HF_HUB_CACHE"]
    repo = os.path.join(cache, "models--Qwen--Qwen3-8B")
    assert open(os.path.join(repo, "refs", "main")).read() == SHA_MAIN
    assert os.path.islink(os.path.join(repo, "snapshots", SHA_MAIN, "config.json"))
    assert os.listdir(os.path.join(repo, "llmdoctor", "heads")) and not any(
        n.endswith(".safetensors") for n in os.listdir(os.path.join(repo, "snapshots", SHA_MAIN)))
    scan = scan_cache_dir(cache)
    assert not scan.warnings and [r.repo_id for r in scan.repos] == ["Qwen/Qwen3-8B"]
    path = hf_hub_download("Qwen/Qwen3-8B", "config.json", cache_dir=cache, local_files_only=True)
    assert json.load(open(path))["model_type"] == "qwen3"
    # a snapshot holding only what a remote read fetched is not "found locally" ...
    snap, _ = hf_snapshot("Qwen/Qwen3-8B", None, env)
    assert headers_only_snapshot(snap) and resolve_arg("Qwen/Qwen3-8B", None, env).kind == "hf"
    # ... until the weights are there
    open(os.path.join(snap, SHARDS[0]), "wb").close()
    assert not headers_only_snapshot(snap) and locate("Qwen/Qwen3-8B", "hf", env).how == "hf-cache"


def test_revisions_by_at_and_by_flag(env, hub):
    old = read(env, "Qwen/Qwen3-8B@v0.9")
    assert old.generation_config is None and f"commit {SHA_OLD[:12]} (v0.9)" in old.notes[-1]
    assert "/api/models/Qwen/Qwen3-8B/revision/v0.9?blobs=true" in [e.path for e in hub.log]
    assert read(env, "Qwen/Qwen3-8B", revision="v0.9").weight_bytes == WEIGHTS
    assert read(env, "https://huggingface.co/Qwen/Qwen3-8B", revision=SHA_OLD).generation_config is None
    with pytest.raises(InputError, match=r"revision 'nope' not found"):
        read(env, "Qwen/Qwen3-8B@nope")
    with pytest.raises(UsageError, match="--revision says"):
        resolve_arg("Qwen/Qwen3-8B@v0.9", "main", env)


def test_offline_with_nothing_cached_asks_nothing(env, hub):
    out = run({**env, "HF_HUB_OFFLINE": "1"}, "check", "--gpu", "RTX 4090", "Qwen/Qwen3-8B")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "HF_HUB_OFFLINE" in out.stderr and "looked in" in out.stderr
    assert hub.log == []


@pytest.mark.parametrize("repo, token, words", [
    ("acme/nothing-here", None, ["not found", "HF_TOKEN", "(401)"]),
    ("acme/nothing-here", TOKEN, ["no such repo", "(404)"]),
    ("acme/private-8b", None, ["private", "HF_TOKEN", "(401)"]),
    ("acme/private-8b", "hf_wrong", ["(404)"]),
    ("acme/gated-8b", None, ["gated", "ask for access", "set HF_TOKEN"]),
    ("acme/gated-8b", "hf_wrong", ["gated", "granted access", "(403)"]),
])
def test_hub_refusals_are_one_line(env, hub, repo, token, words):
    out = run({**env, **({"HF_TOKEN": token} if token else {})}, "model", repo)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert all(w in out.stderr for w in words), out.stderr
    assert "Traceback" not in out.stderr


def test_a_token_opens_private_and_gated_repos(env, hub):
    for repo in ("acme/private-8b", "acme/gated-8b"):
        out = run({**env, "HF_TOKEN": TOKEN}, "model", "--json", repo)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["model"]["weight_bytes"] == WEIGHTS
    assert all(e.auth for e in hub.log if not e.path.startswith("/cdn/"))


def test_check_and_plan_a_repo_id_and_a_launch_command(env, hub):
    out, doc = check_json(env, "--gpu", "H100", "Qwen/Qwen3-8B")
    assert doc["model"]["path"] == "Qwen/Qwen3-8B" and doc["model"]["format"] == "hf"
    assert doc["plan"]["command"][:3] == ["vllm", "serve", "Qwen/Qwen3-8B"]
    from llmdoctor.app.model_ref import probe_path                       # free space where a download would go
    assert probe_path(resolve_arg("Qwen/Qwen3-8B", None, env), env) == env["HF_HUB_CACHE"]
    out, doc = check_json(env, "--gpu", "H100", "--", "vllm", "serve", "Qwen/Qwen3-8B", "--revision", "v0.9")
    assert doc["model"]["generation_config"] is None and doc["command"]["model"] == "Qwen/Qwen3-8B"
    plan = run(env, "plan", "--json", "--gpu", "H100", "--engine", "sglang", "Qwen/Qwen3-8B", "--revision", "v1.0")
    assert plan.returncode in (0, 1), plan.stderr
    assert json.loads(plan.stdout)["plan"]["engine"] == "sglang"


def test_a_name_that_is_no_repo_id_asks_nothing(env, hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    for text in ("models/Qwen3-8B", "./Qwen/Qwen3-8B", "/srv/Qwen/Qwen3-8B", "x/y.gguf", "no-slash", "a/b/c"):
        with pytest.raises(InputError, match="no such file"):
            resolve_arg(text, None, env)
    assert hub.log == []
    with pytest.raises(UsageError, match="local path"):
        resolve_arg(str(tmp_path / "models"), "main", env)
