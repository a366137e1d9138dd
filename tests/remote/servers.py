"""Loopback HTTP servers that speak the Hugging Face Hub's API and the Ollama registry's, for tests.

Each binds 127.0.0.1 on an ephemeral port, serves from a daemon thread, logs every request (method,
path, Range, status, body bytes sent) and stops by itself after STOP_AFTER_S even if a test forgets to.

Hub: GET /api/models/ORG/NAME[/revision/REV] (model info, `?blobs=true` sizes and hashes), GET
/api/models/ORG/NAME/tree/REV[/PATH], HEAD/GET /ORG/NAME/resolve/REV/PATH (X-Repo-Commit, ETag; an LFS
file answers 302 to /cdn/SHA256 with X-Linked-Etag and X-Linked-Size), GET /cdn/SHA256 with Range;
errors as the Hub gives them: 401 RepoNotFound without a token, 404 with one, 401/403 GatedRepo,
404 RevisionNotFound and EntryNotFound, with X-Error-Code and X-Error-Message.
Registry: GET /v2/NS/MODEL/manifests/TAG, GET /v2/NS/MODEL/blobs/DIGEST (307 to /cdn/DIGEST), Range.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from tests.remote.fakes import FakeRepo, VFile

STOP_AFTER_S = 600
CHUNK = 1 << 16


@dataclass
class Logged:
    method: str
    path: str
    range: str | None
    status: int
    sent: int
    auth: bool


@dataclass
class Behaviour:
    ignore_range: bool = False          # answer 200 with the whole body
    delay_s: float = 0.0                # before answering anything
    fail_first: int = 0                 # answer 503 to this many requests first


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args):        # quiet
        pass

    def do_GET(self):
        self._dispatch(head=False)

    def do_HEAD(self):
        self._dispatch(head=True)

    def _dispatch(self, head: bool) -> None:
        app = self.server.app
        self._sent, self._status = 0, 0
        with app.lock:
            app.inflight += 1
        try:
            b = app.behaviour
            if b.delay_s:
                time.sleep(b.delay_s)
            if b.fail_first > 0:
                b.fail_first -= 1
                self.reply(503, b"busy", {})
            else:
                app.route(self, head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            app.log.append(Logged(self.command, self.path, self.headers.get("Range"), self._status, self._sent,
                                  self.headers.get("Authorization") is not None))
            with app.lock:
                app.inflight -= 1

    # -- answers ----------------------------------------------------------------------------------

    def reply(self, status: int, body: bytes, headers: dict, head: bool = False) -> None:
        head = head or self.command == "HEAD"
        self._status = status
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
            self._sent += len(body)

    def json(self, status: int, value, headers: dict | None = None) -> None:
        self.reply(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    def error(self, status: int, code: str, message: str) -> None:
        self.json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def file(self, f: VFile, extra: dict, head: bool) -> None:
        """A file's bytes, honouring Range (unless told to ignore it), streamed in chunks."""
        start, stop, status = 0, f.size, 200
        rng = self.headers.get("Range")
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", **extra}
        if rng and not self.server.app.behaviour.ignore_range:
            m = re.match(r"^bytes=(\d+)-(\d*)$", rng)
            if not m or int(m.group(1)) >= f.size:
                self.reply(416, b"", {"Content-Range": f"bytes */{f.size}"})
                return
            start = int(m.group(1))
            stop = min(f.size, int(m.group(2)) + 1) if m.group(2) else f.size
            status = 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{f.size}"
        self._status = status
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(stop - start))
        self.end_headers()
        if head:
            return
        pos = start
        while pos < stop:
            end = min(stop, pos + CHUNK)
            self.wfile.write(f.read(pos, end))
            self._sent += end - pos
            pos = end


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False


class _App:
    def __init__(self):
        self.log: list[Logged] = []
        self.lock, self.inflight = threading.Lock(), 0
        self.behaviour = Behaviour()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.app = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._watchdog = threading.Timer(STOP_AFTER_S, self.stop)
        self._watchdog.daemon = True
        self._stopped = False

    def start(self):
        self._thread.start()
        self._watchdog.start()
        return self

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._watchdog.cancel()
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        """A clean log and behaviour, once the answers still in flight (a client that gave up) are done."""
        self.behaviour.delay_s = 0
        deadline = time.monotonic() + 15
        while self.inflight and time.monotonic() < deadline:
            time.sleep(0.02)
        self.log.clear()
        self.behaviour = Behaviour()

    def bytes_sent(self) -> int:
        return sum(e.sent for e in self.log)

    def route(self, h: _Handler, head: bool) -> None:      # pragma: no cover - overridden
        h.reply(404, b"", {})


@dataclass
class HubServer(_App):
    repos: dict[str, FakeRepo] = field(default_factory=dict)

    def __post_init__(self):
        _App.__init__(self)
        self.lfs: dict[str, VFile] = {}

    def add(self, repo_id: str, repo: FakeRepo) -> None:
        self.repos[repo_id] = repo
        for files in [repo.files, *repo.older.values()]:
            self.lfs.update({f.sha256: f for f in files.values() if f.lfs})

    def route(self, h: _Handler, head: bool) -> None:
        path = unquote(urlsplit(h.path).path)
        m = re.match(r"^/api/models/([^/]+/[^/]+)(?:/revision/(.+))?$", path)
        if m:
            return self._info(h, m.group(1), m.group(2) or "main")
        m = re.match(r"^/api/models/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?$", path)
        if m:
            return self._tree(h, m.group(1), m.group(2), m.group(3) or "")
        m = re.match(r"^/cdn/([0-9a-f]{64})$", path)
        if m and m.group(1) in self.lfs:
            return h.file(self.lfs[m.group(1)], {}, head)
        m = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
        if m:
            return self._resolve(h, m.group(1), m.group(2), m.group(3), head)
        h.reply(404, b"Not Found", {})

    def _repo(self, h: _Handler, repo_id: str, for_files: bool):
        repo = self.repos.get(repo_id)
        auth = h.headers.get("Authorization")
        if repo is None or (repo.private and auth != f"Bearer {repo.token}"):
            status = 404 if auth else 401
            h.error(status, "RepoNotFound", "Repository not found")
            return None
        if for_files and repo.gated and auth != f"Bearer {repo.token}":
            status = 403 if auth else 401
            h.error(status, "GatedRepo", f"Access to model {repo_id} is restricted. You must have access to it and "
                                         "be authenticated to access it. Please log in.")
            return None
        return repo

    def _info(self, h: _Handler, repo_id: str, rev: str) -> None:
        repo = self._repo(h, repo_id, for_files=False)
        if repo is None:
            return
        sha, files = repo.at(rev)
        if sha is None:
            return h.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        blobs = "blobs=true" in (urlsplit(h.path).query or "")
        siblings = []
        for p, f in files.items():
            s = {"rfilename": p}
            if blobs:
                s.update({"blobId": f.blob_id, "size": f.size})
                if f.lfs:
                    s["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 135}
            siblings.append(s)
        h.json(200, {"_id": "0" * 24, "id": repo_id, "modelId": repo_id, "author": repo_id.split("/")[0], "sha": sha,
                     "private": repo.private, "gated": "manual" if repo.gated else False, "disabled": False,
                     "downloads": 1234567, "likes": 890, "library_name": "transformers",
                     "tags": ["transformers", "safetensors", "text-generation", "conversational", "license:apache-2.0"],
                     "pipeline_tag": "text-generation", "createdAt": "2025-04-27T03:42:28.000Z",
                     "lastModified": "2025-07-26T03:46:39.000Z",
                     "cardData": {"license": "apache-2.0", "pipeline_tag": "text-generation",
                                  "library_name": "transformers", "base_model": ["Qwen/Qwen3-8B-Base"]},
                     "siblings": siblings, "spaces": [f"space-{i}/demo" for i in range(40)],
                     "usedStorage": sum(f.size for f in files.values())})

    def _tree(self, h: _Handler, repo_id: str, rev: str, sub: str) -> None:
        repo = self._repo(h, repo_id, for_files=False)
        if repo is None:
            return
        sha, files = repo.at(rev)
        if sha is None:
            return h.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        rows = [{"type": "file", "oid": f.blob_id, "size": f.size, "path": p,
                 **({"lfs": {"oid": f.sha256, "size": f.size, "pointerSize": 135}} if f.lfs else {})}
                for p, f in files.items() if p.startswith(sub)]
        h.json(200, rows)

    def _resolve(self, h: _Handler, repo_id: str, rev: str, name: str, head: bool) -> None:
        repo = self._repo(h, repo_id, for_files=True)
        if repo is None:
            return
        sha, files = repo.at(rev)
        if sha is None:
            return h.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        f = files.get(name)
        if f is None:
            h.reply(404, b"Entry not found", {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found",
                                              "X-Repo-Commit": sha}, head)
            return
        common = {"X-Repo-Commit": sha, "ETag": f'"{f.blob_id}"'}
        if f.lfs:
            h.reply(302, b"", {**common, "Location": f"{self.url}/cdn/{f.sha256}", "X-Linked-Etag": f'"{f.sha256}"',
                               "X-Linked-Size": str(f.size)}, head)
            return
        h.file(f, common, head)


@dataclass
class RegistryServer(_App):
    models: dict[tuple[str, str, str], list[tuple[str, VFile]]] = field(default_factory=dict)   # (ns, model, tag) -> layers
    private: set = field(default_factory=set)                                                 # namespaces

    def __post_init__(self):
        _App.__init__(self)
        self.blobs: dict[str, VFile] = {}

    def add(self, ns: str, model: str, tag: str, layers: list[tuple[str, VFile]]) -> None:
        self.models[(ns, model, tag)] = layers
        for _, f in layers:
            self.blobs["sha256:" + f.sha256] = f

    def route(self, h: _Handler, head: bool) -> None:
        path = unquote(urlsplit(h.path).path)
        m = re.match(r"^/v2/([^/]+)/([^/]+)/manifests/([^/]+)$", path)
        if m:
            if m.group(1) in self.private:
                return h.json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
            layers = self.models.get(m.groups())
            if layers is None:
                return h.json(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
            manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                   "digest": "sha256:" + "c" * 64, "size": 487},
                        "layers": [{"mediaType": mt, "digest": "sha256:" + f.sha256, "size": f.size} for mt, f in layers]}
            return h.reply(200, json.dumps(manifest).encode(),
                           {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}, head)
        m = re.match(r"^/v2/([^/]+)/([^/]+)/blobs/(sha256:[0-9a-f]{64})$", path)
        if m and m.group(3) in self.blobs:
            return h.reply(307, b"", {"Location": f"{self.url}/cdn/{m.group(3)}"}, head)
        m = re.match(r"^/cdn/(sha256:[0-9a-f]{64})$", path)
        if m and m.group(1) in self.blobs:
            return h.file(self.blobs[m.group(1)], {}, head)
        h.json(404, {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]})
