#!/usr/bin/env python3
"""Benchmark `brokertrace lookup`: 1,000 loopback sites, each on its own
port, each answering after 50 ms; half of them have the profile.

Usage: benches/lookup.py [BINARY] [extra lookup flags...]
  BINARY defaults to target/release/brokertrace, else target/debug/brokertrace.
Prints wall time, sites/s, peak RSS, start-up time, and checks that exactly
the expected URLs were found. Needs only python3 (standard library).
"""
import asyncio, json, os, statistics, subprocess, sys, tempfile, threading, time

SITES, DELAY, USER = 1000, 0.050, "jqbench"

def binary():
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        return sys.argv[1], sys.argv[2:]
    for p in ("target/release/brokertrace", "target/debug/brokertrace"):
        if os.path.exists(p):
            return p, sys.argv[1:]
    sys.exit("build brokertrace first (cargo build)")

async def handle(reader, writer, exists):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            await asyncio.sleep(DELAY)
            if path == "/robots.txt":
                status, body = "404 Not Found", b""
            elif exists and path == "/user/" + USER:
                status, body = "200 OK", b"<h1>profile</h1>"
            else:
                status, body = "404 Not Found", b"<h1>no such user</h1>"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

def fixture(ports, ready):
    async def main():
        for i in range(SITES):
            srv = await asyncio.start_server(
                lambda r, w, e=(i % 2 == 0): handle(r, w, e), "127.0.0.1", 0, backlog=64)
            ports.append(srv.sockets[0].getsockname()[1])
        ready.set()
        await asyncio.Event().wait()
    asyncio.run(main())

def main():
    exe, extra = binary()
    ports, ready = [], threading.Event()
    threading.Thread(target=fixture, args=(ports, ready), daemon=True).start()
    ready.wait()
    sites = {f"site{i:04}": {"url": f"http://127.0.0.1:{p}/user/{{}}", "urlMain": f"http://127.0.0.1:{p}/",
                             "errorType": "status_code"} for i, p in enumerate(ports)}
    expected = sorted(f"http://127.0.0.1:{p}/user/{USER}" for i, p in enumerate(ports) if i % 2 == 0)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(sites, f)
    starts = []
    for _ in range(20):
        t = time.perf_counter()
        subprocess.run([exe, "--version"], stdout=subprocess.DEVNULL, check=True)
        starts.append(time.perf_counter() - t)
    t = time.perf_counter()
    p = subprocess.Popen([exe, "lookup", USER, "--sites", f.name, *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    os.unlink(f.name)
    found = out.split()
    print(f"binary:      {exe} {' '.join(extra)}")
    print(f"wall time:   {wall:.3f} s for {SITES} sites ({DELAY*1000:.0f} ms each)")
    print(f"sites/s:     {SITES / wall:.0f}")
    print(f"peak RSS:    {usage.ru_maxrss / 1024:.1f} MB")
    print(f"start-up:    {statistics.median(starts)*1000:.1f} ms (median of 20 `--version` runs)")
    print(f"summary:     {err.strip().splitlines()[-1] if err.strip() else '-'}")
    print(f"found:       {len(found)} URLs, expected {len(expected)}: {'exact match' if sorted(found) == expected else 'MISMATCH'}")
    sys.exit(0 if sorted(found) == expected else 1)

if __name__ == "__main__":
    main()
