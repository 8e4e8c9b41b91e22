#!/usr/bin/env python
"""Load test of the app's ``/predict``: concurrent ``gradio_client`` users on loopback, bounded in
count and time.

Starts the app (``app.py``, bundled model) on a free 127.0.0.1 port unless ``--url`` names a
running one, then runs ``--users`` users (spread over ``--processes`` client processes, so that
the load generator is not held back by one Python interpreter) for ``--seconds``; each sends a
3 s clip, waits for the answer and sends the next. Prints answers/s, latency percentiles and
errors, and the server's own time per request (decode + features + model, from its log).

Example:
    python scripts/load_test.py --users 20 --seconds 60 --clip examples/angry.mp3 --json load.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_process(url: str, clip: str, users: int, until: float, out: mp.Queue) -> None:
    """``users`` threads of one client process, each looping predict calls until ``until``."""
    import threading

    from gradio_client import Client, handle_file

    def user() -> None:
        client = Client(url, verbose=False)
        while time.time() < until:
            start = time.time()
            try:
                client.predict(handle_file(clip), api_name="/predict")
                out.put(("ok", start, time.time(), ""))
            except Exception as err:  # every failure is counted, with its message
                out.put(("error", start, time.time(), str(err)[:200]))

    threads = [threading.Thread(target=user) for _ in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _http_process(url: str, clip: str, users: int, until: float, out: mp.Queue) -> None:
    """``users`` asyncio users of one process on Gradio's REST API (upload, ``/call/predict``,
    the answer's event stream): the protocol ``gradio_client`` speaks, with aiohttp's C parser
    at a fraction of its CPU."""
    import asyncio

    import aiohttp

    data = Path(clip).read_bytes()

    async def once(session: aiohttp.ClientSession) -> None:
        start = time.time()
        try:
            form = aiohttp.FormData()
            form.add_field("files", data, filename=Path(clip).name)
            async with session.post(f"{url}gradio_api/upload", data=form) as uploaded:
                uploaded.raise_for_status()
                path = (await uploaded.json())[0]
            payload = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]}
            async with session.post(f"{url}gradio_api/call/predict", json=payload) as called:
                event = (await called.json())["event_id"]
            async with session.get(f"{url}gradio_api/call/predict/{event}") as stream:
                kind = ""
                async for raw in stream.content:
                    line = raw.decode().strip()
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and kind in ("complete", "error"):
                        if kind == "error":
                            raise RuntimeError(line[5:].strip() or "error")
                        json.loads(line[5:])
                        break
            out.put(("ok", start, time.time(), ""))
        except Exception as err:  # every failure is counted, with its message
            out.put(("error", start, time.time(), f"{type(err).__name__}: {err}"[:200]))

    async def user(session: aiohttp.ClientSession) -> None:
        while time.time() < until:
            await once(session)

    async def users_of_this_process() -> None:
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(*(user(session) for _ in range(users)))

    asyncio.run(users_of_this_process())


def _wait_until_up(url: str, clip: str, log: Path | None, timeout_s: float = 180) -> None:
    """Until ``url`` answers and, for an app started here, says it is ready (examples cached)."""
    from gradio_client import Client, handle_file

    start = time.time()
    while time.time() - start < timeout_s:
        try:
            if log is None or "ready in" in log.read_text():
                Client(url, verbose=False).predict(handle_file(clip), api_name="/predict")
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")


def run(url: str, clip: str, users: int, seconds: float, processes: int, client: str = "http") -> dict:
    """The load, and what came back: answers/s, latencies, errors."""
    queue: mp.Queue = mp.Queue()
    start = time.time() + 3.0  # clients connect first
    until = start + seconds
    share = [users // processes + (i < users % processes) for i in range(processes)]
    target = _http_process if client == "http" else _user_process
    procs = [mp.Process(target=target, args=(url, clip, n, until, queue)) for n in share if n]
    for p in procs:
        p.start()
    results = []
    while any(p.is_alive() for p in procs) or not queue.empty():
        try:
            results.append(queue.get(timeout=0.5))
        except Exception:  # queue.Empty
            continue
    for p in procs:
        p.join()
    done = [r for r in results if r[2] <= until and r[1] >= start]
    ok = [r for r in done if r[0] == "ok"]
    latencies = np.array([r[2] - r[1] for r in ok]) * 1000
    errors = [r[3] for r in results if r[0] == "error"]
    return {
        "client": client,
        "users": users,
        "seconds": seconds,
        "answers": len(ok),
        "answers_per_s": len(ok) / seconds,
        "p50_ms": float(np.percentile(latencies, 50)) if len(ok) else None,
        "p95_ms": float(np.percentile(latencies, 95)) if len(ok) else None,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
    }


def _profile(url: str) -> dict:
    """Gradio's per-phase medians (ms) over the requests it served (upload, queue wait,
    preprocess, the function, postprocess, total)."""
    import httpx

    summary = httpx.get(f"{url}gradio_api/profiling/summary", timeout=30).json()
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running app (default: start app.py on a free loopback port)")
    p.add_argument("--clip", default=str(ROOT / "examples" / "angry.mp3"), help="audio sent by every user")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--processes", type=int, default=2, help="client processes the users are spread over")
    p.add_argument(
        "--client",
        choices=("http", "gradio"),
        default="http",
        help="http: Gradio's REST API with aiohttp (light); gradio: gradio_client (heavy on the client's CPU)",
    )
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    if not 1 <= args.users <= 200 or not 1 <= args.seconds <= 600:
        p.error("1 ≤ users ≤ 200 and 1 ≤ seconds ≤ 600: a bounded test")

    server = None
    log_path = Path(tempfile.mkdtemp()) / "app.log"
    url = args.url
    if url is None:
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        env = {
            **os.environ,
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_PROFILING": "1",  # Gradio's own per-phase timings: /gradio_api/profiling/summary
        }
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            env=env,
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, args.clip, log_path if server is not None else None)
        result = run(url, args.clip, args.users, args.seconds, args.processes, args.client)
        if server is not None:
            result["server_phases"] = _profile(url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    if server is not None:
        served = [float(m) for m in re.findall(r"answered in (\d+) ms", log_path.read_text())]
        if served:
            result["server_p50_ms"] = float(np.median(served))
    print(
        f"{result['users']} users for {result['seconds']:.0f} s: {result['answers_per_s']:.1f} answers/s, "
        f"p50 {result['p50_ms'] or 0:.0f} ms, p95 {result['p95_ms'] or 0:.0f} ms, {result['errors']} errors"
    )
    if "server_p50_ms" in result:
        print(f"server time per answer (decode, features, model), median: {result['server_p50_ms']:.0f} ms")
    for e in result["error_examples"]:
        print("  error:", e)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
