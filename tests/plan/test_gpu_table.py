"""The GPU table (rules/data/gpus.csv): every row parses and says where its figures come from, the
FLOPs columns are sane, today's GPUs are found by the names people use, and a GPU that is not in
the table plans with --vram-gib (and --bandwidth-gbs) instead of failing."""
import csv
import io
import json
import re

import pytest

from llmdoctor.app.cli import main
from llmdoctor.errors import UsageError
from llmdoctor.plan import target_what_if
from llmdoctor.plan.common import GIB, MIB
from llmdoctor.plan.gpu_table import close_names, lookup, rows
from llmdoctor.resources import data_text

MODEL = "fixtures/models/Qwen--Qwen3-8B/config.json"
FLOPS = ("fp16_tflops", "bf16_tflops", "fp8_tflops", "fp4_tflops", "int8_tops")


def _raw():
    return list(csv.DictReader(io.StringIO(data_text("gpus.csv"), newline="")))


def test_every_row_parses():
    raw = _raw()
    assert len(rows()) == len(raw) and len(raw) >= 70
    assert set(FLOPS) | {"source", "name", "nvml_name", "vram_gb", "nvml_total_mib", "bandwidth_gb_s"} <= set(raw[0])
    names = [r.name for r in rows()]
    assert len(names) == len(set(names)), "duplicate names"
    for row in rows():
        assert row.vendor in ("nvidia", "amd", "intel"), row.name
        assert row.vram_gb > 0 and row.bandwidth_gb_s and row.bandwidth_gb_s > 0, row.name
        if row.compute_capability is not None:
            assert re.fullmatch(r"\d+\.\d+", row.compute_capability), row.name
        assert row.vendor != "nvidia" or row.compute_capability, row.name
        if row.nvml_total_mib:      # what the driver reports is close to the marketing size, never far off
            assert 0.9 < row.nvml_total_mib * MIB / (row.vram_gb * 1e9) < 1.1, row.name


def test_every_row_names_its_source():
    for row in rows():
        assert len(row.source) > 20, row.name
        assert "http" in row.source or "product page" in row.source or "whitepaper" in row.source, row.name


def test_flops_are_dense_and_monotone():
    for row in rows():
        f = {k: getattr(row, k) for k in FLOPS}
        for k, v in f.items():
            assert v is None or 0 < v < 50000, (row.name, k)
        if f["bf16_tflops"] and f["fp16_tflops"]:
            assert f["bf16_tflops"] == f["fp16_tflops"], row.name
        if f["fp8_tflops"] and f["bf16_tflops"]:
            assert f["fp8_tflops"] >= f["bf16_tflops"], row.name
        if f["fp4_tflops"] and f["fp8_tflops"]:
            assert f["fp4_tflops"] >= f["fp8_tflops"], row.name
        if f["int8_tops"] and f["bf16_tflops"]:
            assert f["int8_tops"] >= f["bf16_tflops"], row.name
        if f["fp8_tflops"] and row.vendor == "nvidia":      # FP8 tensor cores: Ada (8.9) and later
            assert tuple(map(int, row.compute_capability.split("."))) >= (8, 9), row.name
        if f["fp4_tflops"] and row.vendor == "nvidia":      # FP4: Blackwell
            assert int(row.compute_capability.split(".")[0]) >= 10, row.name


def test_known_figures():
    assert lookup("H100 SXM5").dense_tflops("bf16") == 989.5 and lookup("H100 SXM5").dense_tflops("fp4") is None
    assert lookup("B200").dense_tflops("nvfp4") == 9000 and lookup("B200").dense_tflops("fp8") == 4500
    assert lookup("RTX 5090").dense_tflops("bfloat16") == 209.5          # GeForce: half-rate FP32 accumulate
    assert lookup("RTX 4090").dense_tflops("int8") == 660.6
    assert lookup("MI300X").dense_tflops("fp8") == 2614.9
    assert lookup("Tesla P40").dense_tflops("bf16") is None                # no tensor cores


@pytest.mark.parametrize("query,expected", [
    ("B200", "NVIDIA B200 (HGX/DGX B200 SXM)"), ("NVIDIA B200", "NVIDIA B200 (HGX/DGX B200 SXM)"),
    ("HGX B200", "NVIDIA B200 (HGX/DGX B200 SXM)"), ("DGX B200", "NVIDIA B200 (HGX/DGX B200 SXM)"),
    ("B300", "NVIDIA B300 (HGX/DGX B300 SXM)"), ("NVIDIA B300 SXM6 AC", "NVIDIA B300 (HGX/DGX B300 SXM)"),
    ("GB200", "NVIDIA GB200 NVL72 (per GPU)"), ("GB200 NVL72", "NVIDIA GB200 NVL72 (per GPU)"),
    ("GB300", "NVIDIA GB300 NVL72 (per GPU)"), ("NVIDIA GB300", "NVIDIA GB300 NVL72 (per GPU)"),
    ("H200 NVL", "NVIDIA H200 NVL"), ("H200", "NVIDIA H200 SXM"), ("NVIDIA H200", "NVIDIA H200 SXM"),
    ("H100 NVL", "NVIDIA H100 NVL 94GB"), ("H100", "NVIDIA H100 PCIe"), ("H20", "NVIDIA H20"),
    ("L20", "NVIDIA L20"), ("L40", "NVIDIA L40"), ("L40S", "NVIDIA L40S"),
    ("MI300X", "AMD Instinct MI300X"), ("AMD Instinct MI325X", "AMD Instinct MI325X"),
    ("MI355X", "AMD Instinct MI355X"), ("MI250", "AMD Instinct MI250"), ("MI250X", "AMD Instinct MI250X"),
    ("RTX 5090", "GeForce RTX 5090"), ("NVIDIA GeForce RTX 5080", "GeForce RTX 5080"),
    ("RTX 5070 Ti", "GeForce RTX 5070 Ti"), ("RTX 5060 Ti", "GeForce RTX 5060 Ti 16GB"),
    ("RTX PRO 6000", "NVIDIA RTX PRO 6000 Blackwell Workstation"),
    ("RTX PRO 6000 Blackwell", "NVIDIA RTX PRO 6000 Blackwell Workstation"),
    ("RTX PRO 6000 Max-Q", "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "NVIDIA RTX PRO 6000 Blackwell Server Edition"),
    ("RTX PRO 5000", "NVIDIA RTX PRO 5000 Blackwell"), ("RTX PRO 4500", "NVIDIA RTX PRO 4500 Blackwell"),
    ("RTX PRO 4000", "NVIDIA RTX PRO 4000 Blackwell"),
    ("DGX Spark", "NVIDIA GB10 (DGX Spark)"), ("NVIDIA GB10", "NVIDIA GB10 (DGX Spark)"),
    ("Jetson Thor", "Jetson AGX Thor (T5000)"), ("Jetson AGX Thor", "Jetson AGX Thor (T5000)"),
    ("NVIDIA Thor", "Jetson AGX Thor (T5000)"),
    ("Arc B580", "Intel Arc B580"), ("Intel Arc B580", "Intel Arc B580"), ("B60", "Intel Arc Pro B60"),
    ("Arc Pro B60", "Intel Arc Pro B60"), ("A770", "Intel Arc A770 16GB"),
    # names that resolved before the table grew resolve the same way
    ("RTX 4090", "GeForce RTX 4090"), ("A100", "NVIDIA A100 40GB PCIe"), ("3080", "GeForce RTX 3080 10GB"),
    ("NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5"), ("Tesla P100", "NVIDIA Tesla P100 (PCIe 16GB)"),
])
def test_common_names(query, expected):
    row = lookup(query)
    assert row is not None and row.name == expected


@pytest.mark.parametrize("query", ["RTX 2080", "GeForce RTX 4060", "NVIDIA GeForce RTX 5060"])
def test_a_card_is_not_read_as_its_ti_or_super(query):
    """Not in the table: planned from what the user says (--vram-gib), never from the higher card's row."""
    assert lookup(query) is None


def test_tier_names_still_match_their_rows():
    assert lookup("RTX 2080 Ti").name == "GeForce RTX 2080 Ti"
    assert lookup("RTX 4070").name == "GeForce RTX 4070" and lookup("RTX 4070 Ti").name == "GeForce RTX 4070 Ti"
    assert lookup("RTX 4070 Ti Super").name == "GeForce RTX 4070 Ti SUPER"


def test_short_names_match_exactly_only():
    assert lookup("L4").name == "NVIDIA L4" and lookup("T4").name == "NVIDIA T4"
    assert lookup("L2") is None                       # not the L20


def test_driver_reported_memory_is_what_a_what_if_plans_with():
    gpu = target_what_if("B200").gpus[0]
    assert gpu.memory_total_bytes == 183359 * MIB and gpu.cc_major == 10
    assert target_what_if("GB10").gpus[0].unified_memory


def test_unknown_gpu_needs_vram_and_lists_close_names():
    with pytest.raises(UsageError, match="not in the GPU table"):
        target_what_if("Some Future GPU")
    assert "GeForce RTX 5090" in close_names("RTX 5095")
    t = target_what_if("Some Future GPU", vram_gib=48, count=2, bandwidth_gbs=1000)
    assert len(t.gpus) == 2 and t.gpus[0].memory_total_bytes == 48 * GIB
    assert t.gpus[0].memory_bandwidth_bytes_per_s == 10 ** 12 and t.gpus[0].vendor == "nvidia"
    assert "not in the GPU table" in t.source
    assert target_what_if("AMD Instinct MI500X", vram_gib=432).gpus[0].vendor == "amd"
    assert target_what_if("Intel Arc Pro B70", vram_gib=32).gpus[0].vendor == "intel"


def test_bandwidth_flag_overrides_a_known_row():
    assert target_what_if("RTX 4090").gpus[0].memory_bandwidth_bytes_per_s == 1008 * 10 ** 9
    assert target_what_if("RTX 4090", bandwidth_gbs=900).gpus[0].memory_bandwidth_bytes_per_s == 900 * 10 ** 9


def test_cli_unknown_gpu_without_vram_is_a_one_line_usage_error(capsys):
    rc = main(["check", MODEL, "--gpu", "RTX 5095"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "not in the GPU table" in err and "GeForce RTX 5090" in err and "--vram-gib" in err


def test_cli_unknown_gpu_with_vram_plans(capsys):
    rc = main(["plan", MODEL, "--engine", "vllm", "--gpu", "Some Future GPU", "--vram-gib", "48",
               "--bandwidth-gbs", "1000", "--json"])
    doc = json.loads(capsys.readouterr().out)
    gpu = doc["machine"]["gpus"][0]
    assert rc == 0 and doc["plan"]["fits"] is True
    assert gpu["memory_total_bytes"] == 48 * GIB and gpu["memory_bandwidth_bytes_per_s"] == 10 ** 12
    assert doc["plan"]["decode_tokens_per_s"] > 0
    rc = main(["check", MODEL, "--gpu", "Some Future GPU", "--vram-gib", "48", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["plan"]["fits"] is True and "not in the GPU table" in doc["machine"]["source"]


def test_cli_b200_plans(capsys):
    rc = main(["plan", MODEL, "--engine", "vllm", "--gpu", "NVIDIA B200", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["plan"]["fits"] is True
    assert doc["machine"]["gpus"][0]["memory_bandwidth_bytes_per_s"] == 8000 * 10 ** 9


@pytest.mark.parametrize("value", ["0", "-5", "nan", "100001", "fast"])
def test_cli_bandwidth_is_validated(value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", MODEL, "--gpu", "RTX 4090", "--bandwidth-gbs", value])
    assert exc.value.code == 2 and "--bandwidth-gbs" in capsys.readouterr().err
