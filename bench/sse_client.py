#!/usr/bin/env python3
"""SSE load client for bench/sse.sh (issue 12): holds N connections to one
node's /events over raw asyncio sockets and reports what it saw.

  sse_client.py hold PORT N STORY AFTER SECONDS
      open N connections to /events?story=STORY&after=AFTER (at most 500
      connecting at a time), hold them SECONDS, print how many were open
      (answered 200 and still reading) at the end, then close them.
  sse_client.py latency PORT N STORY AFTER DB SEQ POSTS
      open N connections; then POSTS times: note the time, add an update to
      the live story straight into the SQLite database DB with a change event
      (as another node writing would), and wait until every connection has
      read the event with id SEQ+k; print p50/p99 of (arrival - post) in ms
      over all connections and posts.
Bounded: N connections, SECONDS or POSTS × 10 s at most.
"""
import asyncio
import sqlite3
import sys
import time


async def connect(port, path, gate, counters):
    async with gate:
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError as e:
            counters["failed"] += 1
            counters.setdefault("error", str(e))
            return None
        w.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        await w.drain()
        status = await r.readline()
        if b" 200 " not in status:
            counters["refused"] += 1
            w.close()
            return None
        while (await r.readline()) not in (b"\r\n", b""):
            pass
        counters["open"] += 1
        return r, w


async def reader(conn, seen, want, done_evt):
    r, _ = conn
    while True:
        line = await r.readline()
        if not line:
            return
        if line.startswith(b"id: "):
            try:
                seq = int(line[4:].strip())
            except ValueError:
                continue
            seen.append((seq, time.monotonic()))
            if want and seq >= want[0]:
                want[1] += 1
                if want[1] >= want[2]:
                    done_evt.set()


async def hold(port, n, story, after, secs):
    gate = asyncio.Semaphore(500)
    counters = {"open": 0, "refused": 0, "failed": 0}
    path = f"/events?story={story}&after={after}"
    conns = await asyncio.gather(*(connect(port, path, gate, counters) for _ in range(n)))
    conns = [c for c in conns if c]
    print(f"opened {counters['open']} refused {counters['refused']} failed {counters['failed']} {counters.get('error', '')}", flush=True)
    sys.stdout.flush()
    await asyncio.sleep(secs)
    alive = sum(1 for c in conns if not c[0].at_eof())
    print(f"alive {alive}", flush=True)
    for _, w in conns:
        w.close()


def post_update(db, story, body):
    c = sqlite3.connect(db, timeout=30)
    now = int(time.time())
    with c:
        seq = c.execute("UPDATE live_stories SET seq = seq + 1 WHERE story_id = ? RETURNING seq", (story,)).fetchone()[0]
        c.execute("INSERT INTO live_updates (story_id, seq, posted_at, body, html) VALUES (?, ?, ?, ?, ?)",
                  (story, seq, now, body, f"<p>{body}</p>"))
        c.execute("INSERT INTO change_events (at, keys) VALUES (?, ?)", (now, f"story-{story}"))
    c.close()
    return seq


async def latency(port, n, story, after, db, seq, posts):
    gate = asyncio.Semaphore(500)
    counters = {"open": 0, "refused": 0, "failed": 0}
    path = f"/events?story={story}&after={after}"
    conns = [c for c in await asyncio.gather(*(connect(port, path, gate, counters) for _ in range(n))) if c]
    print(f"opened {counters['open']} refused {counters['refused']} failed {counters['failed']}", flush=True)
    seens = [[] for _ in conns]
    want = [0, 0, len(conns)]
    done = asyncio.Event()
    tasks = [asyncio.create_task(reader(c, s, want, done)) for c, s in zip(conns, seens)]
    lat = []
    missing = 0
    for k in range(posts):
        await asyncio.sleep(0.3)
        want[0], want[1] = seq + k + 1, 0
        done.clear()
        t0 = time.monotonic()
        got = await asyncio.to_thread(post_update, db, story, f"bench update {k}")
        assert got == seq + k + 1, (got, seq + k + 1)
        try:
            await asyncio.wait_for(done.wait(), 10)
        except asyncio.TimeoutError:
            pass
        for s in seens:
            t = next((t for q, t in s if q == got), None)
            if t is None:
                missing += 1
            else:
                lat.append((t - t0) * 1000)
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")
    print(f"connections {len(conns)} posts {posts} arrivals {len(lat)} missing {missing} "
          f"p50_ms {pct(0.5):.0f} p99_ms {pct(0.99):.0f} max_ms {lat[-1] if lat else float('nan'):.0f}", flush=True)
    for t in tasks:
        t.cancel()
    for _, w in conns:
        w.close()


def main():
    mode = sys.argv[1]
    if mode == "hold":
        port, n, story, after, secs = map(int, sys.argv[2:7])
        asyncio.run(hold(port, n, story, after, secs))
    elif mode == "latency":
        port, n, story, after = map(int, sys.argv[2:6])
        db = sys.argv[6]
        seq, posts = int(sys.argv[7]), int(sys.argv[8])
        asyncio.run(latency(port, n, story, after, db, seq, posts))
    else:
        sys.exit(f"unknown mode {mode}: use hold or latency")


if __name__ == "__main__":
    main()
