"""The PyTorch side of `spf bench ops`: the same ops, shapes, seeds and timing rule (2 warm-up runs, median
of N) on the same libtorch, printing the same JSON lines."""
import argparse
import json
import statistics
import sys
import time

import torch


def cases():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2048, 2048, generator=g)
    b = torch.randn(2048, 2048, generator=g)
    x = torch.randn(2, 320, 64, 64, generator=g)
    w = torch.randn(320, 320, 3, 3, generator=g) * 0.02
    bias = torch.zeros(320)
    xg = x.clone().requires_grad_()
    wg = w.clone().requires_grad_()
    upstream = torch.randn(2, 320, 64, 64, generator=g)
    q = torch.randn(1, 8, 4096, 40, generator=g)
    k = torch.randn(1, 8, 4096, 40, generator=g)
    v = torch.randn(1, 8, 4096, 40, generator=g)
    F = torch.nn.functional

    def gemm():
        a @ b

    def conv_fwd():
        with torch.no_grad():
            F.conv2d(x, w, bias, padding=1)

    def conv_fwd_bwd():
        xg.grad = None
        wg.grad = None
        F.conv2d(xg, wg, bias, padding=1).backward(upstream)

    def attention():
        with torch.no_grad():
            F.scaled_dot_product_attention(q, k, v)

    return [("gemm_2048", gemm), ("conv2d_fwd", conv_fwd), ("conv2d_fwd_bwd", conv_fwd_bwd),
            ("attention_sdpa", attention)]


def median_seconds(iterations, body, warm_up=2):
    """Median wall time of `iterations` runs after `warm_up` untimed ones (the rule spf bench uses)."""
    for _ in range(warm_up):
        body()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def serve(ops):
    """One line {"ops": [...]}, then per op name read from stdin one run of it and {"wall": s, "cpu": s}."""
    bodies = dict(ops)
    print(json.dumps({"ops": [name for name, _ in ops]}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if name not in bodies:
            print(json.dumps({"error": f"unknown op {name}"}), flush=True)
            continue
        cpu = time.process_time()
        start = time.perf_counter()
        bodies[name]()
        wall = time.perf_counter() - start
        print(json.dumps({"wall": wall, "cpu": time.process_time() - cpu}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--only")
    parser.add_argument("--serve", action="store_true",
                        help="the ping-pong protocol of bench/pingpong.py (as `spf bench ops --serve`)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.serve:
        return serve(cases())
    for name, body in cases():
        if args.only and args.only not in name:
            continue
        seconds = median_seconds(args.iterations, body)
        print(json.dumps({"op": name, "median_ms": seconds * 1000, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
