#!/usr/bin/env python3
"""Hostile connections against a running sen, and how other clients fare meanwhile.

    connections.py slow HOST:PORT [--count 1500] [--hold 45] [--interval 5]
        COUNT connections from 127.0.0.1 send a request head one header line every INTERVAL
        seconds and never finish it; each one the server closes is opened again, for HOLD seconds.
    connections.py bigheader HOST:PORT --pid PID [--count 1000] [--bytes 390000] [--hold 10]
        COUNT connections each send BYTES of a header that never ends, stay open HOLD seconds, and
        close; the server's VmRSS is read before, while held and 5 s after.

Meanwhile a probe client, in a process of its own, from 127.0.0.2 (another loopback address, so
per-address limits don't lump it with the attacker) asks for /healthz every 0.25 s on a new
connection, with a 1 s timeout. A slow client the server closed opens again after RECONNECT
seconds (1): a faster storm mostly measures the client's own CPU use on the shared cores.
Prints one JSON object with the figures.
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time

PROBE_TIMEOUT = 1.0


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


class Probe:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.latencies, self.failures, self.statuses = [], 0, {}

    async def once(self):
        started = time.monotonic()
        try:
            async def ask():
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, local_addr=("127.0.0.2", 0))
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                await writer.drain()
                line = await reader.readline()
                await reader.read()
                writer.close()
                return line
            line = await asyncio.wait_for(ask(), PROBE_TIMEOUT)
            status = line.split(b" ")[1].decode() if line.startswith(b"HTTP/") else "none"
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == "200":
                self.latencies.append(time.monotonic() - started)
            else:
                self.failures += 1
        except (asyncio.TimeoutError, OSError):
            self.failures += 1

    async def run(self, stop):
        while not stop.is_set():
            asyncio.ensure_future(self.once())
            await asyncio.sleep(0.25)
        await asyncio.sleep(PROBE_TIMEOUT + 0.1)

    def report(self):
        lat = sorted(self.latencies)
        pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None
        return {"probe_ok": len(lat), "probe_failed": self.failures, "probe_statuses": self.statuses,
                "probe_p50_ms": pick(0.5), "probe_p99_ms": pick(0.99),
                "probe_max_ms": round(lat[-1] * 1000, 1) if lat else None}


def start_probe(target, hold):
    """The probe in a process of its own, so the attacking clients' CPU use doesn't delay it."""
    return subprocess.Popen([sys.executable, __file__, "probe", target, "--hold", str(hold)],
                            stdout=subprocess.PIPE, text=True)


def probe_report(proc):
    out, _ = proc.communicate()
    return json.loads(out)


async def probe_only(args):
    host, port = args.target.rsplit(":", 1)
    stop = asyncio.Event()
    probe = Probe(host, int(port))
    task = asyncio.ensure_future(probe.run(stop))
    await asyncio.sleep(args.hold)
    stop.set()
    await task
    print(json.dumps(probe.report()))


async def slow_one(host, port, interval, reconnect, stop, stats):
    """One slow client: opens, trickles header lines, and when the server closes, opens again."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.1", 0))
        except OSError:
            stats["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        opened = time.monotonic()
        stats["opened"] += 1
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: slow\r\n")
            await writer.drain()
            n = 0
            while not stop.is_set():
                try:
                    data = await asyncio.wait_for(reader.read(4096), interval)
                    if not data:  # closed by the server
                        stats["closed_by_server"] += 1
                        stats["lifetimes"].append(time.monotonic() - opened)
                        break
                    if data.startswith(b"HTTP/"):
                        code = data.split(b" ")[1].decode()
                        stats["answers"][code] = stats["answers"].get(code, 0) + 1
                except asyncio.TimeoutError:
                    n += 1
                    writer.write(b"X-Slow-%d: x\r\n" % n)
                    await writer.drain()
        except OSError:
            stats["closed_by_server"] += 1
            stats["lifetimes"].append(time.monotonic() - opened)
        finally:
            writer.close()
        # Don't spin on a server that refuses at once.
        await asyncio.sleep(reconnect)


async def slow(args):
    host, port = args.target.rsplit(":", 1)
    stop = asyncio.Event()
    stats = {"opened": 0, "connect_failed": 0, "closed_by_server": 0, "lifetimes": [], "answers": {}}
    tasks = [asyncio.ensure_future(slow_one(host, int(port), args.interval, args.reconnect, stop, stats))
             for _ in range(args.count)]
    # The probe starts once the slow connections are open (about a second for 1,500).
    await asyncio.sleep(min(5, args.count / 1000))
    probe = start_probe(args.target, args.hold)
    await asyncio.sleep(args.hold)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lifetimes = sorted(stats.pop("lifetimes"))
    out = {"mode": "slow", "count": args.count, "hold_s": args.hold, **stats,
           "median_life_s": round(lifetimes[len(lifetimes) // 2], 1) if lifetimes else None,
           **probe_report(probe)}
    print(json.dumps(out))


async def big_one(host, port, size, held, stop, stats):
    try:
        reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.1", 0))
    except OSError:
        stats["connect_failed"] += 1
        return
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: big\r\nX-Big: ")
        chunk = b"a" * 16384
        sent = 0
        while sent < size:
            writer.write(chunk[: min(len(chunk), size - sent)])
            await writer.drain()
            sent += min(len(chunk), size - sent)
        stats["sent_all"] += 1
    except OSError:
        stats["cut_by_server"] += 1
    held.append(1)
    try:
        data = await asyncio.wait_for(reader.read(4096), 3600)
        if data.startswith(b"HTTP/"):
            code = data.split(b" ")[1].decode()
            stats["answers"][code] = stats["answers"].get(code, 0) + 1
    except (OSError, asyncio.TimeoutError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def bigheader(args):
    host, port = args.target.rsplit(":", 1)
    stop = asyncio.Event()
    stats = {"sent_all": 0, "cut_by_server": 0, "connect_failed": 0, "answers": {}}
    before = rss_mb(args.pid)
    held = []
    tasks = [asyncio.ensure_future(big_one(host, int(port), args.bytes, held, stop, stats))
             for _ in range(args.count)]
    probe = start_probe(args.target, args.hold + 2)
    deadline = time.monotonic() + 60
    while len(held) < args.count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    peak = rss_mb(args.pid)
    for _ in range(int(args.hold * 4)):
        await asyncio.sleep(0.25)
        peak = max(peak, rss_mb(args.pid))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stop.set()
    await asyncio.sleep(5)
    after = rss_mb(args.pid)
    print(json.dumps({"mode": "bigheader", "count": args.count, "bytes": args.bytes, **stats,
                      "rss_before_mb": round(before, 1), "rss_held_mb": round(peak, 1),
                      "rss_after_mb": round(after, 1), **probe_report(probe)}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["slow", "bigheader", "probe"])
    p.add_argument("target")
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--hold", type=float, default=None)
    p.add_argument("--interval", type=float, default=5)
    p.add_argument("--reconnect", type=float, default=1)
    p.add_argument("--bytes", type=int, default=390_000)
    p.add_argument("--pid", type=int)
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.mode == "probe":
        asyncio.run(probe_only(args))
    elif args.mode == "slow":
        args.count = args.count or 1500
        args.hold = args.hold or 45
        asyncio.run(slow(args))
    else:
        args.count = args.count or 1000
        args.hold = args.hold or 10
        asyncio.run(bigheader(args))


if __name__ == "__main__":
    main()
