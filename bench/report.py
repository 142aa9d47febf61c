"""Shared by the bench/*.sh drivers: reading both sides' JSON lines and recording a section of
docs/benchmarks.md."""
import collections
import json
import pathlib
import platform
import re


def rounds(path):
    """Per op, the times (median_ms) of each round in file order."""
    result = collections.OrderedDict()
    for line in open(path):
        row = json.loads(line)
        result.setdefault(row["op"], []).append(row)
    return result


def paired_ratios(swift_path, torch_path):
    """Per op: (swift rows, torch rows, the per-round ratios Swift/PyTorch). Round r of one side is compared with
    round r of the other, which ran next to it in time, so slow drifts of the machine cancel; the median over
    rounds is the figure we record, min and max show the spread."""
    swift, ref = rounds(swift_path), rounds(torch_path)
    out = collections.OrderedDict()
    for op, rows in swift.items():
        other = ref[op]
        ratios = [a["median_ms"] / b["median_ms"] for a, b in zip(rows, other)]
        out[op] = (rows, other, ratios)
    return out


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def quartiles(values):
    """First and third quartiles (medians of the lower and upper halves)."""
    values = sorted(values)
    half = len(values) // 2
    return median(values[:max(half, 1)]), median(values[-max(half, 1):])


def cpu_name():
    return next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
                platform.machine())


def record_section(name, section):
    """Replaces (or appends) the `## name` section of docs/benchmarks.md."""
    doc = pathlib.Path("docs/benchmarks.md")
    text = doc.read_text() if doc.exists() else \
        "# Benchmarks\n\nRatios are Swift / PyTorch measured side by side in one run.\n\n"
    if f"## {name}\n" in text:
        text = re.sub(rf"## {name}\n.*?(?=\n## |\Z)", section.rstrip("\n") + "\n", text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text)
