#!/usr/bin/env python3
"""folio-share.py PID: how many of the pages a running Larder has mapped from its store's data.mdb sit in large
folios (Linux 6.16+ ext4 caches file data in large folios; single-page writes into them cost more, see
docs/benchmarks.md, sixth pass). Reads /proc/PID/pagemap and /proc/kpageflags: needs root."""
import struct
import sys

pid = sys.argv[1]
span = None
for line in open(f'/proc/{pid}/maps'):
    if line.rstrip().endswith('/data.mdb'):
        start, end = (int(x, 16) for x in line.split()[0].split('-'))
        span = (start, end)
        break
if span is None:
    sys.exit(f'process {pid} has no data.mdb mapped')
start, end = span
count = (end - start) // 4096
with open(f'/proc/{pid}/pagemap', 'rb') as pagemap, open('/proc/kpageflags', 'rb') as flags:
    pagemap.seek(start // 4096 * 8)
    entries = pagemap.read(count * 8)
    mapped = large = 0
    for index in range(count):
        entry = struct.unpack_from('<Q', entries, index * 8)[0]
        if not entry >> 63:  # not present
            continue
        frame = entry & ((1 << 55) - 1)
        if frame == 0:
            sys.exit('page frame numbers are hidden: run as root')
        mapped += 1
        flags.seek(frame * 8)
        bits = struct.unpack('<Q', flags.read(8))[0]
        if bits >> 15 & 1 or bits >> 16 & 1:  # KPF_COMPOUND_HEAD, KPF_COMPOUND_TAIL
            large += 1
print(f'{mapped} pages of data.mdb mapped, {large} of them in large folios ({100 * large / max(mapped, 1):.0f}%)')
