"""A GGUF repo on the Hub: one quant's header by range reads, split sets, and the choice of the largest
quant that fits, checked against planning every quant from its own header."""
import json

import pytest

from llmdoctor.app.pipeline import Intent, gather
from llmdoctor.app.quant_choice import DEFAULT_CTX, MAX_EXACT, plan_with_llamacpp
from llmdoctor.checkpoint.remote_hf import HubFile, HubRepo, gguf_quants, quant_label
from llmdoctor.errors import InputError
from tests.remote import fakes
from tests.remote.conftest import SHA_GGUF, check_json, ranges, read, run

QUANTS = ["BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"]
MiB = 1 << 20


def test_one_quant_reads_only_the_bytes_before_its_tensor_data(env, hub):
    info = read(env, "hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M")
    f = fakes.qwen3_gguf("Q4_K_M")[0]
    assert (info.path, info.format, info.gguf_file_type) == ("Qwen/Qwen3-8B-GGUF:Q4_K_M", "gguf", "Q4_K_M")
    assert info.spec.vocab_size == fakes.VOCAB and info.files.total_bytes == f.size
    asked = ranges(hub, "Qwen3-8B-Q4_K_M.gguf")
    assert asked[0][0] == 0 and all(a[1] == b[0] for a, b in zip(asked, asked[1:]))      # one contiguous prefix
    assert len(f.head) <= asked[-1][1] <= len(f.head) + 2 * MiB                          # a chunk past it at most
    assert all(b - a <= 2 * MiB for a, b in asked)                                        # in bounded chunks
    assert hub.bytes_sent() < len(f.head) + 2 * MiB + 16_000
    assert not [e for e in hub.log if "mmproj" in e.path or "BF16" in e.path]


def test_quant_names_and_split_sets(env, hub):
    bf16 = read(env, "Qwen/Qwen3-8B-GGUF:bf16")                   # llama.cpp's -hf syntax, any case
    parts = fakes.qwen3_gguf("BF16", 2)
    assert bf16.files.count == 2 and bf16.files.total_bytes == sum(p.size for p in parts)
    assert bf16.gguf_file_type == "BF16" and len(ranges(hub, "00002-of-00002")) == 1
    with pytest.raises(InputError, match="no GGUF file for IQ1_S.*Q2_K, Q3_K_M"):
        read(env, "hf.co/Qwen/Qwen3-8B-GGUF:IQ1_S")
    repo = HubRepo("a/b", "main", SHA_GGUF, {p: HubFile(p, f.size, f.sha256) for p, f in fakes.qwen3_gguf_repo_files().items()})
    assert [q.label for q in gguf_quants(repo)] == QUANTS                                    # no projector
    assert [quant_label(n) for n in ("Llama-3.2-1B-Instruct-UD-Q4_K_XL.gguf", "x.Q4_0.gguf", "m-iq2_xxs-00001-of-00003.gguf",
                                     "gpt-oss-20b-MXFP4.gguf", "weird.gguf")] == \
        ["UD-Q4_K_XL", "Q4_0", "IQ2_XXS", "MXFP4", "weird"]
    del repo.files["BF16/Qwen3-8B-BF16-00002-of-00002.gguf"]                                 # incomplete set: left out
    assert "BF16" not in [q.label for q in gguf_quants(repo)]


def test_without_a_quant_the_model_command_takes_llamacpps_default(env, hub):
    info = read(env, "hf.co/Qwen/Qwen3-8B-GGUF")
    assert info.gguf_file_type == "Q4_K_M" and "llama.cpp's default" in info.notes[0]
    assert "Q2_K 2.98 GiB" in info.notes[1] and "BF16" in info.notes[1]


@pytest.fixture(scope="module")
def every_quant(hub_server, tmp_path_factory):
    """Every quant read from its own header (once for the module)."""
    from huggingface_hub import constants
    cache = tmp_path_factory.mktemp("every-quant")
    env = {"HF_HUB_CACHE": str(cache / "hub"), "XDG_CACHE_HOME": str(cache), "HF_ENDPOINT": hub_server.url,
           "NO_PROXY": "127.0.0.1"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
        mp.setattr(constants, "HF_HUB_OFFLINE", False)
        return {q: read(env, f"Qwen/Qwen3-8B-GGUF:{q}") for q in QUANTS}


@pytest.mark.parametrize("gpu", ["RTX 3060", "H100"])
def test_the_largest_quant_that_fits_matches_planning_every_header(env, hub, monkeypatch, every_quant, gpu):
    import os
    for k in list(os.environ):
        if k not in env:
            monkeypatch.delenv(k)                  # gather() reads os.environ: exactly the test's environment
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    intent = Intent(model_path="hf.co/Qwen/Qwen3-8B-GGUF", gpu=gpu)
    chosen = gather(intent)
    headers_read = {e.path.split("/")[-1] for e in hub.log if e.range and "/resolve/" in e.path}
    assert 1 <= len({h.split("-0000")[0] for h in headers_read}) <= MAX_EXACT
    # every quant from its own header, planned the same way
    on_gpu = {}
    from dataclasses import replace
    for q in QUANTS:
        plan = plan_with_llamacpp(replace(intent, options={"max_model_len": DEFAULT_CTX}), chosen.machine, every_quant[q])
        on_gpu[q] = plan.fits and not plan.weights.offloaded_bytes
    expected = next(q for q in QUANTS if on_gpu[q])
    assert chosen.model.gguf_file_type == expected and chosen.model.path == f"Qwen/Qwen3-8B-GGUF:{expected}"
    notes = chosen.model.notes
    assert notes[0].startswith(f"7 GGUF quants in Qwen/Qwen3-8B-GGUF; chosen: {expected}, the largest that fits")
    assert sum("<- chosen" in n for n in notes) == 1 and len([n for n in notes if n.startswith("quant ")]) == 7


def test_check_weighs_the_quants_and_plans_the_chosen_one(env, hub):
    out, doc = check_json(env, "--gpu", "RTX 3060", "hf.co/Qwen/Qwen3-8B-GGUF")
    assert doc["model"]["gguf_file_type"] == "Q6_K" and doc["plan"]["engine"] in ("llamacpp", "ollama")
    assert doc["plan"]["fits"]
    out, doc = check_json(env, "--gpu", "RTX 3060", "--max-model-len", "4096", "hf.co/Qwen/Qwen3-8B-GGUF")
    assert doc["model"]["gguf_file_type"] == "Q8_0" and "4,096-token context" in doc["model"]["notes"][0]
    out, doc = check_json(env, "--gpu", "RTX 3060", "--quant", "Q3_K_M", "hf.co/Qwen/Qwen3-8B-GGUF")
    assert doc["model"]["gguf_file_type"] == "Q3_K_M" and "named by --quant" in doc["model"]["notes"][0]


def test_llama_server_hf_reads_the_quant_it_names_or_its_default(env, hub):
    out, doc = check_json(env, "--gpu", "RTX 4090", "--", "llama-server", "-hf", "Qwen/Qwen3-8B-GGUF:Q8_0", "-ngl", "99")
    assert doc["model"]["gguf_file_type"] == "Q8_0" and doc["plan"]["engine"] == "llamacpp"
    out, doc = check_json(env, "--gpu", "RTX 4090", "--", "llama-server", "-hf", "Qwen/Qwen3-8B-GGUF")
    assert doc["model"]["gguf_file_type"] == "Q4_K_M"
    out = run(env, "check", "--gpu", "RTX 4090", "--", "llama-server", "-hf", "Qwen/Qwen3-8B-GGUF:Q9_9")
    assert out.returncode == 2 and "no GGUF file for Q9_9" in out.stderr and len(out.stderr.splitlines()) == 1
    assert "looked in" in out.stderr                              # the llama.cpp cache and the HF cache came first


def test_a_quant_in_the_llamacpp_cache_is_read_there(env, hub, tmp_path):
    cached = tmp_path / "llama" / "Qwen_Qwen3-8B-GGUF_Qwen3-8B-Q4_K_M.gguf"
    cached.write_bytes((fakes.ROOT / "fixtures" / "models" / "gguf" / "tiny-llama-q4_k_m.gguf").read_bytes())
    out, doc = check_json(env, "--gpu", "RTX 4090", "hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M")
    assert doc["model"]["path"] == str(cached) and hub.log == []


def test_a_server_that_ignores_range_costs_one_chunk(env, hub):
    hub.behaviour.ignore_range = True
    out = run(env, "model", "hf.co/Qwen/Qwen3-8B-GGUF:Q2_K")
    assert out.returncode == 2 and "ignores Range" in out.stderr and len(out.stderr.splitlines()) == 1
    # the safetensors headers start at byte 0: a whole-file answer is cut at the bytes asked for
    hub.reset()
    hub.behaviour.ignore_range = True
    ok = run(env, "--debug", "model", "--json", "Qwen/Qwen3-8B")
    assert ok.returncode == 0, ok.stderr
    import re
    received = int(re.search(r"\(([\d,]+) bytes\)", ok.stderr).group(1).replace(",", ""))
    assert received < 2 * MiB


def test_hostile_headers_stop_at_the_first_chunk(env, hub):
    import struct
    evil = {"huge-kv.gguf": fakes.VFile(b"GGUF" + struct.pack("<IQQ", 3, 1, 1 << 40), 10 << 30),
            "huge-string.gguf": fakes.VFile(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 40), 10 << 30)}
    hub.add("evil/gguf", fakes.FakeRepo(evil, fakes.commit("evil"), refs={"main": fakes.commit("evil")}))
    for name, words in (("huge-kv", "metadata entries"), ("huge-string", "too long")):
        hub.reset()
        out = run(env, "model", f"evil/gguf:{name}")
        assert out.returncode == 2 and words in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr
        assert hub.bytes_sent() <= MiB + 16_000
    bad = {"config.json": fakes.small(fakes.QWEN3_8B.read_bytes()),
           "model.safetensors": fakes.VFile(struct.pack("<Q", 1 << 40), 5 << 30)}
    hub.add("evil/st", fakes.FakeRepo(bad, fakes.commit("evil-st"), refs={"main": fakes.commit("evil-st")}))
    hub.reset()
    out = run(env, "model", "evil/st")
    assert out.returncode == 2 and "100 MB cap" in out.stderr and "evil/st/model.safetensors" in out.stderr
    assert max(b for a, b in ranges(hub, "model.safetensors")) <= 66 * 1024


@pytest.fixture
def no_backoff(monkeypatch):
    from llmdoctor.checkpoint import remote_http
    monkeypatch.setattr(remote_http, "BACKOFF_S", (0.0, 0.0))


def test_retries_then_a_one_line_error(env, hub, no_backoff):
    hub.behaviour.fail_first = 2
    assert read(env, "hf.co/Qwen/Qwen3-8B-GGUF:Q2_K").gguf_file_type == "Q2_K"
    hub.reset()
    hub.behaviour.fail_first = 100
    with pytest.raises(InputError, match=r"^Qwen/Qwen3-8B-GGUF: http://127.0.0.1:\d+ answered HTTP 503$"):
        read(env, "hf.co/Qwen/Qwen3-8B-GGUF:Q2_K")
    assert len(hub.log) == 3


def test_a_silent_server_times_out(env, hub, no_backoff):
    hub.behaviour.delay_s = 1
    with pytest.raises(InputError, match=r"timed out") as exc:
        read({**env, "LLMDOCTOR_HTTP_TIMEOUT": "0.2"}, "Qwen/Qwen3-8B")
    assert "\n" not in str(exc.value) and "looked in" in str(exc.value)


def test_debug_shows_the_bytes_of_each_request(env, hub):
    out = run(env, "--debug", "model", "--json", "hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M")
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines[0].startswith("llmdoctor: debug: Qwen/Qwen3-8B-GGUF:Q4_K_M: 5 request(s), 7.0 MiB received")
    assert sum("bytes=" in line for line in lines) == 4
    assert json.loads(out.stdout)["model"]["gguf_file_type"] == "Q4_K_M"


def test_a_quant_read_once_is_read_offline_from_the_cache(env, hub):
    first = read(env, "hf.co/Qwen/Qwen3-8B-GGUF:Q5_K_M")
    hub.reset()
    again = read({**env, "HF_HUB_OFFLINE": "1"}, "hf.co/Qwen/Qwen3-8B-GGUF:Q5_K_M")
    assert hub.log == [] and again.weights == first.weights and "read from the HF cache" in again.notes[-1]
    with pytest.raises(InputError, match="HF_HUB_OFFLINE is set: nothing was requested"):
        read({**env, "HF_HUB_OFFLINE": "1"}, "hf.co/Qwen/Qwen3-8B-GGUF:Q6_K")
    assert hub.log == []


def test_a_gguf_repo_id_without_hf_co_is_weighed_too(env, hub, monkeypatch):
    out, doc = check_json(env, "--gpu", "H100", "Qwen/Qwen3-8B-GGUF")
    assert doc["model"]["gguf_file_type"] == "BF16" and "chosen: BF16" in doc["model"]["notes"][0]
    out, doc = check_json(env, "--gpu", "H100", "https://huggingface.co/Qwen/Qwen3-8B/tree/v0.9")
    assert doc["model"]["format"] == "hf" and doc["model"]["generation_config"] is None
