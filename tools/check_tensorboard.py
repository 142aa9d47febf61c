"""Loads a folder of event files with the real `tensorboard` package and prints what TensorBoard shows.

The Swift RunLogs target writes TensorBoard event files by hand (TFRecord framing, CRC-32C, Event
protobufs); this tool is the independent check that TensorBoard accepts them (its reader verifies both
CRCs of every record) and that a resumed run's SessionLog START hides the crashed run's orphaned steps.

    .venv-reference/bin/python tools/check_tensorboard.py DIR [--expect TAG ...] [--values] [--plugin]

Prints every scalar tag with its count and first/last step (and value); exits 1 if a tag given with
--expect is missing, 2 if DIR holds no event file. By default it uses EventAccumulator
(tensorboard.backend.event_processing.event_accumulator), as `tensorboard.backend` tools do; --plugin
uses plugin_event_accumulator, TensorBoard's own server-side Python loader (`--load_fast=false`),
whose restart handling differs (it ignores a run's first SessionLog START).
"""
import argparse
import os
import sys

from tensorboard.backend.event_processing import event_accumulator, io_wrapper, plugin_event_accumulator
from tensorboard.util import tensor_util


def scalar_series(directory, plugin):
    """{tag: [(step, value)]} in the order TensorBoard holds them, every value kept (no sampling)."""
    if plugin:
        accumulator = plugin_event_accumulator.EventAccumulator(directory, size_guidance={"tensors": 0})
        accumulator.Reload()
        return {
            tag: [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]
        }
    accumulator = event_accumulator.EventAccumulator(directory, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", help="folder of events.out.tfevents.* files")
    parser.add_argument("--expect", action="append", default=[], metavar="TAG", help="fail if this tag is missing")
    parser.add_argument("--values", action="store_true", help="also print every (step, value)")
    parser.add_argument("--plugin", action="store_true", help="load with plugin_event_accumulator")
    args = parser.parse_args()

    files = sorted(
        name for name in (os.listdir(args.directory) if os.path.isdir(args.directory) else [])
        if io_wrapper.IsSummaryEventsFile(os.path.join(args.directory, name))
    )
    if not files:
        print(f"{args.directory}: no event files", file=sys.stderr)
        return 2
    print(f"{args.directory}: {len(files)} event file(s), read in this order: {', '.join(files)}")

    series = scalar_series(args.directory, args.plugin)
    for tag in sorted(series):
        points = series[tag]
        (first_step, first_value), (last_step, last_value) = points[0], points[-1]
        print(f"{tag}: count={len(points)} first_step={first_step} ({first_value:.9g}) "
              f"last_step={last_step} ({last_value:.9g})")
        if args.values:
            print("  " + " ".join(f"{step}:{value:.9g}" for step, value in points))

    missing = [tag for tag in args.expect if tag not in series]
    for tag in missing:
        print(f"missing expected tag: {tag}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
