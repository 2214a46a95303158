#!/usr/bin/env python3
"""Scale-out: two app instances on one PostgreSQL database behind nginx (Debian's, installed if missing) on
loopback, sharing one data folder for uploads and mail files. Checks that a session made on one instance works on
the other, that an upload made through one is served by the other, and that a burst of emails queued through the
proxy is written exactly once although both instances' mail workers run.

Usage: python3 tests/scale/two_instances.py [--bin PATH] [--burst 10]
Needs PostgreSQL at TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) and psql. Standard
library only. Prints the figures; exits 1 on any failure.
"""

import argparse
import email
import glob
import http.cookiejar
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "mật khẩu đủ dài"
NGINX_CONF = os.path.join(ROOT, "deploy", "nginx.conf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def with_db(url, name):
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def wait_ready(url, proc):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"two_instances: a process exited at start: {proc.args}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    sys.exit(f"two_instances: {url} not ready")


class Client:
    """A browser-like client: one cookie jar, any base address."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def call(self, method, url, body=None, headers=None, raw=None, content_type=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = dict(headers or {})
        if data is not None:
            h["Content-Type"] = content_type or "application/json"
        if self.csrf:
            h["X-CSRF-Token"] = self.csrf
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def tiny_png():
    """A valid 2×2 PNG, made here (the portal decodes images to make previews)."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xc6\x28\x28" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def mail_text(path):
    """The headers and every decoded text part of an .eml file (quoted-printable and base64 undone)."""
    msg = email.message_from_bytes(open(path, "rb").read())
    parts = [str(msg["To"] or "")]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


def mail_files(data):
    return sorted(glob.glob(os.path.join(data, "mail", "*.eml")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.environ.get("SANGTAO_BIN", os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "sangtao")))
    ap.add_argument("--burst", type=int, default=10)
    args = ap.parse_args()
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"sangtao_scale_{uuid.uuid4().hex}"
    work = tempfile.mkdtemp(prefix="sangtao-scale-")
    data = os.path.join(work, "data")
    os.makedirs(data)
    procs = []
    failed = []

    def check(ok, what):
        print(("  ok    " if ok else "  FAIL  ") + what)
        if not ok:
            failed.append(what)

    psql(admin_url, f"CREATE DATABASE {name}")
    try:
        ports = [free_port(), free_port()]
        proxy = free_port()
        base = f"http://127.0.0.1:{proxy}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANGTAO_") and k != "SMTP_URL"}
        env.update(DATABASE_URL=with_db(admin_url, name), SANGTAO_DATA_DIR=data, SANGTAO_BASE_URL=base,
                   SANGTAO_TRUSTED_PROXIES="127.0.0.1", SANGTAO_MAIL_POLL_MS="100", RUST_LOG="warn")
        subprocess.run([args.bin, "seed-demo"], env=env, check=True, capture_output=True)
        log = open(os.path.join(work, "apps.log"), "ab")
        for p in ports:
            proc = subprocess.Popen([args.bin, "serve"], env={**env, "SANGTAO_BIND": f"127.0.0.1:{p}"},
                                    stdout=log, stderr=log)
            procs.append(proc)
            wait_ready(f"http://127.0.0.1:{p}/readyz", proc)
        # The same proxy configuration as docker-compose.yml's, with loopback addresses and a private prefix.
        conf = open(NGINX_CONF).read()
        conf = conf.replace("server app1:8080;", f"server 127.0.0.1:{ports[0]};")
        conf = conf.replace("server app2:8080;", f"server 127.0.0.1:{ports[1]};")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{proxy};")
        conf = "daemon off;\npid nginx.pid;\nerror_log nginx-error.log;\n" + conf.replace(
            "    upstream sangtao {", "    access_log nginx-access.log upstream;\n    client_body_temp_path tmp;\n"
                                    "    proxy_temp_path tmp;\n    upstream sangtao {", 1)
        os.makedirs(os.path.join(work, "tmp"))
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(conf)
        proc = subprocess.Popen([nginx, "-p", work, "-c", os.path.join(work, "nginx.conf")],
                                stdout=log, stderr=log)
        procs.append(proc)
        wait_ready(f"{base}/readyz", proc)
        a, b = (f"http://127.0.0.1:{p}" for p in ports)

        # Through the proxy, requests reach both instances.
        for _ in range(20):
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
        access = open(os.path.join(work, "nginx-access.log")).read() if os.path.exists(
            os.path.join(work, "nginx-access.log")) else ""
        check(all(f"127.0.0.1:{p}" in access for p in ports), "the proxy spreads requests over both instances")

        # A member registers through the proxy and verifies by the emailed link.
        member = Client()
        email = "nhanrong@example.org"
        status, _ = member.call("POST", f"{base}/api/v1/auth/register", {
            "email": email, "display_name": "Thử Nhân Rộng", "password": PASSWORD, "unit": "phuong-7"})
        check(status == 202, f"registration through the proxy answers 202 (got {status})")
        link = None
        for _ in range(100):
            for path in mail_files(data):
                text = mail_text(path)
                if email in text:
                    m = re.search(r"/verify\?token=([A-Za-z0-9_\-]+)", text)
                    if m:
                        link = m.group(1)
            if link:
                break
            time.sleep(0.1)
        check(link is not None, "the verification email was written")
        status, _ = member.call("POST", f"{a}/api/v1/auth/verify", {"token": link})
        check(status in (200, 204), f"verified on instance A (got {status})")

        # A session made on A works on B.
        status, body = member.call("POST", f"{a}/api/v1/auth/signin", {"email": email, "password": PASSWORD})
        check(status == 200, "signed in on instance A")
        member.csrf = json.loads(body).get("csrf_token", "") if status == 200 else ""
        status, body = member.call("GET", f"{b}/api/v1/me")
        check(status == 200 and email in body.decode(), f"the session works on instance B (got {status})")

        # An upload made through A is served by B, and one made through B by A.
        status, body = member.call("POST", f"{b}/api/v1/ideas", {
            "contest": "sang-tao-tre-2026", "category": "moi-truong", "title": "Nhân rộng điểm thu gom pin cũ"})
        check(status == 201, f"a draft made on instance B (got {status})")
        idea = json.loads(body)["id"] if status == 201 else ""
        png = tiny_png()
        for up, down in ((a, b), (b, a)):
            boundary = "----sangtao-scale"
            raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pin.png\"\r\n"
                   f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
            status, body = member.call("POST", f"{up}/api/v1/ideas/{idea}/attachments", raw=raw,
                                       content_type=f"multipart/form-data; boundary={boundary}")
            att = json.loads(body).get("id") if status == 201 else None
            check(status == 201, f"upload through {up}" + ("" if status == 201 else f" (got {status}: {body[:200]!r})"))
            if att:
                status, got = member.call("GET", f"{down}/attachments/{att}")
                check(status == 200 and got == png, f"the file uploaded on {up} is served by {down}")

        # A burst of emails queued through the proxy: written once each, although both workers run.
        before = len(mail_files(data))
        for i in range(args.burst):
            member_i = Client()
            member_i.call("POST", f"{base}/api/v1/auth/register", {
                "email": f"nhanrong{i}@example.org", "display_name": f"Người {i}", "password": PASSWORD,
                "unit": "phuong-7"}, headers={"X-Forwarded-For": f"10.1.0.{i + 1}"})
        for _ in range(200):
            if len(mail_files(data)) >= before + args.burst:
                break
            time.sleep(0.1)
        time.sleep(2)
        new = mail_files(data)
        recipients = []
        ids = []
        for path in new:
            text = open(path, encoding="utf-8", errors="replace").read()
            to = re.search(r"^To: .*?(nhanrong\d+@example\.org)", text, re.M)
            mid = re.search(r"^Message-ID: (<[^>]+>)", text, re.M | re.I)
            if to:
                recipients.append(to.group(1))
                ids.append(mid.group(1) if mid else path)
        dup = len(recipients) - len(set(recipients))
        check(len(set(recipients)) == args.burst and dup == 0 and len(set(ids)) == len(ids),
              f"{args.burst} emails queued, {len(set(recipients))} written, duplicated {dup}")
        print(f"two_instances: instances 2, burst {args.burst}, emails written {len(set(recipients))}, "
              f"duplicated {dup}; failures {len(failed)}")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        try:
            psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        if not os.environ.get("SCALE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
