"""Writes machine.json into every Tests/*/Fixtures folder: the machine whose kernels made the fixtures.

The Swift tests (Tests/ParityTesting) read it: where the running process has the same CPU model, SIMD
flags, ATen CPU capability, torch, MKL and oneDNN builds, results must equal the fixtures bit for bit;
elsewhere they must lie within the per-kind budget of docs/parity.md. make_fixtures.sh runs this last.
"""
import glob
import json
import os

import numpy
import torch

# Keep in step with MachineRecord.simdFlags (Tests/ParityTesting/MachineRecord.swift).
SIMD_FLAGS = {
    "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw",
    "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512ifma", "avx512vbmi", "amx_bf16",
    "amx_tile", "amx_int8", "avx_vnni",
}


def cpuinfo_field(name):
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith(name) and ":" in line:
                return line.split(":", 1)[1].strip()
    return None


def config_line(config, *, after=None, containing=None):
    for raw in config.splitlines():
        line = raw.strip().lstrip("- ")
        if after is not None and line.startswith(after):
            return line[len(after):].strip()
        if containing is not None and containing in raw:
            return line
    return None


# Intra-op threads each fixture folder was recorded with: the op fixtures set one thread (ops_fixtures.py,
# optim_fixtures.py); every other script runs with torch's default, the machine's core count. Multi-threaded
# reductions split work by thread count, so bit-exactness holds only at the same count.
THREADS = {"TorchTests": 1}


def record():
    config = torch.__config__.show()
    from numpy._core._multiarray_umath import __cpu_features__
    flags = set((cpuinfo_field("flags") or "").split()) & SIMD_FLAGS
    return {
        "cpu_model": cpuinfo_field("model name") or "unknown",
        "cpu_flags": sorted(flags),
        "aten_cpu_capability": config_line(config, after="CPU capability usage:") or "unknown",
        "torch_version": torch.__version__,
        "mkl": config_line(config, containing="Math Kernel Library") or "none",
        "onednn": config_line(config, containing="MKL-DNN") or "none",
        "numpy_simd": sorted(k for k, on in __cpu_features__.items() if on),
        "numpy_version": numpy.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def main():
    base = record()
    for folder in sorted(glob.glob(os.path.join("Tests", "*", "Fixtures"))):
        target = os.path.basename(os.path.dirname(folder))
        data = json.dumps(dict(base, torch_threads=THREADS.get(target, base["torch_threads"])), indent=2,
                          sort_keys=True) + "\n"
        path = os.path.join(folder, "machine.json")
        with open(path + ".tmp", "w") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
