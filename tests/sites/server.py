"""A real HTTP server for the fixture copies of the outlets' sites.

Crawl tests keep the spiders' real URLs (``https://aawsat.com/feed``) and rewrite
each request to ``http://127.0.0.1:<port>/<same path and query>`` with the
original host in the ``X-Fixture-Host`` header (the ``Host`` header is the
fallback), so one server serves every site. Each site is a folder
``tests/sites/<host>/`` whose ``routes.json`` says what every path serves; its
``expected.json`` says what a correct crawl stores. See README.md beside this file.

    with FixtureServer() as server:
        ...crawl with the rewriting middleware pointed at server.base_url...
        assert not server.requests_for("aawsat.com", "/search")

Standalone, for manual poking: ``python -m tests.sites.server --port 8765``.
"""
from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote, urlsplit

SITES_DIR = Path(__file__).resolve().parent
HOST_HEADER = "X-Fixture-Host"

_MEDIA_TYPES = {".html": "text/html", ".xml": "application/xml", ".txt": "text/plain"}
_SERVER_ERROR_PAGE = b"<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>"


def route_key(path_and_query: str) -> str:
    """The form routes are keyed and logged by: path and query percent-decoded
    (UTF-8), so `/%D8%A7...` and `/ا...` are the same route."""
    parts = urlsplit(path_and_query)
    key = unquote(parts.path or "/")
    return f"{key}?{unquote(parts.query)}" if parts.query else key


def site_hosts(sites_dir: Path = SITES_DIR) -> list[str]:
    return sorted(folder.name for folder in sites_dir.iterdir() if (folder / "routes.json").is_file())


def load_expected(host: str, sites_dir: Path = SITES_DIR) -> dict:
    return json.loads((sites_dir / host / "expected.json").read_text(encoding="utf-8"))


def _parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time without a timezone in routes.json: {text}")
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class ServedRequest:
    """One request the server answered, as tests inspect it."""

    host: str  # the site asked for (X-Fixture-Host, else Host without port)
    path: str  # route key: path and query, percent-decoded
    method: str
    status: int
    conditional: bool  # the request carried If-None-Match or If-Modified-Since
    headers: dict[str, str]
    received_at: datetime | None = None  # when the request arrived (before a route's delay)


@dataclass(frozen=True)
class _Page:
    body: bytes
    content_type: str
    last_modified: datetime
    fixed_etag: str | None = None  # e.g. a weak W/"..." that stays through edits
    status: int = 200

    @property
    def etag(self) -> str:
        return self.fixed_etag or '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


class Site:
    """One fixture site: its folder and the routes its `routes.json` declares."""

    def __init__(self, folder: Path):
        config = json.loads((folder / "routes.json").read_text(encoding="utf-8"))
        self.folder = folder
        self.host: str = config["host"]
        self.scheme: str = config.get("scheme", "https")
        self.aliases: list[str] = config.get("aliases", [])
        self.last_modified = _parse_instant(config["last_modified"])
        self.not_found_file: str = config["not_found"]
        self.routes: dict[str, dict] = {route_key(path): spec for path, spec in config["routes"].items()}

    def url(self, path: str) -> str:
        """The real (pre-rewrite) URL of a path on this site, ASCII-safe."""
        return f"{self.scheme}://{self.host}{quote(path, safe='/?&=%:+,;@!$~*()')}"

    def page(self, spec: dict) -> _Page:
        """The 200 page a file route serves; the file is UTF-8 on disk and is
        sent in the route's `encoding`."""
        name = spec["file"]
        data = (self.folder / name).read_bytes()
        encoding = spec.get("encoding", "utf-8")
        if encoding.lower() != "utf-8":
            data = data.decode("utf-8").encode(encoding)
        content_type = spec.get("type") or _MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")
        if "charset=" not in content_type:
            content_type += f"; charset={encoding}"
        stamp = spec.get("last_modified")
        return _Page(data, content_type, _parse_instant(stamp) if stamp else self.last_modified)

    def not_found_page(self) -> bytes:
        return (self.folder / self.not_found_file).read_bytes()


class FixtureServer:
    """Serves every site under `sites_dir` on 127.0.0.1 from a background thread.

    `slow_delay`, if given, replaces the `delay` of every slow route (seconds).
    State (request log, 500-then-200 counters, overrides) belongs to the
    instance: a new server starts fresh."""

    def __init__(self, port: int = 0, *, slow_delay: float | None = None, sites_dir: Path = SITES_DIR,
                 echo: Callable[[ServedRequest], None] | None = None):
        self.sites: dict[str, Site] = {}
        for host in site_hosts(sites_dir):
            site = Site(sites_dir / host)
            for name in (site.host, *site.aliases):
                self.sites[name] = site
        self.slow_delay = slow_delay
        self.requests: list[ServedRequest] = []
        self._requested_port = port
        self._echo = echo
        self._lock = threading.Lock()
        self._attempts: Counter[tuple[str, str]] = Counter()
        self._overrides: dict[tuple[str, str], _Page] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> FixtureServer:
        handler = type("FixtureHandler", (_Handler,), {"fixture": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._requested_port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fixture-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fixture server is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def local_url(self, url: str) -> str:
        """Where a real URL is served here (send its host in `X-Fixture-Host`)."""
        parts = urlsplit(url)
        return f"{self.base_url}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")

    # --- what tests change and inspect -----------------------------------------

    def set_override(self, host: str, path: str, body: str | bytes = "", content_type: str | None = None, *,
                     etag: str | None = None, status: int = 200) -> None:
        """Serve `body` at `path` from now on (any path, declared or not), with a
        new ETag (a hash of the body, or `etag` as given) and a Last-Modified
        later than the one it replaces; with another `status` (404, 410) the
        site's not-found page instead. Text is encoded like the route it
        replaces (UTF-8 if none)."""
        site = self.site(host)
        key = route_key(path)
        spec = site.routes.get(key, {})
        encoding = spec.get("encoding", "utf-8")
        data = body.encode(encoding) if isinstance(body, str) else body
        with self._lock:
            current = self._overrides.get((site.host, key))
            if current is None and "file" in spec:
                current = site.page(spec)
            if content_type is None:
                content_type = current.content_type if current else f"text/html; charset={encoding}"
            now = datetime.now(timezone.utc).replace(microsecond=0)
            last_modified = max(now, current.last_modified + timedelta(seconds=1)) if current else now
            self._overrides[(site.host, key)] = _Page(data, content_type, last_modified, etag, status)

    def clear_override(self, host: str, path: str) -> None:
        with self._lock:
            self._overrides.pop((self.site(host).host, route_key(path)), None)

    def requests_for(self, host: str | None = None, path: str | None = None) -> list[ServedRequest]:
        key = route_key(path) if path is not None else None
        with self._lock:
            return [r for r in self.requests
                    if (host is None or r.host == host) and (key is None or r.path == key)]

    def reset(self) -> None:
        """Forget the request log, the 500-then-200 counters and the overrides."""
        with self._lock:
            self.requests.clear()
            self._attempts.clear()
            self._overrides.clear()

    def site(self, host: str) -> Site:
        site = self.sites.get(host.lower())
        if site is None:
            raise KeyError(f"no fixture site for host {host!r}")
        return site

    # --- answering ---------------------------------------------------------------

    def _answer(self, host: str, raw_path: str, headers) -> tuple[str, _Response, bool]:
        """The response to one request: (route key, response, conditional)."""
        key = route_key(raw_path)
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        site = self.sites.get(host)
        if site is None:
            body = f"no fixture site for host {host!r}\n".encode()
            return key, _Response(404, {"Content-Type": "text/plain; charset=utf-8"}, body), conditional
        with self._lock:
            override = self._overrides.get((site.host, key))
            spec = site.routes.get(key)
            if spec is not None and spec.get("fail_first"):
                self._attempts[(site.host, key)] += 1
                failing = self._attempts[(site.host, key)] <= spec["fail_first"]
            else:
                failing = False
        if override is None and spec is None:
            return key, self._not_found(site), conditional
        spec = spec or {}
        if spec.get("delay"):
            time.sleep(self.slow_delay if self.slow_delay is not None else spec["delay"])
        if failing:
            return key, _Response(500, {"Content-Type": "text/html; charset=utf-8"}, _SERVER_ERROR_PAGE), conditional
        if override is None and "redirect" in spec:
            target = spec["redirect"]
            location = target if target.startswith(("http://", "https://")) else site.url(target)
            body = f'<html><body><a href="{location}">moved</a></body></html>'.encode()
            return key, _Response(spec.get("status", 301), {"Location": location,
                                                              "Content-Type": "text/html; charset=utf-8"}, body), conditional
        status = override.status if override is not None else spec.get("status", 200)
        if status != 200:
            response = self._not_found(site)
            response.status = status
            return key, response, conditional
        page = override or site.page(spec)
        validators = {"ETag": page.etag, "Last-Modified": email.utils.format_datetime(page.last_modified, usegmt=True)}
        if _not_modified(headers, page):
            return key, _Response(304, validators), conditional
        return key, _Response(200, {"Content-Type": page.content_type, **validators}, page.body), conditional

    @staticmethod
    def _not_found(site: Site) -> _Response:
        return _Response(404, {"Content-Type": "text/html; charset=utf-8"}, site.not_found_page())

    def _record(self, served: ServedRequest) -> None:
        with self._lock:
            self.requests.append(served)
        if self._echo:
            self._echo(served)


def _not_modified(headers, page: _Page) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        # The weak comparison of RFC 9110 §8.8.3.2: W/"x" matches "x".
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or page.etag.removeprefix("W/") in tags
    if_modified_since = headers.get("If-Modified-Since")
    if not if_modified_since:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return page.last_modified <= since


class _Handler(BaseHTTPRequestHandler):
    fixture: FixtureServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the real sites
    server_version = "FixtureServer/1.0"
    timeout = 30  # drop idle keep-alive connections

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        received_at = datetime.now(timezone.utc)
        host = (self.headers.get(HOST_HEADER) or self.headers.get("Host") or "").strip().lower()
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        # The request line arrives as Latin-1; a client may have sent raw UTF-8.
        raw_path = self.path.encode("latin-1").decode("utf-8", "replace")
        key, response, conditional = self.fixture._answer(host, raw_path, self.headers)
        # Logged before the answer goes out, so a client that has its answer
        # finds it in the log. An alias (www.) is logged under the site's host.
        site = self.fixture.sites.get(host)
        self.fixture._record(ServedRequest(site.host if site else host, key, self.command, response.status,
                                          conditional, dict(self.headers.items()), received_at))
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if send_body and response.status != 304:
            self.wfile.write(response.body)

    def log_message(self, format, *args) -> None:  # the request log is `FixtureServer.requests`
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the fixture sites on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--slow-delay", type=float, default=None, help="seconds, replaces the routes' delays")
    args = parser.parse_args(argv)

    def echo(served: ServedRequest) -> None:
        flag = " (conditional)" if served.conditional else ""
        print(f"{served.status} {served.method} {served.host}{served.path}{flag}", flush=True)

    with FixtureServer(args.port, slow_delay=args.slow_delay, echo=echo) as server:
        hosts = sorted({site.host for site in server.sites.values()})
        print(f"Serving {', '.join(hosts)} on {server.base_url}")
        print(f"Try: curl -i -H '{HOST_HEADER}: aawsat.com' {server.base_url}/feed")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
