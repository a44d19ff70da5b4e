#!/usr/bin/env python3
"""Benchmarks/origin.py: a small counting origin for the coalescing and restart scenarios.

Standard library only (asyncio). HTTP/1.1 with keep-alive, GET and HEAD:

  GET /                     204, for readiness probes (not counted)
  GET /slow/NAME            waits --delay seconds, then 200 with --slow-size bytes,
                            Cache-Control: public, max-age=3600 (S4: the stampede)
  GET /obj/NAME?size=BYTES  200 at once with BYTES bytes (default 1 MiB), same Cache-Control (S7: filling a store)
  GET /_count?path=/slow/X  the number of requests seen for that path, as a decimal (not counted)
  GET /_count               the number of counted requests for all paths

Bodies are derived from the path (a repeated 64 KiB random pattern rotated by a hash of the path), so
different URLs have different bytes (no proxy can deduplicate them) and a client can check what it got.
Listens on 127.0.0.1 only. Exits on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import hashlib
import os
import signal
import sys
from collections import Counter
from urllib.parse import parse_qs, urlsplit

PATTERN = os.urandom(65536)
counts: Counter = Counter()


def body_for(path: str, size: int) -> bytes:
    """size bytes that depend on path: the random pattern, rotated by a hash of the path."""
    shift = int.from_bytes(hashlib.sha256(path.encode()).digest()[:4], "big") % len(PATTERN)
    rotated = PATTERN[shift:] + PATTERN[:shift]
    whole, rest = divmod(size, len(rotated))
    return rotated * whole + rotated[:rest]


def head(status: str, length: int, extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Length: {length}\r\n{extra}\r\n").encode()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, args) -> None:
    try:
        while True:
            try:
                request = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = request.decode("latin-1").split("\r\n")
            try:
                method, target, _ = lines[0].split(" ", 2)
            except ValueError:
                writer.write(head("400 Bad Request", 0, "Connection: close\r\n"))
                await writer.drain()
                return
            close = any(line.lower().startswith("connection:") and "close" in line.lower() for line in lines[1:])
            url = urlsplit(target)
            path = url.path
            if path == "/":
                writer.write(head("204 No Content", 0))
            elif path == "/_count":
                query = parse_qs(url.query)
                if "path" in query:
                    n = counts[query["path"][0]]
                else:
                    n = sum(counts.values())
                payload = f"{n}\n".encode()
                writer.write(head("200 OK", len(payload), "Cache-Control: no-store\r\n") + payload)
            elif path.startswith("/slow/") or path.startswith("/obj/"):
                counts[path] += 1
                if path.startswith("/slow/"):
                    await asyncio.sleep(args.delay)
                    size = args.slow_size
                else:
                    size = int(parse_qs(url.query).get("size", [str(1 << 20)])[0])
                payload = body_for(path, size)
                writer.write(head("200 OK", len(payload), "Cache-Control: public, max-age=3600\r\n"))
                if method != "HEAD":
                    writer.write(payload)
            else:
                writer.write(head("404 Not Found", 0, "Cache-Control: no-store\r\n"))
            await writer.drain()
            if close:
                return
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds before /slow/ answers")
    parser.add_argument("--slow-size", type=int, default=16384, help="body bytes of /slow/ responses")
    args = parser.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", args.port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"origin.py listening on 127.0.0.1:{args.port}, delay {args.delay}s", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
