"""Serve a built site locally the way GitHub Pages serves it (``build.py --serve``).

Standard library only (:mod:`http.server`), and only what the site relies on: static files,
``index.html`` for a directory (after a redirect that adds the slash), ``page.html`` for
``/page``, the site's ``404.html`` (or a short text) with status 404 for anything else and never a
directory listing, explicit content types (a browser refuses a module script served as anything
but JavaScript, and Python's guesses depend on the machine's registry), and gzip on the fly for
text when the client accepts it. Every response says ``Cache-Control: no-cache``, so a page
reloaded after a rebuild shows the new site.

The directory is looked up per request, so a build that swaps in a new site while the server runs
is served at once.
"""

from __future__ import annotations

import gzip
import logging
import mimetypes
import signal
import socket
import socketserver
import sys
import urllib.parse
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .errors import ConfigError

log = logging.getLogger(__name__)

TEXT = "; charset=utf-8"
#: Content types by suffix, as GitHub Pages sends them; anything else is guessed, then binary.
TYPES = {
    ".html": "text/html" + TEXT, ".htm": "text/html" + TEXT,
    ".css": "text/css" + TEXT,
    ".js": "text/javascript" + TEXT, ".mjs": "text/javascript" + TEXT,
    ".json": "application/json" + TEXT, ".map": "application/json" + TEXT,
    ".svg": "image/svg+xml", ".txt": "text/plain" + TEXT, ".md": "text/markdown" + TEXT,
    ".xml": "application/xml", ".wasm": "application/wasm",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2",
    ".gz": "application/gzip",  # sent as it is, never as Content-Encoding: the page inflates it
}
#: Types compressed on the fly: text only (images and fonts are compressed already).
COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/json", "image/svg+xml",
                "text/plain", "text/markdown", "application/xml"}
NOT_FOUND_PAGE = "404.html"


def content_type(path: Path) -> str:
    """The Content-Type header for a file, by its suffix."""
    suffix = path.suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (``gzip;q=0`` refuses it)."""
    for item in (header or "").split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding.lower() not in ("gzip", "x-gzip"):
            continue
        q = next((p.partition("=")[2] for p in params if p.lower().startswith("q=")), "1")
        try:
            return float(q) > 0
        except ValueError:
            return False
    return False


class SiteHandler(SimpleHTTPRequestHandler):
    """Answers GET and HEAD from the site directory as GitHub Pages would."""

    server_version = "sitegen-serve"
    protocol_version = "HTTP/1.1"  # keep-alive: a page fetches many shards; every answer has a length

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        url = urllib.parse.urlsplit(self.path)
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not url.path.endswith("/"):  # relative links in index.html need the slash
                self._redirect(urllib.parse.urlunsplit(("", "", url.path + "/", url.query, "")))
                return
            target = target / "index.html"
        elif not target.is_file() and not url.path.endswith("/"):
            target = target.with_name(target.name + ".html")  # GitHub Pages answers /page with page.html
        if target.is_file():
            self._send(HTTPStatus.OK, target, body)
        else:
            self._not_found(body)

    def _not_found(self, body: bool) -> None:
        page = Path(self.directory) / NOT_FOUND_PAGE
        if page.is_file():
            self._send(HTTPStatus.NOT_FOUND, page, body)
        else:
            self._write(HTTPStatus.NOT_FOUND, b"404: not found\n", "text/plain" + TEXT, None, body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, path: Path, body: bool) -> None:
        try:
            data, modified = path.read_bytes(), path.stat().st_mtime
        except OSError:  # gone between the check and the read (a rebuild swapping the site in)
            self._write(HTTPStatus.NOT_FOUND, b"404: not found\n", "text/plain" + TEXT, None, body)
            return
        self._write(status, data, content_type(path), modified, body)

    def _write(self, status: HTTPStatus, data: bytes, kind: str, modified: float | None, body: bool) -> None:
        compressible = kind.partition(";")[0] in COMPRESSIBLE
        gzipped = compressible and accepts_gzip(self.headers.get("Accept-Encoding"))
        if gzipped:
            data = gzip.compress(data, compresslevel=6, mtime=0)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        if modified is not None:
            self.send_header("Last-Modified", formatdate(modified, usegmt=True))
        if compressible:  # caches must keep the gzipped and the plain answer apart
            self.send_header("Vary", "Accept-Encoding")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def version_string(self) -> str:
        return self.server_version  # not the Python version: nobody needs it

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class SiteServer(ThreadingHTTPServer):
    """A threaded HTTP server for one site directory; :meth:`run` serves until Ctrl-C."""

    daemon_threads = True  # a browser's kept-alive connection must not hold up the exit

    def __init__(self, directory: Path, host: str, port: int) -> None:
        self.directory = Path(directory)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), partial(SiteHandler, directory=str(self.directory)))

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host's name up (socket.getfqdn), which can wait seconds
        # for a DNS server that does not answer; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    @property
    def url(self) -> str:
        """The site's address, e.g. ``http://127.0.0.1:8000/``."""
        host = self.server_name
        return f"http://[{host}]:{self.server_port}/" if ":" in host else f"http://{host}:{self.server_port}/"

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that closes a connection mid-answer is routine, not a server fault.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("connection from %s ended early", client_address)
        else:
            log.exception("answering %s failed", client_address)

    def run(self) -> None:
        """Serve until Ctrl-C (or SIGTERM), then close the socket: the signal ends serving, not the
        program.

        The handlers are set here because a process started from a non-interactive shell in the
        background inherits SIGINT *ignored*, and Python then never raises KeyboardInterrupt.
        """
        stop = signal.default_int_handler
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            log.info("stopped serving %s", self.directory)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.server_close()


def check_site(directory: Path) -> Path:
    """Check that ``directory`` holds a site to serve; returns it.

    Raises
    ------
    ConfigError
        When it is missing or not a directory, with the command that builds one.
    """
    if not directory.is_dir():
        raise ConfigError(f"No site to serve in {directory}: build one first (python build.py --demo --serve) "
                          "or point --out at a built site")
    return directory


def open_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """Bind a server for the site in ``directory`` (which may not exist yet); ``port=0`` picks a free one.

    Raises
    ------
    ConfigError
        When the port is out of range, or the address cannot be bound (in use, not this machine's).
    """
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a port: give 0 to 65535 (0 picks a free one)")
    try:
        return SiteServer(directory, host, port)
    except OSError as err:
        raise ConfigError(f"Cannot serve on {host}:{port} ({err.strerror or err}): choose another --port "
                          "(0 picks a free one) or --host") from None
