#!/usr/bin/env python3
"""Side-by-side load harness: rampart vs nginx vs Caddy on this machine, in one run.

What it does (every step bounded in time):
  1. installs the peers and load tools from Debian when missing (nginx, caddy, wrk, h2load, openssl);
  2. builds rampart and the fast upstream/auth server (`peer-servers`) in release mode;
  3. starts, on 127.0.0.1, the upstream and the auth server pinned to the load core;
  4. for each round, for each proxy (alternating, so drift hits everybody alike), starts the proxy
     pinned to its own core with one worker, runs every scenario against it, and stops it;
  5. measures requests/s, p50/p99 latency and the proxy's CPU time per request (utime+stime of
     the proxy's processes from /proc, divided by the requests served, also shown split into
     kernel and user-space time), takes the median of the
     rounds, and writes a Markdown table with ratios into BENCHMARKS.md.

Usage: benches/peers/run.sh [--rounds N] [--duration S] [--only rampart,nginx]
                            [--scenarios idle,plain] [--no-write]

`--scenarios` runs only the named scenarios (plain, fwd, cached, tls, handshake, hs_load, idle); the
others are left out of the table, which is then only printed (BENCHMARKS.md keeps the full one). `--scenarios idle --only rampart --no-write` measures the
resident memory of 10,000 idle keep-alive connections alone, on a fresh proxy process.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROXY_CORE = "1"
LOAD_CORE = "0"
CLK_TCK = os.sysconf("SC_CLK_TCK")

DEBIAN = {  # command -> package
    "nginx": "nginx",
    "caddy": "caddy",
    "wrk": "wrk",
    "h2load": "nghttp2-client",
    "openssl": "openssl",
    "taskset": "util-linux",
}


def log(msg: str) -> None:
    print(f"[peers {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None or Path("/usr/sbin", cmd).exists()


def install_missing() -> None:
    missing = sorted({pkg for cmd, pkg in DEBIAN.items() if not have(cmd)})
    if not missing:
        return
    log(f"installing {' '.join(missing)}")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(sudo + ["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env)
    if r.returncode != 0:
        subprocess.run(sudo + ["apt-get", "update"], env=env, check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env, check=True)
    # Debian starts nginx/caddy services on install; the harness runs its own instances.
    for svc in ("nginx", "caddy"):
        subprocess.run(sudo + ["systemctl", "stop", svc], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        subprocess.run(sudo + ["service", svc, "stop"], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def version_of(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# ---------------------------------------------------------------------------------------------
# Processes


def proc_tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for c in children:
        out.extend(proc_tree(int(c)))
    return out


class Cpu:
    """CPU time of a process tree: user and kernel seconds, read from /proc."""

    def __init__(self, pid: int | None):
        self.user = self.sys = 0.0
        for p in proc_tree(pid) if pid else []:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                self.user += int(fields[11]) / CLK_TCK  # utime
                self.sys += int(fields[12]) / CLK_TCK  # stime
            except (OSError, IndexError, ValueError):
                pass

    def per_request(self, before: "Cpu", n: int) -> tuple[float, float]:
        """(user, kernel) µs per request since `before`."""
        n = max(n, 1)
        return (self.user - before.user) / n * 1e6, (self.sys - before.sys) / n * 1e6


def rss_mib(pid: int) -> float:
    total = 0
    for p in proc_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def start(cmd: list[str], core: str, cwd: Path, log_path: Path, env: dict | None = None) -> subprocess.Popen:
    logf = open(log_path, "ab")
    return subprocess.Popen(
        ["taskset", "-c", core, *cmd],
        cwd=cwd,
        stdout=logf,
        stderr=logf,
        env=env or os.environ.copy(),
        preexec_fn=raise_nofile,
        start_new_session=True,
    )


def stop(p: subprocess.Popen) -> None:
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(timeout=5)


# ---------------------------------------------------------------------------------------------
# Proxies


@dataclass
class Ports:
    upstream: int
    auth: int
    plain: int
    fwd: int
    tls: int
    cached: int


@dataclass
class Proxy:
    name: str
    version: str
    supports_cache: bool = False

    def command(self, work: Path, ports: Ports) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        return os.environ.copy()


class Rampart(Proxy):
    def __init__(self, binary: Path):
        version = version_of([str(binary), "version"]).removeprefix("rampart ")
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        super().__init__("rampart", f"{version} ({commit})" if commit else version, supports_cache=True)
        self.binary = binary

    def command(self, work: Path, p: Ports) -> list[str]:
        (work / "rampart.yaml").write_text(f"""
entryPoints:
  plain: {{address: "127.0.0.1:{p.plain}"}}
  fwd: {{address: "127.0.0.1:{p.fwd}"}}
  cached: {{address: "127.0.0.1:{p.cached}"}}
  tls:
    address: "127.0.0.1:{p.tls}"
    http: {{tls: {{}}}}
providers:
  file: {{filename: "{work}/rampart-dynamic.yaml", watch: false}}
log: {{level: ERROR}}
""")
        (work / "rampart-dynamic.yaml").write_text(f"""
http:
  routers:
    plain: {{rule: "PathPrefix(`/`)", entryPoints: [plain], service: up}}
    fwd: {{rule: "PathPrefix(`/`)", entryPoints: [fwd, tls], service: up, middlewares: [fa]}}
    cached: {{rule: "PathPrefix(`/`)", entryPoints: [cached], service: up, middlewares: [fa-cached]}}
  middlewares:
    fa:
      forwardAuth:
        address: "http://127.0.0.1:{p.auth}/auth"
        trustForwardHeader: true
        authResponseHeaders: [X-authentik-username, X-authentik-groups]
    fa-cached:
      forwardAuth:
        address: "http://127.0.0.1:{p.auth}/auth"
        trustForwardHeader: true
        authResponseHeaders: [X-authentik-username, X-authentik-groups]
        cache: {{ttl: 5s}}
  services:
    up:
      loadBalancer:
        servers: [{{url: "http://127.0.0.1:{p.upstream}"}}]
tls:
  stores:
    default:
      defaultCertificate: {{certFile: "{work}/cert.pem", keyFile: "{work}/key.pem"}}
""")
        return [str(self.binary), f"--configFile={work}/rampart.yaml"]

    def env(self) -> dict:
        env = os.environ.copy()
        env.setdefault("RUST_LOG", "error")
        return env


class Nginx(Proxy):
    def __init__(self):
        super().__init__("nginx", version_of(["nginx", "-v"]).replace("nginx version: ", ""))

    def command(self, work: Path, p: Ports) -> list[str]:
        auth_loc = f"""
        location = /_auth {{
            internal;
            proxy_pass http://auth/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Uri $request_uri;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Method $request_method;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}"""
        protected = """
            auth_request /_auth;
            auth_request_set $ak_user $upstream_http_x_authentik_username;
            auth_request_set $ak_groups $upstream_http_x_authentik_groups;
            proxy_set_header X-authentik-username $ak_user;
            proxy_set_header X-authentik-groups $ak_groups;"""
        (work / "nginx.conf").write_text(f"""
worker_processes 1;
worker_rlimit_nofile 65536;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log error;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    upstream up {{ server 127.0.0.1:{p.upstream}; keepalive 128; }}
    upstream auth {{ server 127.0.0.1:{p.auth}; keepalive 128; }}
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{p.plain};
        location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}
    server {{
        listen 127.0.0.1:{p.fwd};
        location / {{ {protected} proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }}
        {auth_loc}
    }}
    server {{
        listen 127.0.0.1:{p.tls} ssl http2;
        ssl_certificate {work}/cert.pem;
        ssl_certificate_key {work}/key.pem;
        ssl_protocols TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        location / {{ {protected} proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }}
        {auth_loc}
    }}
}}
""")
        return ["nginx", "-c", f"{work}/nginx.conf", "-p", str(work)]


class Caddy(Proxy):
    def __init__(self):
        super().__init__("caddy", version_of(["caddy", "version"]).split()[0])

    def command(self, work: Path, p: Ports) -> list[str]:
        fwd = f"""
    forward_auth 127.0.0.1:{p.auth} {{
        uri /auth
        copy_headers X-authentik-username X-authentik-groups
    }}
    reverse_proxy 127.0.0.1:{p.upstream}"""
        (work / "Caddyfile").write_text(f"""
{{
    admin off
    auto_https off
    log {{
        level ERROR
    }}
}}
http://127.0.0.1:{p.plain} {{
    reverse_proxy 127.0.0.1:{p.upstream}
}}
http://127.0.0.1:{p.fwd} {{ {fwd}
}}
https://127.0.0.1:{p.tls} {{
    tls {work}/cert.pem {work}/key.pem {{
        protocols tls1.3
    }}
    {fwd}
}}
""")
        return ["caddy", "run", "--config", f"{work}/Caddyfile", "--adapter", "caddyfile"]

    def env(self) -> dict:
        env = os.environ.copy()
        env["GOMAXPROCS"] = "1"
        env["HOME"] = env.get("HOME", "/tmp")
        env["XDG_DATA_HOME"] = tempfile.gettempdir()
        env["XDG_CONFIG_HOME"] = tempfile.gettempdir()
        return env


# ---------------------------------------------------------------------------------------------
# Load


@dataclass
class Result:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int = 0
    user_us: float | None = None
    sys_us: float | None = None

    @property
    def cpu_us(self) -> float | None:
        """The proxy's CPU per request, user and kernel."""
        return None if self.user_us is None or self.sys_us is None else self.user_us + self.sys_us

    def with_cpu(self, before: Cpu, after: Cpu) -> "Result":
        """This result with the proxy's CPU per request (user, kernel) filled in."""
        self.user_us, self.sys_us = after.per_request(before, self.requests)
        return self


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def load(cmd: list[str], duration: int, proxy_pid: int | None) -> tuple[str, Cpu, Cpu]:
    """Runs the load command `cmd` on the load core; its output and the proxy's CPU before and
    after."""
    cpu0 = Cpu(proxy_pid)
    out = subprocess.run(["taskset", "-c", LOAD_CORE, *cmd], capture_output=True, text=True,
                         timeout=duration + 60).stdout
    return out, cpu0, Cpu(proxy_pid)


def run_wrk(url: str, duration: int, proxy_pid: int | None) -> Result:
    # Warm up keep-alive connections and pools first.
    subprocess.run(["taskset", "-c", LOAD_CORE, "wrk", "-t1", "-c50", "-d1s", url], capture_output=True, timeout=30)
    out, cpu0, cpu1 = load(["wrk", "-t1", "-c50", f"-d{duration}s", "--latency", url], duration, proxy_pid)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(errs.group(1)) if errs else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    r = Result(rps, _ms(p50.group(1)) if p50 else None, _ms(p99.group(1)) if p99 else None, total, errors)
    return r.with_cpu(cpu0, cpu1) if proxy_pid and total else r


def run_h2load(url: str, duration: int, proxy_pid: int) -> Result:
    subprocess.run(["taskset", "-c", LOAD_CORE, "h2load", "-c16", "-m10", "-D", "1", url], capture_output=True, timeout=30)
    out, cpu0, cpu1 = load(["h2load", "-c16", "-m10", "-D", str(duration), url], duration, proxy_pid)
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
    done, failed, errored = int(m.group(3)), int(m.group(5)), int(m.group(6))
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    non2xx = sum(int(x) for x in codes.groups()[1:]) if codes else 0
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
    return Result(rps, _ms(mean.group(1)) if mean else None, None, done, failed + errored + non2xx).with_cpu(cpu0, cpu1)


def run_handshakes(port: int, duration: int, proxy_pid: int) -> Result:
    out, cpu0, cpu1 = load(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-time", str(duration)],
                           duration, proxy_pid)
    m = re.search(r"(\d+) connections in ([\d.]+)s", out)
    n, secs = int(m.group(1)), float(m.group(2))
    return Result(n / secs, None, None, n).with_cpu(cpu0, cpu1)


def run_handshake_load(target: Path, port: int, duration: int, proxy_pid: int) -> Result:
    """Full handshakes with 16 connections in flight: the proxy's capacity, not a client's
    latency (`openssl s_time` runs one at a time and is itself slower than the proxies)."""
    out, cpu0, cpu1 = load([str(target / "release" / "handshake-load"), f"127.0.0.1:{port}", str(duration), "16"],
                           duration, proxy_pid)
    m = re.search(r"(\d+) handshakes in ([\d.]+) s \(\d+/s\), (\d+) failed", out)
    n, secs, failed = int(m.group(1)), float(m.group(2)), int(m.group(3))
    return Result(n / secs, None, None, n, failed).with_cpu(cpu0, cpu1)


async def _hold_idle(port: int, n: int, settle: float, proxy_pid: int) -> tuple[int, float]:
    conns = []
    req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    sem = asyncio.Semaphore(200)

    async def one():
        async with sem:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
                w.write(req)
                await w.drain()
                await asyncio.wait_for(r.readuntil(b"hello"), 10)
                conns.append(w)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass

    await asyncio.gather(*(one() for _ in range(n)))
    await asyncio.sleep(settle)
    rss = rss_mib(proxy_pid)
    for w in conns:
        w.close()
    return len(conns), rss


def run_idle(port: int, proxy_pid: int, n: int = 10_000) -> tuple[int, float, float]:
    base = rss_mib(proxy_pid)
    held, rss = asyncio.run(_hold_idle(port, n, 2.0, proxy_pid))
    return held, base, rss


# ---------------------------------------------------------------------------------------------
# Main


SCENARIOS = [
    ("plain", "plain proxy, HTTP/1.1 keep-alive (wrk)"),
    ("fwd", "forward auth, HTTP/1.1 (wrk)"),
    ("cached", "forward auth + decision cache, HTTP/1.1 (wrk)"),
    ("tls", "TLS 1.3 + HTTP/2, forward auth (h2load)"),
    ("handshake", "full TLS 1.3 handshakes, one at a time (openssl s_time -new)"),
    ("hs_load", "full TLS 1.3 handshakes, 16 in flight (handshake-load)"),
    ("idle", "10,000 idle keep-alive connections: resident memory"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=8, help="seconds per load run")
    ap.add_argument("--only", default="rampart,nginx,caddy")
    ap.add_argument("--scenarios", default=",".join(k for k, _ in SCENARIOS),
                    help="comma list of scenarios to run (default: all)")
    ap.add_argument("--no-write", action="store_true", help="print the table, do not touch BENCHMARKS.md")
    ap.add_argument("--skip-build", action="store_true")
    args = ap.parse_args()
    known = {k for k, _ in SCENARIOS}
    args.scenarios = [k for k in args.scenarios.split(",") if k]
    unknown = [k for k in args.scenarios if k not in known]
    if unknown:
        log(f"unknown scenario(s) {', '.join(unknown)}; expected some of {', '.join(k for k, _ in SCENARIOS)}")
        return 2

    if os.cpu_count() and os.cpu_count() < 2:
        log("needs 2 cores (one for the proxy, one for load + upstream)")
        return 2
    raise_nofile()
    install_missing()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not args.skip_build:
        log("building rampart and peer-servers (release)")
        subprocess.run(["cargo", "build", "--release", "-p", "rampart-proxy", "-p", "rampart-benches", "--bin", "rampart", "--bin", "peer-servers", "--bin", "handshake-load"],
                       cwd=ROOT, check=True)
    rampart_bin = target / "release" / "rampart"

    work = Path(tempfile.mkdtemp(prefix="rampart-peers-"))
    (work / "nginx-body").mkdir()
    (work / "nginx-proxy").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem"), "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    ports = Ports(*(free_port() for _ in range(6)))
    servers = start([str(target / "release" / "peer-servers"), f"127.0.0.1:{ports.upstream}", f"127.0.0.1:{ports.auth}"],
                    LOAD_CORE, work, work / "peer-servers.log")
    wait_port(ports.upstream)
    wait_port(ports.auth)

    wanted = args.only.split(",")
    proxies: list[Proxy] = []
    if "rampart" in wanted:
        proxies.append(Rampart(rampart_bin))
    if "nginx" in wanted:
        proxies.append(Nginx())
    if "caddy" in wanted:
        proxies.append(Caddy())

    load_before = os.getloadavg()
    results: dict[tuple[str, str], list[Result]] = {}
    idle: dict[str, list[tuple[int, float, float]]] = {}
    direct: list[Result] = []
    try:
        for rnd in range(args.rounds):
            log(f"round {rnd + 1}/{args.rounds}: direct")
            direct.append(run_wrk(f"http://127.0.0.1:{ports.upstream}/", args.duration, None))
            for px in proxies:
                log(f"round {rnd + 1}/{args.rounds}: {px.name}")
                proc = start(px.command(work, ports), PROXY_CORE, work, work / f"{px.name}.log", px.env())
                try:
                    for port in (ports.plain, ports.fwd, ports.tls):
                        wait_port(port)
                    for key, _ in SCENARIOS:
                        if key not in args.scenarios:
                            continue
                        if key == "cached" and not px.supports_cache:
                            continue
                        if key == "plain":
                            r = run_wrk(f"http://127.0.0.1:{ports.plain}/", args.duration, proc.pid)
                        elif key == "fwd":
                            r = run_wrk(f"http://127.0.0.1:{ports.fwd}/", args.duration, proc.pid)
                        elif key == "cached":
                            r = run_wrk(f"http://127.0.0.1:{ports.cached}/", args.duration, proc.pid)
                        elif key == "tls":
                            r = run_h2load(f"https://127.0.0.1:{ports.tls}/", args.duration, proc.pid)
                        elif key == "handshake":
                            r = run_handshakes(ports.tls, args.duration, proc.pid)
                        elif key == "hs_load":
                            r = run_handshake_load(target, ports.tls, args.duration, proc.pid)
                        else:
                            held = run_idle(ports.plain, proc.pid)
                            idle.setdefault(px.name, []).append(held)
                            log(f"  idle: {held[0]:,} held, RSS {held[1]:.1f} MiB before, {held[2]:.1f} MiB held")
                            continue
                        results.setdefault((px.name, key), []).append(r)
                        log(f"  {key}: {r.rps:,.0f}/s cpu {r.cpu_us or 0:.1f}us "
                            f"(user {r.user_us or 0:.1f}, kernel {r.sys_us or 0:.1f}) errors {r.errors}")
                finally:
                    stop(proc)
    finally:
        stop(servers)

    args.load = (load_before, os.getloadavg())
    table = render(proxies, results, idle, direct, args)
    print(table)
    if len(args.scenarios) != len(SCENARIOS):
        log("only some scenarios ran: the table is printed, BENCHMARKS.md is left alone")
    elif not args.no_write:
        write_benchmarks(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, spec="{:,.0f}"):
    return "—" if v is None else spec.format(v)


def render(proxies, results, idle, direct, args) -> str:
    names = [p.name for p in proxies]
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = version_of(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).strip()
    lines = [
        f"Run {when} on {platform.node()} ({cpu}, {os.cpu_count()} cores, Linux {platform.release()}); "
        f"proxy pinned to core {PROXY_CORE} with one worker, load generator + upstream + auth on core {LOAD_CORE}; "
        f"median of {args.rounds} rounds of {args.duration}s each, proxies alternating. "
        f"Load average (1 min) {args.load[0][0]:.2f} before the run, {args.load[1][0]:.2f} after "
        "(other work on the machine inflates every number; ratios within the run are what count).",
        "",
        "Versions: " + ", ".join(f"{p.name} {p.version}" for p in proxies)
        + f", wrk {version_of(['sh', '-c', 'wrk -v 2>&1 | head -1']).split()[1] if have('wrk') else '?'}"
        + f", {version_of(['h2load', '--version'])}, {version_of(['openssl', 'version'])}.",
        "",
        "Command: `benches/peers/run.sh" + (f" --rounds {args.rounds}" if args.rounds != 3 else "")
        + (f" --duration {args.duration}" if args.duration != 8 else "")
        + (f" --scenarios {','.join(args.scenarios)}" if len(args.scenarios) != len(SCENARIOS) else "") + "`",
        "",
    ]
    dr = med([r.rps for r in direct])
    header = "| scenario | metric | " + " | ".join(names) + " | " + " | ".join(
        f"rampart ÷ {n}" for n in names if n != "rampart") + " |"
    lines += [header, "|" + "---|" * (2 + len(names) + len([n for n in names if n != "rampart"]))]
    lines.append(f"| upstream hit directly (ceiling) | req/s | {fmt(dr)} " + "| " * (len(names) - 1 + len([n for n in names if n != 'rampart'])) + "|")
    for key, title in SCENARIOS:
        if key not in args.scenarios:
            continue
        if key == "idle":
            row = [f"| {title} | RSS MiB (held) |"]
            vals = {}
            for n in names:
                xs = idle.get(n, [])
                vals[n] = med([x[2] for x in xs])
                held = med([x[0] for x in xs])
                row.append(f" {fmt(vals[n], '{:.1f}')} ({fmt(held)}) |")
            for n in names:
                if n != "rampart":
                    r, o = vals.get("rampart"), vals.get(n)
                    row.append(f" {fmt(r / o if r and o else None, '{:.2f}')} |")
            lines.append("".join(row))
            continue
        rate = "handshakes/s" if key in ("handshake", "hs_load") else "req/s"
        metrics = [(rate, lambda rs: med([r.rps for r in rs]), "{:,.0f}", True),
                   ("CPU µs/" + ("handshake" if rate != "req/s" else "req"), lambda rs: med([r.cpu_us for r in rs]), "{:.1f}", False),
                   ("… in the kernel", lambda rs: med([r.sys_us for r in rs]), "{:.1f}", False),
                   ("… in user space", lambda rs: med([r.user_us for r in rs]), "{:.1f}", False)]
        if key in ("plain", "fwd", "cached"):
            metrics += [("p50 ms", lambda rs: med([r.p50_ms for r in rs]), "{:.2f}", False),
                        ("p99 ms", lambda rs: med([r.p99_ms for r in rs]), "{:.2f}", False)]
        if key == "tls":
            metrics.append(("mean ms", lambda rs: med([r.p50_ms for r in rs]), "{:.2f}", False))
        for mname, f, spec, _higher in metrics:
            vals = {n: (f(results[(n, key)]) if (n, key) in results else None) for n in names}
            row = f"| {title} | {mname} | " + " | ".join(fmt(vals[n], spec) for n in names) + " |"
            for n in names:
                if n == "rampart":
                    continue
                r, o = vals.get("rampart"), vals.get(n)
                row += f" {fmt(r / o if r and o else None, '{:.2f}')} |"
            lines.append(row)
        if key == "plain" and dr:
            vals = {n: med([r.rps for r in results.get((n, key), [])]) for n in names}
            lines.append(f"| {title} | proxy ÷ direct | " + " | ".join(fmt(vals[n] / dr if vals[n] else None, '{:.2f}') for n in names)
                         + " |" + " |" * len([n for n in names if n != 'rampart']))
        errs = {n: sum(r.errors for r in results.get((n, key), [])) for n in names}
        if any(errs.values()):
            lines.append(f"| {title} | errors (all rounds) | " + " | ".join(str(errs[n]) for n in names) + " |" + " |" * len([n for n in names if n != 'rampart']))
    return "\n".join(lines) + "\n"


def write_benchmarks(table: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    begin, end = "<!-- peers:begin -->", "<!-- peers:end -->"
    block = f"{begin}\n{table}{end}"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text += f"\n## Side by side: rampart, nginx, Caddy\n\n{block}\n"
    path.write_text(text)
    log(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
