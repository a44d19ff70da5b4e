#!/usr/bin/env python3
"""Benchmarks/client.py: the HTTP clients wrk cannot be, for S4 and S7. Standard library only.

  stampede --port P --path /slow/KEY [--clients 200]
      opens CLIENTS connections to 127.0.0.1:P, waits until all are connected, then sends one
      GET PATH on each at the same moment and reads every response to its end. Prints one JSON
      object: clients ok/failed, statuses, wall seconds from the send until the last client has
      its whole body, first and last time to first byte, distinct bodies seen.
  fill --port P --prefix /obj/fill --count N --size BYTES [--concurrency 8]
      GETs PREFIX-0 .. PREFIX-(N-1) (?size=BYTES) over CONCURRENCY keep-alive connections, reading
      every body. Prints JSON: requests, failures, bytes, seconds.
  download --port P --path /big.bin [--seconds 10] [--connections 1]
      downloads PATH again and again over keep-alive connections for SECONDS (the download under
      way when time is up is finished), reading into a reused 1 MiB buffer with recv_into so the
      client costs little CPU per byte (wrk reads 8 KiB at a time). Prints JSON: downloads, bytes,
      seconds, GB/s (10^9 bytes per second), failures.
  first --port P --path /obj/KEY [--timeout 60]
      polls 127.0.0.1:P every millisecond until a connection succeeds, sends GET PATH on it (the
      very first request the server sees) and reads the answer. Prints JSON with the absolute
      time (time.time()) at which the first response was complete, status, bytes and headers.

Every loop here is bounded by a count and by --timeout; nothing runs forever.
"""

import argparse
import asyncio
import hashlib
import json
import socket
import sys
import time


async def read_response(reader: asyncio.StreamReader, on_first_byte=None):
    """Reads one HTTP/1.1 response. Returns (status, headers dict, body bytes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    if on_first_byte:
        on_first_byte()
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await _skip_trailers(reader)
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
    return status, headers, body


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    while (await reader.readuntil(b"\r\n")) != b"\r\n":
        pass


def request(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: larder-bench\r\n\r\n".encode()


async def stampede(args) -> dict:
    conns = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", args.port, limit=1 << 20) for _ in range(args.clients)))
    go = asyncio.Event()
    ttfb, done, results = [], [], []
    start = 0.0

    async def one(reader, writer):
        await go.wait()
        writer.write(request(args.path, args.port))
        await writer.drain()
        try:
            status, _, body = await read_response(reader, lambda: ttfb.append(time.monotonic() - start))
            done.append(time.monotonic() - start)
            results.append((status, len(body), hashlib.sha256(body).hexdigest()))
        except Exception as error:  # noqa: BLE001 - any failure counts as a failed client
            results.append((0, 0, repr(error)))
        finally:
            writer.close()

    tasks = [asyncio.create_task(one(r, w)) for r, w in conns]
    await asyncio.sleep(0.05)
    start = time.monotonic()
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.timeout)
    ok = [r for r in results if r[0] == 200]
    return {
        "clients": args.clients,
        "ok": len(ok),
        "failed": len(results) - len(ok),
        "statuses": sorted({r[0] for r in results}),
        "body_bytes": sorted({r[1] for r in ok}),
        "distinct_bodies": len({r[2] for r in ok}),
        "wall_s": round(max(done) if done else float("nan"), 4),
        "ttfb_first_s": round(min(ttfb), 4) if ttfb else None,
        "ttfb_last_s": round(max(ttfb), 4) if ttfb else None,
    }


async def fill(args) -> dict:
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(args.count):
        queue.put_nowait(f"{args.prefix}-{i}?size={args.size}")
    stats = {"requests": 0, "failures": 0, "bytes": 0}

    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=1 << 20)
        try:
            while not queue.empty():
                path = queue.get_nowait()
                writer.write(request(path, args.port))
                status, headers, body = await read_response(reader)
                stats["requests"] += 1
                stats["bytes"] += len(body)
                if status != 200 or len(body) != args.size:
                    stats["failures"] += 1
                if headers.get("connection", "").lower() == "close":
                    # The server ends keep-alive here (nginx after keepalive_requests, 1000 by default).
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=1 << 20)
        finally:
            writer.close()

    start = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(args.concurrency))), timeout=args.timeout)
    stats["seconds"] = round(time.monotonic() - start, 3)
    return stats


def download_loop(port: int, path: str, seconds: float, out: dict) -> None:
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            sock.sendall(request(path, port))
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the response head")
                head += chunk
            header, _, rest = head.partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = next(int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:"))
            remaining = length - len(rest)
            while remaining > 0:
                n = sock.recv_into(view, min(remaining, len(buffer)))
                if n == 0:
                    raise ConnectionError("closed mid-body")
                remaining -= n
            out["bytes"] += length
            out["downloads"] += 1
            if status != 200:
                out["failures"] += 1
    except (OSError, StopIteration, ValueError):
        out["failures"] += 1
    finally:
        sock.close()


def download(args) -> dict:
    import threading
    out = {"downloads": 0, "bytes": 0, "failures": 0}
    start = time.monotonic()
    threads = [threading.Thread(target=download_loop, args=(args.port, args.path, args.seconds, out))
               for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["seconds"] = round(time.monotonic() - start, 3)
    out["gbps"] = round(out["bytes"] / out["seconds"] / 1e9, 3)
    return out


async def first(args) -> dict:
    deadline = time.monotonic() + args.timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=1 << 20)
            break
        except OSError:
            if time.monotonic() > deadline:
                return {"error": f"no connection within {args.timeout}s", "attempts": attempts}
            await asyncio.sleep(0.001)
    connected = time.time()
    writer.write(request(args.path, args.port))
    await writer.drain()
    status, headers, body = await asyncio.wait_for(read_response(reader), timeout=args.timeout)
    answered = time.time()
    writer.close()
    return {
        "connected_at": connected,
        "answered_at": answered,
        "status": status,
        "bytes": len(body),
        "attempts": attempts,
        "headers": {k: v for k, v in headers.items() if k in ("cache-status", "x-cache", "x-varnish", "age")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("stampede")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--timeout", type=float, default=60)
    p = sub.add_parser("fill")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", type=int, default=1 << 20)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--timeout", type=float, default=900)
    p = sub.add_parser("download")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=1)
    p = sub.add_parser("first")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    # 200 sockets plus the interpreter's own files: make sure the soft limit allows them.
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4096:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    except (ImportError, ValueError):
        pass
    if args.command == "download":
        result = download(args)
    else:
        result = asyncio.run({"stampede": stampede, "fill": fill, "first": first}[args.command](args))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main()
