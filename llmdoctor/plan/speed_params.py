"""Calibrated constants of the speed model (speed_model.py). Written by benchmarks/speed/fit.py from the
calibration rows of benchmarks/speed/runs.csv; do not edit by hand (re-run the fit).

t_* in seconds; cap_w / cap_kv in GB/s: the decode kernels' own ceiling on streaming weights / KV (in
series with ETA_PEAK x the GPU's peak bandwidth); eta_moe scales the routed experts' streaming rate;
eta_mm and eta_pf are fractions of the GPU table's dense FLOPs for batched decode and prefill; pf_moe
the prefill efficiency of MoE models relative to dense; eta_attn prefill attention's fraction of the 16-bit
peak; serial_share the part of the shorter of host and GPU work a vLLM step does not overlap; t_layer_seq
vLLM's cost per layer per sequence of a batch; t_node llama.cpp's host launch time per decode-graph operation
without CUDA graphs (engines/llamacpp/graph.py counts them); eta_mla the FA3 MLA decode's fraction of the 16-bit peak of the SMs it keeps busy, fa3_alpha
the exponent of the KV bandwidth's share when FA3's GQA decode keeps under 80 % of the SMs busy (vLLM,
Hopper); t_layer_linear and pf_linear llama.cpp's cost per Gated DeltaNet layer a decode step and a prompt
token; arch_factor the bandwidth factor of a GPU generation with rows of its own (llama.cpp on Pascal, its
2- and 3-bit K-quants apart: speed_model.arch_key). `spread` is the 90th-percentile relative error of single-stream decode on the calibration rows.
"""

PARAMS = {'vllm': {'basis': 'vLLM 0.26.0 on one H200 (9 models and shapes, 1B-70B: bf16, fp8, AWQ, MoE, MLA, eager; '
                   'four of them at 16K-123K tokens) + a public DGX Spark NVFP4 row',
          't_fixed': 0.001483,
          't_seq': 7.752e-06,
          't_layer': 1e-12,
          't_layer_eager': 0.0004387,
          'cap_w': {'bf16': 21310.0, 'fp8': 12770.0, 'int4': 100000.0},
          'default_format': 'bf16',
          'eta_moe': 1.0,
          'cap_kv': 100000.0,
          'eta_mm': 0.208,
          'eta_pf': {'bf16': 0.9014, 'fp8': 0.678, 'int4': 0.6655, 'fp4': 0.9445},
          'memory_class_factor': {'lpddr': 0.6264, 'hbm': 1.0, 'gddr': 1.0},
          't_pf_moe': 0.04197,
          'mv_batch': 0.0,
          'pf_moe': 1.0,
          't_pf': 0.009833,
          'spread': 0.285,
          'calibrated_formats': ['bf16', 'fp4', 'fp8', 'int4'],
          'memory_classes': ['gddr', 'hbm', 'lpddr'],
          't_layer_fmt': {'fp8': 9.42e-06, 'int4': 6.861e-05},
          't_layer_moe': 3.646e-05,
          'moe_class_factor': {},
          'eta_attn': 0.5659,
          'serial_share': 0.5536,
          't_layer_seq': 4.915e-07,
          'eta_mla': 0.6168,
          'fa3_alpha': 1.168,
          'arch_factor': {}},
 'llamacpp': {'basis': 'llama.cpp 0c1e57098 on one H200 (12 GGUF files, 0.8B-30B, Q4_0/Q4_K_M/Q8_0/F16, '
                       'Gated DeltaNet on 2; llama-server on 5 of them; depth to 64K; without CUDA graphs on '
                       '3) + public RTX 3090, DGX Spark and Tesla P40 rows',
              't_fixed': 0.0001472,
              't_seq': 6.146e-05,
              't_layer': 2.994e-05,
              't_node': 3.295e-06,
              't_iter': 1.308e-10,
              'cap_w': {'q4_0': 100000.0, 'q4_k': 3884.0, 'q8_0': 100000.0, 'f16': 100000.0},
              'default_format': 'q4_k',
              'eta_moe': 1.0,
              'cap_kv': 4665.0,
              'eta_mm': 0.05117,
              'eta_pf': {'all': 0.3303},
              'cap_pf': {'q4_0': 180.1, 'q4_k': 156.1, 'q8_0': 187.2, 'f16': 3194.0},
              'memory_class_factor': {'lpddr': 1.0, 'gddr': 1.0, 'hbm': 1.0},
              't_pf_moe': 0.01718,
              'mv_batch': 0.2447,
              'pf_moe': 1.0,
              't_pf': 0.006518,
              'spread': 0.187,
              'calibrated_formats': ['f16', 'q2_k', 'q3_k', 'q4_0', 'q4_1', 'q4_k', 'q5_0', 'q8_0'],
              'memory_classes': ['gddr', 'hbm', 'lpddr'],
              't_layer_fmt': {'f16': 1.318e-06, 'q4_0': 1.198e-05, 'q8_0': 4.613e-06},
              't_layer_moe': 8.22e-06,
              'moe_class_factor': {'lpddr': 0.5396},
              't_serve': 0.0004121,
              'mmq_floor': 2.499,
              'eta_attn': 0.1774,
              't_layer_linear': 2.554e-05,
              'pf_linear': 9.628e-07,
              'arch_factor': {'pascal': 0.6959, 'pascal-lowk': 0.3334}}}

ETA_PEAK = 0.97

MEMORY_CLASS_FACTOR = {'hbm': 1.0, 'gddr': 1.0, 'lpddr': 0.8, 'cpu': 0.7}   # prior for an engine with no rows in a class

UNCALIBRATED = {'engine': 0.15, 'memory_class': 0.15, 'format': 0.15, 'eager': 0.3, 'host': 0.3, 'batch': 0.15}

MAX_MEASURED_BATCH = 64
