"""GPU table, resources lookup, target selection, speed bounds against the seeds."""
import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.plan import target_from_machine, target_what_if
from llmdoctor.plan.gpu_table import lookup
from llmdoctor.plan.speed import active_weight_bytes, decode_upper_bound
from llmdoctor.probes.replay import load_machine
from llmdoctor.resources import data_path, rules_dir


def test_data_file_found():
    assert data_path("gpus.csv").is_file() and rules_dir().is_dir()


@pytest.mark.parametrize("name,cc", [("RTX 2080 Ti", "7.5"), ("NVIDIA A10", "8.6"), ("NVIDIA H100 80GB HBM3", "9.0"),
                                     ("4080 super", "8.9")])
def test_lookup(name, cc):
    assert lookup(name).compute_capability == cc


def test_modded_card_and_unknown():
    t = target_what_if("RTX 2080 Ti", vram_gib=22, count=2)
    assert len(t.gpus) == 2 and t.gpus[0].memory_total_bytes == 22 << 30 and t.gpus[0].cc_major == 7
    from llmdoctor.errors import UsageError
    with pytest.raises(UsageError):
        target_what_if("Voodoo 5 6000")


def test_visible_devices():
    m = load_machine("fixtures/machines/rtx2080ti-22gb-x2-wsl.json")
    assert [g.index for g in target_from_machine(m, "1").gpus] == [1]
    assert [g.index for g in target_from_machine(m, "1,0").gpus] == [1, 0]
    assert [g.index for g in target_from_machine(m, "count=1").gpus] == [0]
    assert len(target_from_machine(m, "all").gpus) == 2
    assert target_from_machine(m, "").gpus == []


def _q5km(model, bpw=5.69):
    return int((model.params_total or 0) * bpw / 8)


@pytest.mark.parametrize("name,measured", [("Qwen--Qwen3-8B", 37.4), ("Qwen--Qwen3-Coder-30B-A3B-Instruct", 58.7)])
def test_decode_bound_on_jetson_thor(name, measured):
    """Seed 003: llama.cpp Q5_K_M on Jetson Thor (273 GB/s). An upper bound: above the measured
    figure, and not absurdly so (kernels reach 40-85% of peak bandwidth)."""
    m = read_model(f"fixtures/models/{name}/config.json")
    est = decode_upper_bound(active_weight_bytes(m, _q5km(m)), 0, 0, 273e9)
    assert measured < est.tokens_per_s < measured / 0.35


def test_decode_bound_qwen35_122b_two_gpus():
    """Seed 000: Qwen3.5-122B-A10B Q2_K_XL (~3 bits/weight), layer split on 2x RTX 4080 SUPER: 60-70 tok/s.
    Layer split runs the GPUs one after the other, so one GPU's bandwidth bounds it."""
    m = read_model("fixtures/models/nvidia--Qwen3.5-122B-A10B-NVFP4/config.json")
    est = decode_upper_bound(active_weight_bytes(m, int(122e9 * 3.0 / 8)), 0, 0, 736e9)
    assert 70 < est.tokens_per_s < 65 / 0.35
