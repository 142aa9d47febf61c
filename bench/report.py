"""Shared by the bench/*.sh drivers: reading both sides' JSON lines and recording a section of
docs/benchmarks.md."""
import collections
import json
import pathlib
import platform
import re


def best_rows(path):
    """Per op, the row with the lowest median_ms (each side's best round)."""
    result = collections.OrderedDict()
    for line in open(path):
        row = json.loads(line)
        old = result.get(row["op"])
        if old is None or row["median_ms"] < old["median_ms"]:
            result[row["op"]] = row
    return result


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
