#!/usr/bin/env python3
"""Nothing acknowledged is lost: submit ideas through the API from several clients, kill the server with SIGKILL at
a random moment, start it again, repeat; then check that every submission that got 201 is stored exactly once (and
that no submission, acknowledged or not, is stored twice).

Usage: python3 tests/crash/kill9.py [--engine sqlite|postgres] [--rounds 5] [--clients 8] [--bin PATH] [--seed N]

PostgreSQL: a fresh database is made (and dropped) through TEST_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/postgres) with psql. Standard library only. Prints the figures; exits 1 if
anything acknowledged was lost or anything was stored twice.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(admin_url, sql):
    return subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout


def with_db(url, name):
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


class Server:
    def __init__(self, binary, env):
        self.binary, self.env, self.proc = binary, env, None

    def start(self, log):
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log)
        url = f"http://{self.env['SANGTAO_BIND']}/readyz"
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"kill9: the server exited at start (code {self.proc.returncode}); see the log")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        sys.exit("kill9: the server did not become ready in 60 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def submit(base, token, contest, key):
    title = f"{key}: đèn năng lượng mặt trời cho hẻm tối"
    body = json.dumps({
        "contest": contest, "submit": True, "title": title, "category": "van-minh-do-thi",
        "summary": "Lắp đèn năng lượng mặt trời ở các hẻm nhỏ chưa có đèn, do thanh niên tình nguyện bảo trì.",
        "situation": "Nhiều hẻm nhỏ trong phường tối vào ban đêm, người đi đường thấy không an toàn.",
        "solution": "Vận động tài trợ đèn, đội thanh niên tình nguyện lắp đặt và kiểm tra hằng tháng.",
        "impact": "Hẻm sáng hơn, người dân yên tâm đi lại buổi tối.",
    }).encode()
    req = urllib.request.Request(
        f"{base}/api/v1/ideas", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                 "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status == 201:
                return json.loads(r.read())["id"]
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError, ConnectionError):
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--bin", default=os.environ.get(
        "SANGTAO_BIN", os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                    "debug", "sangtao")))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"kill9: no server binary at {args.bin} (cargo build first, or --bin)")

    work = tempfile.mkdtemp(prefix="sangtao-kill9-")
    data = os.path.join(work, "data")
    os.makedirs(data)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SANGTAO_PAGE_CACHE_MS")}
    env.update(SANGTAO_DATA_DIR=data, SANGTAO_BIND=f"127.0.0.1:{port}",
               SANGTAO_BASE_URL=f"http://127.0.0.1:{port}", RUST_LOG="warn")
    admin_url = pg_name = None
    if args.engine == "postgres":
        admin_url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        pg_name = f"sangtao_kill9_{uuid.uuid4().hex}"
        psql(admin_url, f"CREATE DATABASE {pg_name}")
        env["DATABASE_URL"] = with_db(admin_url, pg_name)
    try:
        seeded = subprocess.run([args.bin, "seed-bench", "--ideas", "200"], env=env, check=True,
                                capture_output=True, text=True).stdout
        tokens = [l.split("=", 1)[1] for l in seeded.splitlines() if l.startswith("writer_token=")]
        contest = next(l.split("=", 1)[1] for l in seeded.splitlines() if l.startswith("open_contest="))
        server = Server(args.bin, env)
        log = open(os.path.join(work, "server.log"), "ab")
        acknowledged = {}  # key (the title's start) -> id
        attempted = set()
        lock = threading.Lock()
        run = uuid.uuid4().hex[:8]
        base = f"http://127.0.0.1:{port}"
        print(f"kill9: engine {args.engine}, {args.rounds} rounds, {args.clients} clients, seed {args.seed}")
        for rnd in range(1, args.rounds + 1):
            server.start(log)
            stop = threading.Event()

            def client(c):
                n = 0
                while not stop.is_set():
                    n += 1
                    key = f"kill9-{run}-{rnd}-{c}-{n}"
                    with lock:
                        attempted.add(key)
                    idea = submit(base, tokens[c % len(tokens)], contest, key)
                    if idea:
                        with lock:
                            acknowledged[key] = idea

            threads = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
            for t in threads:
                t.start()
            wait = rng.uniform(0.5, 3.0)
            time.sleep(wait)
            server.kill9()
            stop.set()
            for t in threads:
                t.join()
            print(f"  round {rnd}: killed after {wait:.2f} s; acknowledged so far {len(acknowledged)}")
        # Restart once more: recovery must leave everything readable.
        server.start(log)
        server.kill9()
        if args.engine == "sqlite":
            db = sqlite3.connect(os.path.join(data, "sangtao.db"), timeout=30)
            rows = db.execute("SELECT id, title FROM ideas WHERE title LIKE ?", (f"kill9-{run}-%",)).fetchall()
            db.close()
        else:
            out = psql(env["DATABASE_URL"],
                       f"SELECT id || '|' || title FROM ideas WHERE title LIKE 'kill9-{run}-%'")
            rows = [tuple(l.split("|", 1)) for l in out.splitlines() if l]
        stored = {}
        for idea, title in rows:
            stored.setdefault(title.split(":", 1)[0], []).append(idea)
        lost = [t for t, i in acknowledged.items() if i not in stored.get(t, [])]
        duplicated = [t for t, ids in stored.items() if len(ids) > 1]
        unacknowledged_kept = len([t for t in stored if t not in acknowledged])
        print(f"kill9: kills {args.rounds}, attempted {len(attempted)}, acknowledged {len(acknowledged)}, "
              f"stored {len(rows)}; lost: {len(lost)}, duplicated: {len(duplicated)} "
              f"(stored without an answer, as the kill came first: {unacknowledged_kept})")
        for t in lost[:10]:
            print(f"  LOST {t} ({acknowledged[t]})")
        for t in duplicated[:10]:
            print(f"  DUPLICATED {t}: {stored[t]}")
        if lost or duplicated or not acknowledged:
            sys.exit(1)
    finally:
        if pg_name:
            try:
                psql(admin_url, f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
            except subprocess.CalledProcessError:
                pass
        if not os.environ.get("KILL9_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
