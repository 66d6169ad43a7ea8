#!/usr/bin/env python3
"""Summarises a DHAT heap profile written by `sse_fanout --heap-profile FILE` (see docs/benchmarks.md).

The profile covers the allocations made while the streams were opened; the bytes still live when it was
written (`eb`) are what the open streams hold. Each allocation site is attributed to the first stack frame that
is not allocator, collection or std plumbing, so the table reads "who keeps this memory".

Usage: python3 crates/backend/benches/dhat_summary.py FILE STREAMS [TOP]
"""
import json
import re
import sys

PLUMBING = re.compile(
    r"^(alloc::|core::|std::|dhat::|hashbrown::|bytes::|<alloc::|<core::|<std::|<dhat::|<hashbrown::|"
    r"<bytes::|__rust|\[root\]|<\w+ as core::|<&|smallvec::|<smallvec::)"
)


def frame_name(raw: str) -> str:
    # "0x55..: crate::module::func (src/file.rs:12:5)" -> "crate::module::func"
    text = raw.split(": ", 1)[-1]
    return re.sub(r" \(.*\)$", "", text).strip()


def main() -> None:
    path, streams = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    with open(path, encoding="utf-8") as f:
        profile = json.load(f)
    frames = profile["ftbl"]
    by_owner: dict[str, list[int]] = {}
    total_bytes = total_blocks = 0
    for pp in profile["pps"]:
        live, blocks = pp.get("eb", 0), pp.get("ebk", 0)
        if live == 0:
            continue
        names = [frame_name(frames[i]) for i in pp["fs"]]
        owner = next((n for n in names if not PLUMBING.match(n)), names[0] if names else "?")
        owner = re.sub(r"::\{\{closure\}\}", "", owner)
        owner = re.sub(r"::h[0-9a-f]{16}$", "", owner)
        entry = by_owner.setdefault(owner, [0, 0])
        entry[0] += live
        entry[1] += blocks
        total_bytes += live
        total_blocks += blocks
    print(f"live after opening {streams} streams: {total_bytes / 1024:.0f} KiB in {total_blocks} blocks, "
          f"{total_bytes / streams:.0f} B and {total_blocks / streams:.1f} blocks per stream")
    print("| allocated by | bytes per stream | blocks per stream | share |")
    print("|---|---|---|---|")
    for owner, (live, blocks) in sorted(by_owner.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"| `{owner}` | {live / streams:.0f} | {blocks / streams:.2f} | {100 * live / total_bytes:.1f} % |")


if __name__ == "__main__":
    main()
