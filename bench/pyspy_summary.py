"""Sum a py-spy raw profile per frame: where a served request's time goes.

    py-spy record -p WORKER_PID --gil -d 12 -r 300 -f raw -o home.raw   (while bench/social.py's load runs)
    .venv/bin/python bench/pyspy_summary.py home.raw [--top 70]

py-spy's raw format is one line per distinct stack ("frame;frame;… count").
Printed: each frame's inclusive share (samples with it anywhere on the stack)
and own share (samples with it on top), highest first. With --gil, py-spy
samples only the thread holding the GIL: the shares are of the worker's
Python time, which is what bounds a server that runs Python on every core.
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

_SITE = re.compile(r" \((.*?)/site-packages/")


def summarise(raw: Path) -> tuple[int, collections.Counter, collections.Counter]:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = [_SITE.sub(" (", frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=70)
    args = parser.parse_args()
    total, inclusive, own = summarise(args.raw)
    print(f"samples: {total}")
    print("--- inclusive")
    for frame, samples in inclusive.most_common(args.top):
        print(f"{100 * samples / total:5.1f}% {frame[:150]}")
    print("--- own")
    for frame, samples in own.most_common(args.top // 2):
        print(f"{100 * samples / total:5.1f}% {frame[:150]}")


if __name__ == "__main__":
    main()
