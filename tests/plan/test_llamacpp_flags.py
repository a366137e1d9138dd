from llmdoctor.engines.llamacpp.flags import build_number, effective, parse_llamacpp_args


def test_short_and_long_forms_map_to_long_names():
    argv = ["-m", "/m/x.gguf", "-ngl", "99", "-c", "8192", "-np", "2", "-fa", "on", "-ctk", "q8_0",
            "--cache-type-v=q8_0", "-ts", "3,1", "-sm", "row", "-ot", r"blk\.1\.ffn_.*_exps=CPU",
            "-ot", "x=CUDA0", "-b", "1024", "-ub", "256", "-kvu", "--swa-full", "--n-cpu-moe", "4",
            "--jinja", "--reasoning-budget", "0", "-nkvo", "--fit", "off", "-fitt", "2048"]
    model, flags, unknown = parse_llamacpp_args(argv)
    assert model == "/m/x.gguf" and unknown == []
    assert flags["n_gpu_layers"] == 99 and flags["ctx_size"] == 8192 and flags["parallel"] == 2
    assert flags["flash_attn"] == "on" and flags["cache_type_k"] == "q8_0" and flags["cache_type_v"] == "q8_0"
    assert flags["tensor_split"] == [3.0, 1.0] and flags["split_mode"] == "row"
    assert flags["override_tensor"] == [r"blk\.1\.ffn_.*_exps=CPU", "x=CUDA0"]
    assert flags["batch_size"] == 1024 and flags["ubatch_size"] == 256
    assert flags["kv_unified"] and flags["swa_full"] and flags["n_cpu_moe"] == 4
    assert flags["jinja"] and flags["reasoning_budget"] == 0 and flags["no_kv_offload"]
    assert flags["fit"] == "off" and flags["fit_target"] == [2048.0]


def test_ngl_words_negative_numbers_and_unknown_flags_kept():
    _, flags, unknown = parse_llamacpp_args(["-ngl", "-1", "--foo", "bar", "--n-gpu-layers", "all", "--baz"])
    assert flags["n_gpu_layers"] == -2                     # 'all' (common/arg.cpp); the later one wins
    assert unknown == ["--foo", "bar", "--baz"]
    _, flags, _ = parse_llamacpp_args(["-ngl", "auto"])
    assert flags["n_gpu_layers"] == -1


def test_server_defaults_and_legacy_mmap_flags():
    eff = effective({})
    assert eff["ctx_size"] == 0 and eff["parallel"] == -1 and eff["fit"] is True
    assert eff["ubatch_size"] == 512 and eff["batch_size"] == 2048 and eff["swa_full"] is False
    assert effective({}, program="llama-cli")["parallel"] == 1
    assert effective({"no_mmap": True, "mlock": True})["load_mode"] == "mlock-no-mmap"
    assert effective({"no_mmap": True})["load_mode"] == "none"
    assert effective({"load_mode": "mlock"})["load_mode"] == "mlock"


def test_build_number():
    assert build_number("b6123") == 6123
    assert build_number("version: 10114 (ed7adbfef)") == 10114
    assert build_number(None) is None
