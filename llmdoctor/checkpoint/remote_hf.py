"""A model on the Hugging Face Hub, read without downloading its weights.

What a plan needs, and how it is fetched (through huggingface_hub; HF_ENDPOINT, HF_TOKEN,
HF_HUB_OFFLINE honoured):
- the repo's listing at a revision: one model-info request (`/api/models/ORG/NAME/revision/REV?blobs=true`):
  the commit, every file's size and content hash;
- the side files the local reader reads (config.json, generation_config.json, hf_quant_config.json,
  model.safetensors.index.json, the chat template): hf_hub_download at that commit, into the HF cache
  exactly as huggingface_hub keeps them;
- each safetensors shard's header: range requests for its first bytes (the 8-byte length, then the
  JSON; the first request is sized from the index's tensor count so one usually suffices);
- a GGUF file's header: range reads of the bytes before its tensor data, streamed in bounded chunks
  (1 MiB, then 2 MiB) into the reader's own parser; every split of a split set.

Kept in the repo's folder of the HF cache, beside huggingface_hub's own (`hf cache` ignores it):
`llmdoctor/listing-SHA.json` (the listing), `llmdoctor/refs/REV` (the commit a revision named) and
`llmdoctor/heads/HASH` (a weight file's header bytes, keyed by its content hash). With them a second
read, or one under HF_HUB_OFFLINE, makes no request. Offline with nothing cached: a RemoteError, and no
request made. Tensor data is never requested.
"""
from __future__ import annotations

import json
import os
import re
import struct
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import quote

from llmdoctor.checkpoint.locate import REMOTE_DIR, hf_hub_dir, hf_repo_dir
from llmdoctor.checkpoint.remote_http import (
    _SETTINGS, RemoteError, RemotePrefix, Reply, Wire, clean, human, read_cached, truthy, write_atomic,
)

DEFAULT_ENDPOINT = "https://huggingface.co"
MAX_INFO_BYTES = 16 << 20                  # the model-info JSON of a repo with thousands of files
MAX_FILES = 100_000
MAX_SIDE_FILE = 64 << 20                   # bounded_io.MAX_SIDE_JSON_BYTES
MAX_GGUF_HEADER = 96 << 20                 # a 256k-entry vocabulary with merges is ~10 MB
MAX_SAFETENSORS_HEADER = 100_000_000       # safetensors' own cap
MAX_SHARDS = 10_000
WORKERS = 8
SIDE_FILES = ("config.json", "generation_config.json", "hf_quant_config.json", "model.safetensors.index.json")
TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json", "tokenizer_config.json")
DEFAULT_QUANT = "Q4_K_M"                   # what llama.cpp's -hf and Ollama's hf.co/ pick without a tag

_SHA = re.compile(r"^[0-9a-f]{40}$")
_KEY = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_REV = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.?(?:/|$))[\w.\-/]{1,200}$")
_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.?(?:/|$))[^\x00-\x1f\\]{1,1000}$")
_SPLIT = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.I)
_QUANT = re.compile(r"(?i)(?:^|[-_.])((?:UD-)?(?:I?Q\d(?:_[0-9A-Z]+)*|TQ\d_\d|BF16|F16|F32|MXFP4(?:_MOE)?))(?=[-_.]|$)")
_NOT_MODEL = re.compile(r"(?i)mmproj|imatrix")


OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "LLMDOCTOR_OFFLINE")


def offline_var(env: Mapping[str, str]) -> Optional[str]:
    """The variable that makes remote reads offline (huggingface_hub's HTTP client refuses every request
    under the first two, so they hold for the Ollama registry too), or None."""
    return next((k for k in OFFLINE_VARS if truthy(env.get(k))), None)


def offline(env: Mapping[str, str]) -> bool:
    return offline_var(env) is not None


def valid_revision(revision: str) -> bool:
    return bool(_REV.match(revision))


@dataclass(frozen=True)
class HubFile:
    path: str
    size: int
    key: str                                # content hash: the LFS sha256, else the git blob id


@dataclass
class HubRepo:
    repo_id: str
    revision: str                           # as asked ("main", a tag, a commit)
    sha: str                                # the commit it named
    files: dict[str, HubFile]
    gated: bool = False
    from_cache: bool = False
    listing_bytes: int = 0

    def top(self) -> dict[str, HubFile]:
        return {p: f for p, f in self.files.items() if "/" not in p}


@dataclass(frozen=True)
class Quant:
    """One GGUF model in a repo: a file, or a complete split set."""
    label: str                              # Q4_K_M, UD-Q4_K_XL, BF16, ...
    files: tuple[HubFile, ...]              # in split order

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


class Hub:
    """One endpoint, one cache, one Wire."""

    def __init__(self, env: Mapping[str, str], wire: Wire):
        self.env, self.wire = env, wire
        self.endpoint = (env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.offline = offline(env)
        self.offline_var = offline_var(env) or "HF_HUB_OFFLINE"
        self.cache = hf_hub_dir(env)
        self.token = env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN") or None
        self._headers: Optional[dict] = None

    # -- requests ---------------------------------------------------------------------------------

    def headers(self) -> dict:
        if self._headers is None:
            from huggingface_hub.utils import build_hf_headers
            from llmdoctor import __version__
            self._headers = build_hf_headers(token=self.token, library_name="llmdoctor", library_version=__version__)
        return self._headers

    def sent_token(self) -> bool:
        return any(k.lower() == "authorization" for k in self.headers())

    def own_dir(self, repo_id: str) -> str:
        return os.path.join(hf_repo_dir(repo_id, self.env), REMOTE_DIR)

    def repo(self, repo_id: str, revision: Optional[str]) -> HubRepo:
        """The listing at `revision`: from the cache for a commit (immutable) or when offline; else asked."""
        rev = revision or "main"
        if not valid_revision(rev):
            raise RemoteError(repo_id, f"revision {clean(rev, 80)!r} is not a branch, tag or commit name")
        cached = self._cached_repo(repo_id, rev)
        if cached is not None and (self.offline or _SHA.match(rev)):
            self.wire.from_cache(cached.listing_bytes)
            return cached
        if self.offline:
            raise RemoteError(repo_id, f"not in the HF cache ({hf_repo_dir(repo_id, self.env)}), and "
                                       f"{self.offline_var} is set: nothing was requested", missing=True)
        self.wire.note("listing the repo")
        url = f"{self.endpoint}/api/models/{repo_id}/revision/{quote(rev, safe='')}?blobs=true"
        reply = self.wire.get(url, self.headers(), limit=MAX_INFO_BYTES, what=repo_id)
        if reply.status != 200:
            raise self.error(reply, repo_id, repo_id, rev)
        from llmdoctor.checkpoint.bounded_io import decode_json
        data = decode_json(reply.body, f"{repo_id}: model info from {self.endpoint}")
        if not isinstance(data, dict):
            raise RemoteError(repo_id, f"the model info from {self.endpoint} is not a JSON object")
        sha = data.get("sha")
        if not isinstance(sha, str) or not _SHA.match(sha):
            raise RemoteError(repo_id, f"the model info from {self.endpoint} names no commit")
        files = _files(data.get("siblings"), repo_id)
        repo = HubRepo(repo_id, rev, sha, files, gated=data.get("gated") not in (None, False))
        own = self.own_dir(repo_id)
        listing = {"repo_id": repo_id, "sha": sha, "endpoint": self.endpoint, "gated": repo.gated,
                   "files": [[f.path, f.size, f.key] for f in files.values()]}
        write_atomic(os.path.join(own, f"listing-{sha}.json"), json.dumps(listing).encode())
        if rev != sha:
            write_atomic(os.path.join(own, "refs", *rev.split("/")), sha.encode())
        return repo

    def _cached_repo(self, repo_id: str, rev: str) -> Optional[HubRepo]:
        own = self.own_dir(repo_id)
        sha = rev if _SHA.match(rev) else None
        for refs in (os.path.join(own, "refs"), os.path.join(hf_repo_dir(repo_id, self.env), "refs")):
            if sha is None:
                text = read_cached(os.path.join(refs, *rev.split("/")), 4096)
                value = text.decode("ascii", "replace").strip() if text else ""
                sha = value if _SHA.match(value) else None
        if sha is None:
            return None
        raw = read_cached(os.path.join(own, f"listing-{sha}.json"), MAX_INFO_BYTES)
        if raw is None:
            return None
        from llmdoctor.checkpoint.bounded_io import decode_json
        try:
            data = decode_json(raw, "cached listing")
            files = _files([_sibling(*row) for row in data["files"]], repo_id)
        except (KeyError, TypeError, IndexError, RemoteError, ValueError):
            return None                              # a damaged cache entry: ask again
        return HubRepo(repo_id, rev, sha, files, gated=bool(data.get("gated")), from_cache=True, listing_bytes=len(raw))

    def error(self, reply: Reply, subject: str, repo_id: str, rev: Optional[str] = None) -> RemoteError:
        status, h = reply.status, reply.headers
        code, msg = h.get("x-error-code", ""), clean(h.get("x-error-message", ""), 160)
        ep, token = self.endpoint, self.sent_token()
        if code == "GatedRepo" or (status in (401, 403) and "gated" in msg.lower()):
            how = ("check that HF_TOKEN belongs to an account that was granted access" if token
                   else "set HF_TOKEN (or run `hf auth login`)")
            return RemoteError(subject, f"a gated repo: ask for access at {ep}/{repo_id}, then {how} ({status})")
        if code == "RevisionNotFound":
            return RemoteError(subject, f"revision {rev!r} not found on {ep} ({status})", missing=True)
        if code == "EntryNotFound":
            return RemoteError(subject, f"no such file on {ep} ({status})", missing=True)
        if status == 401:
            return RemoteError(subject, f"not found on {ep}, or private and HF_TOKEN gives no access to it (401)" if token
                               else f"not found on {ep}, or private: set HF_TOKEN (or run `hf auth login`) if you "
                                    "have access (401)", missing=True)
        if status == 404:
            return RemoteError(subject, f"no such repo on {ep} (404)", missing=True)
        if status == 403:
            return RemoteError(subject, f"access denied by {ep} (403{': ' + msg if msg else ''})")
        if status == 429:
            return RemoteError(subject, f"rate-limited by {ep} (429); try again later"
                               + ("" if token else ", or set HF_TOKEN for a higher limit"))
        return RemoteError(subject, f"{ep} answered HTTP {status}" + (f": {msg}" if msg else ""))

    # -- side files -------------------------------------------------------------------------------

    def side_files(self, repo: HubRepo, names: list[str]) -> dict[str, str]:
        """Small files at the repo's commit, through hf_hub_download (the HF cache's own layout)."""
        out: dict[str, str] = {}
        todo = []
        for name in names:
            f = repo.files[name]
            if f.size > MAX_SIDE_FILE:
                raise RemoteError(f"{repo.repo_id}/{name}", f"{human(f.size)}, over the {human(MAX_SIDE_FILE)} limit")
            pointer = os.path.join(hf_repo_dir(repo.repo_id, self.env), "snapshots", repo.sha, *name.split("/"))
            if os.path.isfile(pointer):
                out[name] = pointer
                self.wire.from_cache(f.size)
            elif self.offline:
                raise RemoteError(f"{repo.repo_id}/{name}", f"not in the HF cache, and {self.offline_var} is set: "
                                  "nothing was requested", missing=True)
            else:
                todo.append(name)
        if todo:
            self.wire.note(f"fetching {len(todo)} side file(s)")
            with _quiet():
                for name, path in zip(todo, _pool_map(lambda n: self._download(repo, n), todo)):
                    out[name] = path
            self._write_hub_ref(repo)
        return out

    def _download(self, repo: HubRepo, name: str) -> str:
        from huggingface_hub import errors as E, hf_hub_download
        from llmdoctor import __version__
        subject = f"{repo.repo_id}/{name}"
        try:
            path = hf_hub_download(repo.repo_id, name, revision=repo.sha, cache_dir=self.cache, endpoint=self.endpoint,
                                   token=self.token, etag_timeout=self.wire.timeout, library_name="llmdoctor",
                                   library_version=__version__)
        except E.GatedRepoError as exc:
            raise self.error(_reply_of(exc), subject, repo.repo_id) from None
        except E.LocalEntryNotFoundError:
            raise RemoteError(subject, f"{self.endpoint} could not be reached", missing=True) from None
        except (E.RepositoryNotFoundError, E.RevisionNotFoundError, E.EntryNotFoundError, E.HfHubHTTPError) as exc:
            raise self.error(_reply_of(exc), subject, repo.repo_id, repo.sha) from None
        except OSError as exc:
            raise RemoteError(subject, f"cannot write to the HF cache {self.cache}: {clean(exc.strerror or exc)}") from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "huggingface_hub"):
                raise RemoteError(subject, f"{self.endpoint}: {clean(exc)} ({type(exc).__name__})", missing=True) from None
            raise
        size = os.path.getsize(path)
        self.wire.add(f"hf_hub_download {name} at {repo.sha[:12]} -> {size:,} B", 2, size)
        return path

    def _write_hub_ref(self, repo: HubRepo) -> None:
        """refs/REV -> commit, as hf_hub_download(revision=REV) writes it (only once the snapshot exists)."""
        repo_dir = hf_repo_dir(repo.repo_id, self.env)
        if repo.revision != repo.sha and os.path.isdir(os.path.join(repo_dir, "snapshots", repo.sha)):
            ref = os.path.join(repo_dir, "refs", *repo.revision.split("/"))
            if (read_cached(ref, 4096) or b"").strip() != repo.sha.encode():
                write_atomic(ref, repo.sha.encode())

    # -- header bytes -----------------------------------------------------------------------------

    def file_url(self, repo: HubRepo, path: str) -> str:
        return f"{self.endpoint}/{repo.repo_id}/resolve/{repo.sha}/{quote(path)}"

    def prefix(self, repo: HubRepo, f: HubFile, *, first: int, cap: int) -> RemotePrefix:
        subject = f"{repo.repo_id}/{f.path}"
        cached = read_cached(os.path.join(self.own_dir(repo.repo_id), "heads", f.key), cap) or b""
        self.wire.from_cache(len(cached))

        def fetch(start: int, stop: int) -> bytes:
            if self.offline:
                raise RemoteError(subject, f"header not in the HF cache, and {self.offline_var} is set: nothing "
                                           "was requested", missing=True)
            reply = self.wire.get(self.file_url(repo, f.path), self.headers(), limit=stop - start, what=subject,
                                  byte_range=(start, stop))
            body = range_body(reply, start, stop, f.size, subject)
            if body is None:
                raise self.error(reply, subject, repo.repo_id, repo.sha)
            return body

        return RemotePrefix(fetch, f.size, subject, cap=cap, first=first, cached=cached)

    def keep(self, repo: HubRepo, f: HubFile, prefix: RemotePrefix, upto: int) -> bytes:
        """The header bytes, kept in the cache for the next run."""
        data = bytes(prefix.buf[:upto])
        if upto > prefix.from_cache:
            write_atomic(os.path.join(self.own_dir(repo.repo_id), "heads", f.key), data)
        return data

    def safetensors_header(self, repo: HubRepo, f: HubFile, estimate: Optional[int]) -> bytes:
        """The 8-byte length and the JSON header (or less, when they are bad: the reader says why). The
        first request asks for `estimate` bytes (from the index's tensor names), else 64 KiB."""
        guess = 8 + (estimate + 512 if estimate else 64 << 10)
        guess = min(max(f.size, 1), -(-guess // 1024) * 1024)
        p = self.prefix(repo, f, first=guess, cap=8 + MAX_SAFETENSORS_HEADER)
        p.ensure(min(8, f.size))
        if f.size < 8:
            return self.keep(repo, f, p, f.size)
        (length,) = struct.unpack("<Q", bytes(p.buf[:8]))
        keep = 8 + length if length <= MAX_SAFETENSORS_HEADER and 8 + length <= f.size else 8
        p.ensure(keep, exact=True)
        return self.keep(repo, f, p, keep)

    def gguf_header(self, repo: HubRepo, f: HubFile, split: int) -> bytes:
        from llmdoctor.checkpoint.remote_read import parse_gguf_prefix
        p = self.prefix(repo, f, first=(1 << 20) if split == 0 else (256 << 10), cap=MAX_GGUF_HEADER)
        header = parse_gguf_prefix(p, f"{repo.repo_id}/{f.path}", split)
        # all that was fetched is kept: the parser reads ahead, and reads the same bytes next time
        return self.keep(repo, f, p, len(p.buf))[:header.data_offset]


def range_body(reply: Reply, start: int, stop: int, size: int, subject: str) -> Optional[bytes]:
    """The bytes [start, stop) from a reply to a Range request; None for an HTTP error status."""
    if reply.status == 206:
        m = re.match(r"^bytes (\d+)-(\d+)/(\d+|\*)$", reply.headers.get("content-range", "").strip())
        if not m or int(m.group(1)) != start:
            raise RemoteError(subject, "the server answered another byte range than the one asked for")
        if m.group(3) != "*" and int(m.group(3)) != size:
            raise RemoteError(subject, f"the file is {m.group(3)} bytes; the listing said {size}")
        return reply.body[:stop - start]
    if reply.status == 200:
        if start:
            raise RemoteError(subject, "the server ignores Range requests")
        return reply.body[:stop]
    if reply.status == 416:
        raise RemoteError(subject, f"bytes {start}-{stop - 1} are past the end: the file is shorter than listed")
    return None


def _reply_of(exc) -> Reply:
    resp = getattr(exc, "response", None)
    status = getattr(resp, "status_code", None) or 0
    headers = {k.lower(): v for k, v in getattr(resp, "headers", {}).items()} if resp is not None else {}
    return Reply(int(status), headers, b"", "")


def _files(siblings, repo_id: str) -> dict[str, HubFile]:
    if not isinstance(siblings, list) or len(siblings) > MAX_FILES:
        raise RemoteError(repo_id, "the model info lists no files (or too many)")
    files: dict[str, HubFile] = {}
    for s in siblings:
        if not isinstance(s, dict):
            raise RemoteError(repo_id, "the model info lists a file that is not an object")
        path, size = s.get("rfilename"), s.get("size")
        lfs = s.get("lfs") if isinstance(s.get("lfs"), dict) else {}
        key = lfs.get("sha256") or s.get("blobId")
        if not isinstance(path, str) or not _PATH.match(path):
            raise RemoteError(repo_id, f"the model info lists a bad file name {clean(path, 80)!r}")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 1 << 50:
            raise RemoteError(repo_id, f"the model info gives {clean(path, 80)} no size")
        if not isinstance(key, str) or not _KEY.match(key):
            raise RemoteError(repo_id, f"the model info gives {clean(path, 80)} no content hash")
        files[path] = HubFile(path, size, key)
    return files


def _sibling(path, size, key) -> dict:
    """A cached listing row as the model info gives it."""
    return {"rfilename": path, "size": size, **({"blobId": key} if len(str(key)) == 40 else {"lfs": {"sha256": key}})}


def _pool_map(fn, items: list) -> list:
    if len(items) <= 1:
        return [fn(i) for i in items]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(items)), thread_name_prefix="llmdoctor-hub") as pool:
        return list(pool.map(fn, items))


@contextmanager
def _quiet():
    """huggingface_hub's progress bars, warnings and log lines stay off stderr (--debug lets the logs through)."""
    import logging
    import warnings
    from huggingface_hub.utils import disable_progress_bars
    disable_progress_bars()
    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    if not _SETTINGS["debug"]:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


# -- what a repo holds ----------------------------------------------------------------------------


def kind_of(repo: HubRepo) -> str:
    """"safetensors" (config.json with safetensors, or a lone config.json) or "gguf"."""
    top = repo.top()
    if "config.json" in top and any(n.endswith(".safetensors") for n in top):
        return "safetensors"
    if gguf_quants(repo):
        return "gguf"
    if "config.json" in top:
        return "safetensors"
    raise RemoteError(repo.repo_id, f"no config.json, safetensors or GGUF files at commit {repo.sha[:12]}")


def read_safetensors_repo(hub: Hub, repo: HubRepo):
    """config.json and the side files from the cache, every shard's header: the local reader's model."""
    from llmdoctor.checkpoint.remote_read import Shadow
    top = repo.top()
    if "config.json" not in top:
        raise RemoteError(repo.repo_id, f"no config.json at commit {repo.sha[:12]}")
    names = [n for n in SIDE_FILES if n in top]
    names += ["chat_template.jinja"] if "chat_template.jinja" in top else [n for n in TEMPLATE_FILES[1:] if n in top]
    local = hub.side_files(repo, names)
    shards, counts = _shards(local.get("model.safetensors.index.json"), top, repo.repo_id)
    present = [n for n in shards if n in top]
    hub.wire.note(f"reading {len(present)} safetensors header(s)")
    heads = _pool_map(lambda n: hub.safetensors_header(repo, top[n], counts.get(n)), present)
    with Shadow(repo.repo_id) as shadow:
        for name in names:
            shadow.link(name, local[name])
        for name, head in zip(present, heads):
            shadow.header_only(name, head, top[name].size)
        return shadow.read()


HEADER_ENTRY_BYTES = 84     # a header entry besides its name: {"dtype":"BF16","shape":[..],"data_offsets":[..]}


def _shards(index_path: Optional[str], top: dict, repo_id: str) -> tuple[list[str], dict[str, int]]:
    """The shards the local reader would read, with the header size the index's tensor names suggest."""
    counts: dict[str, int] = {}
    if index_path:
        from llmdoctor.checkpoint.bounded_io import read_json_object
        weight_map = read_json_object(index_path).get("weight_map")
        if isinstance(weight_map, dict):
            for tensor, shard in weight_map.items():
                if isinstance(shard, str) and "/" not in shard:
                    counts[shard] = counts.get(shard, 0) + len(tensor) + HEADER_ENTRY_BYTES
        names = sorted(counts)
    else:
        names = sorted(n for n in top if n.endswith(".safetensors") and not n.startswith("."))
        consolidated = [n for n in names if n.startswith("consolidated")]
        if consolidated and len(consolidated) < len(names):
            names = [n for n in names if n not in consolidated]
    if len(names) > MAX_SHARDS:
        raise RemoteError(repo_id, f"{len(names)} safetensors shards, over the limit of {MAX_SHARDS}")
    return names, counts


def quant_label(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    m = _SPLIT.match(base)
    stem = m.group("stem") if m else base[:-5] if base.lower().endswith(".gguf") else base
    found = _QUANT.findall(stem)
    return found[-1].upper() if found else stem


def gguf_quants(repo: HubRepo) -> list[Quant]:
    """Every GGUF model in the repo (projectors and imatrix files left out; split sets only when complete),
    largest first."""
    groups: dict[tuple, dict[int, HubFile]] = {}
    for path, f in repo.files.items():
        base = path.rsplit("/", 1)[-1]
        if not base.lower().endswith(".gguf") or _NOT_MODEL.search(base):
            continue
        folder = path[: len(path) - len(base)]
        m = _SPLIT.match(base)
        if m:
            groups.setdefault((folder, m.group("stem"), int(m.group("count"))), {})[int(m.group("no"))] = f
        else:
            groups.setdefault((folder, base, 1), {})[1] = f
    quants, seen = [], set()
    for (folder, stem, count), parts in sorted(groups.items()):
        if sorted(parts) != list(range(1, count + 1)):
            continue
        files = tuple(parts[i] for i in range(1, count + 1))
        label = quant_label(files[0].path)
        if label in seen:
            label = files[0].path[:-5] if count == 1 else f"{folder}{stem}"
        seen.add(label)
        quants.append(Quant(label, files))
    return sorted(quants, key=lambda q: (-q.total_bytes, q.label))


def pick_quant(repo: HubRepo, quants: list[Quant], want: str) -> Quant:
    """The quant a tag names, the way llama.cpp matches it: the type itself, else a file name that holds it."""
    w = want.upper()
    for test in (lambda q: q.label.upper() == w, lambda q: q.label.upper() == "UD-" + w,
                 lambda q: w in q.files[0].path.upper()):
        found = sorted((q for q in quants if test(q)), key=lambda q: (len(q.label), q.files[0].path))
        if found:
            return found[0]
    have = ", ".join(q.label for q in sorted(quants, key=lambda q: q.total_bytes)) or "none"
    raise RemoteError(f"{repo.repo_id}:{want}", f"no GGUF file for {want} at commit {repo.sha[:12]}; the repo has: {have}",
                      missing=True)


def default_quant(repo: HubRepo, quants: list[Quant]) -> tuple[Quant, str]:
    """What llama.cpp's `-hf REPO` and Ollama's `hf.co/REPO` take without a tag."""
    if not quants:
        raise RemoteError(repo.repo_id, f"no GGUF files at commit {repo.sha[:12]}", missing=True)
    try:
        return pick_quant(repo, quants, DEFAULT_QUANT), f"no quant named: {DEFAULT_QUANT}, llama.cpp's default"
    except RemoteError:
        first = min(quants, key=lambda q: q.files[0].path)
        return first, f"no quant named and no {DEFAULT_QUANT} in the repo: the first GGUF file, {first.files[0].path}"


def read_gguf_quant(hub: Hub, repo: HubRepo, quant: Quant):
    """The header of every file of `quant`: the local reader's model."""
    from llmdoctor.checkpoint.remote_read import Shadow
    label = f"{repo.repo_id}:{quant.label}"
    hub.wire.note(f"reading the GGUF header of {quant.label}")
    heads = _pool_map(lambda item: hub.gguf_header(repo, item[1], item[0]), list(enumerate(quant.files)))
    with Shadow(label) as shadow:
        paths = [shadow.header_only(f.path.rsplit("/", 1)[-1], head, f.size) for f, head in zip(quant.files, heads)]
        return shadow.read(paths[0])


def provenance(hub: Hub, repo: HubRepo) -> str:
    where = "the HF cache" if repo.from_cache and not hub.wire.requests else hub.endpoint
    rev = "" if repo.revision in (repo.sha, "main") else f" ({repo.revision})"
    return (f"read from {where} without the weights: {repo.repo_id} at commit {repo.sha[:12]}{rev}; "
            f"{hub.wire.summary()}")
