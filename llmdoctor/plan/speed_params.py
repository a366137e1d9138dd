"""Calibrated constants of the speed model (speed_model.py). Written by benchmarks/speed/fit.py from the
calibration rows of benchmarks/speed/runs.csv; do not edit by hand (re-run the fit).

t_* in seconds; cap_w / cap_kv in GB/s: the decode kernels' own ceiling on streaming weights / KV (in
series with ETA_PEAK x the GPU's peak bandwidth); eta_moe scales the routed experts' streaming rate;
eta_mm and eta_pf are fractions of the GPU table's dense FLOPs for batched decode and prefill; pf_moe
the prefill efficiency of MoE models relative to dense. `spread` is the 90th-percentile relative
error of single-stream decode on the calibration rows.
"""

PARAMS = {'vllm': {'basis': 'vLLM 0.26.0 on one H200 (7 models, 1B-70B: bf16, fp8, AWQ, MoE, MLA, eager) + a public '
                   'DGX Spark NVFP4 row',
          't_fixed': 0.0009391,
          't_seq': 3.541e-06,
          't_layer': 1.017e-05,
          't_layer_eager': 0.0003909,
          'cap_w': {'bf16': 20000.0, 'fp8': 17870.0, 'int4': 16900.0},
          'default_format': 'bf16',
          'eta_moe': 1.0,
          'cap_kv': 3057.0,
          'eta_mm': 0.2614,
          'eta_pf': {'bf16': 0.9118, 'fp8': 0.6745, 'int4': 0.6685, 'fp4': 0.9445},
          'memory_class_factor': {'lpddr': 0.627, 'hbm': 1.0, 'gddr': 1.0},
          't_pf_moe': 0.04172,
          'mv_batch': 0.0,
          'pf_moe': 1.0,
          't_pf': 0.009991,
          'spread': 0.281,
          'calibrated_formats': ['bf16', 'fp4', 'fp8', 'int4'],
          'memory_classes': ['gddr', 'hbm', 'lpddr'],
          't_layer_fmt': {'fp8': 1.099e-06, 'int4': 3.211e-05},
          't_layer_moe': 2.172e-05,
          'moe_class_factor': {}},
 'llamacpp': {'basis': 'llama.cpp 0c1e57098 on one H200 (7 GGUF files, 1B-30B, Q4_0/Q4_K_M/Q8_0/F16; '
                       'llama-server on 4 of them) + public RTX 3090 and DGX Spark rows',
              't_fixed': 7.385e-11,
              't_seq': 6.15e-05,
              't_layer': 3.357e-05,
              't_layer_eager': 1.5e-05,
              'cap_w': {'q4_0': 17770.0, 'q4_k': 2782.0, 'q8_0': 20000.0, 'f16': 20000.0},
              'default_format': 'q4_k',
              'eta_moe': 1.0,
              'cap_kv': 2419.0,
              'eta_mm': 0.0597,
              'eta_pf': {'all': 0.2981},
              'cap_pf': {'q4_0': 187.7, 'q4_k': 160.1, 'q8_0': 188.4, 'f16': 432.2},
              'memory_class_factor': {'lpddr': 1.0, 'gddr': 1.0, 'hbm': 1.0},
              't_pf_moe': 0.01956,
              'mv_batch': 0.1994,
              'pf_moe': 1.0,
              't_pf': 0.006388,
              'spread': 0.175,
              'calibrated_formats': ['f16', 'q4_0', 'q4_k', 'q8_0'],
              'memory_classes': ['gddr', 'hbm', 'lpddr'],
              't_layer_fmt': {'f16': 1e-07, 'q4_0': 1.861e-05, 'q8_0': 2.17e-05},
              't_layer_moe': 2.023e-06,
              'moe_class_factor': {'lpddr': 0.5095},
              't_serve': 0.000453,
              'mmq_floor': 1.94}}

ETA_PEAK = 0.97

MEMORY_CLASS_FACTOR = {'hbm': 1.0, 'gddr': 1.0, 'lpddr': 0.8, 'cpu': 0.7}   # prior for an engine with no rows in a class

UNCALIBRATED = {'engine': 0.15, 'memory_class': 0.15, 'format': 0.15, 'eager': 0.3, 'host': 0.3, 'batch': 0.15}

MAX_MEASURED_BATCH = 64
