"""Ping-pong timing of two long-lived processes that speak the --serve protocol (`spf bench ops --serve`,
`bench/ops_torch.py --serve`): each prints {"ops": [...]}, then runs one iteration of each op name it reads on
stdin and answers {"wall": s, "cpu": s}.

Why: with one process per side per round, the two sides ran seconds to minutes apart, and this machine's drift
(neighbours, steal, frequency) moved an op's median by 15% between runs of the same code. Here the sides take
turns per iteration, first one then the other, the order swapped every round (ABBA), so a drift hits both
within a second; each op's figure is the median over rounds of the within-round ratio. A short pause before
each turn lets the other side's OpenMP threads stop spinning (libgomp spins briefly after a parallel region).
Process CPU time is recorded beside wall time: time stolen by the hypervisor or by other processes is in wall
time only.

Writes one JSON line per op: {"op", "a_wall", "b_wall", "a_cpu", "b_cpu"} (lists in round order, seconds)."""
import argparse
import json
import subprocess
import time


class Side:
    def __init__(self, command):
        self.command = command
        self.process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ops = self.read()["ops"]

    def read(self):
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"error: `{self.command}` ended without answering (exit status {self.process.wait()})")
        row = json.loads(line)
        if "error" in row:
            raise SystemExit(f"error: `{self.command}`: {row['error']}")
        return row

    def run(self, op):
        self.process.stdin.write(op + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="command of side A (the numerator of the ratios)")
    parser.add_argument("--b", required=True, help="command of side B")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warm-up", type=int, default=3, help="untimed turns of each op per side first")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds of rest before each turn")
    parser.add_argument("--only", help="ops whose names contain this text")
    parser.add_argument("--out", required=True, help="JSON lines file to write")
    args = parser.parse_args()
    a, b = Side(args.a), Side(args.b)
    if a.ops != b.ops:
        raise SystemExit(f"error: the sides serve different ops: {a.ops} vs {b.ops}")
    ops = [op for op in a.ops if not args.only or args.only in op]
    for _ in range(args.warm_up):
        for op in ops:
            a.run(op)
            b.run(op)
    times = {op: {"a_wall": [], "b_wall": [], "a_cpu": [], "b_cpu": []} for op in ops}
    for round_index in range(args.rounds):
        for op in ops:
            order = [("a", a), ("b", b)] if round_index % 2 == 0 else [("b", b), ("a", a)]
            for name, side in order:
                time.sleep(args.pause)
                row = side.run(op)
                times[op][name + "_wall"].append(row["wall"])
                times[op][name + "_cpu"].append(row["cpu"])
    a.close()
    b.close()
    with open(args.out, "w") as f:
        for op in ops:
            f.write(json.dumps({"op": op, **times[op]}) + "\n")


if __name__ == "__main__":
    main()
