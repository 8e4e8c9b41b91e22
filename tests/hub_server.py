"""A small Hugging Face Hub-compatible server for the tests (standard library only).

It speaks what ``huggingface_hub`` 2.4 calls for creating model repos, committing files (regular
and LFS through the basic LFS transfer), resolving revisions and downloading files, with the
Hub's error codes. Large (LFS) files are served through a redirect to a second port, as the real
Hub sends them to its storage host; that host records the headers it receives so that tests can
check that the token never reaches it. Everything lives in memory; both servers bind 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

LFS_EXTENSIONS = (".keras", ".png", ".h5", ".bin", ".npy")


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Entry:
    size: int
    oid: str  # git blob sha of the content (regular) or of the pointer (LFS)
    sha256: str | None = None  # LFS files only
    content: bytes | None = None  # regular files only


@dataclass
class Commit:
    sha: str
    parent: str | None
    title: str
    files: dict[str, Entry]
    date: str


@dataclass
class Repo:
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        rev = unquote(rev)
        if rev in self.branches:
            return self.commits[self.branches[rev]]
        return self.commits.get(rev)


class FakeHub:
    """Two loopback HTTP servers: the Hub API (``endpoint``) and an LFS storage host."""

    def __init__(self, token: str = "hf_test_token") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.storage_requests: list[dict[str, str]] = []  # headers seen by the storage host
        self.api_requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._api = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, storage=False))
        self._storage = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, storage=True))
        self.endpoint = f"http://127.0.0.1:{self._api.server_port}"
        self.storage = f"http://127.0.0.1:{self._storage.server_port}"
        self._threads = [
            threading.Thread(target=s.serve_forever, daemon=True) for s in (self._api, self._storage)
        ]

    def __enter__(self) -> FakeHub:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        for s in (self._api, self._storage):
            s.shutdown()
            s.server_close()

    # -- model ----------------------------------------------------------------------------

    def create_repo(self, repo_id: str, private: bool) -> Repo:
        repo = Repo(repo_id, private)
        sha = self._new_sha(repo_id, "initial")
        repo.commits[sha] = Commit(sha, None, "initial commit", {}, _now())
        repo.branches["main"] = sha
        self.repos[repo_id] = repo
        return repo

    def commit(self, repo: Repo, branch: str, title: str, lines: list[dict], parent: str | None) -> Commit:
        head = repo.commits[repo.branches[branch]]
        files = dict(head.files)
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "file":
                data = base64.b64decode(value["content"])
                files[value["path"]] = Entry(len(data), git_blob_sha(data), content=data)
            elif key == "lfsFile":
                if value["oid"] not in self.lfs:
                    raise KeyError(value["oid"])
                pointer = _lfs_pointer(value["oid"], value["size"]).encode()
                files[value["path"]] = Entry(value["size"], git_blob_sha(pointer), sha256=value["oid"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
        sha = self._new_sha(repo.repo_id, title + str(len(repo.commits)))
        commit = Commit(sha, head.sha, title, files, _now())
        repo.commits[sha] = commit
        repo.branches[branch] = sha
        return commit

    @staticmethod
    def _new_sha(*parts: str) -> str:
        return hashlib.sha1(("\0".join(parts) + str(time.time_ns())).encode()).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _lfs_pointer(sha256: str, size: int) -> str:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"


def _handler(hub: FakeHub, storage: bool):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        # -- plumbing ------------------------------------------------------------------------

        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _send(
            self,
            status: int,
            body: bytes | dict | list = b"",
            headers: dict | None = None,
            head: bool = False,
        ) -> None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = {"Content-Type": "application/json", **(headers or {})}
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _error(self, status: int, code: str | None, message: str, head: bool = False) -> None:
            headers = {"X-Error-Message": message}
            if code:
                headers["X-Error-Code"] = code
            self._send(status, {"error": message}, headers, head)

        def _authorised(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {hub.token}"

        def _repo(self, repo_id: str, head: bool = False) -> Repo | None:
            repo = hub.repos.get(repo_id)
            if repo is None or (repo.private and not self._authorised()):
                self._error(404, "RepoNotFound", f"Repository not found: {repo_id}", head)
                return None
            return repo

        def _commit(self, repo: Repo, rev: str, head: bool = False) -> Commit | None:
            commit = repo.resolve(rev)
            if commit is None:
                self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
            return commit

        # -- verbs ---------------------------------------------------------------------------

        def do_HEAD(self) -> None:
            self._route("HEAD")

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            path = unquote(url.path)
            with hub.lock:
                if storage:
                    return self._storage(method, path)
                hub.api_requests.append((method, path))
                for pattern, name in ROUTES:
                    m = re.fullmatch(pattern, path)
                    if m and name.split("_")[0] == method.lower():
                        return getattr(self, name)(*m.groups(), query=parse_qs(url.query))
                if method in ("GET", "HEAD"):
                    m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
                    if m:
                        return self._resolve(*m.groups(), head=method == "HEAD")
                self._error(404, None, f"no route for {method} {path}")

        # -- storage host ----------------------------------------------------------------------

        def _storage(self, method: str, path: str) -> None:
            hub.storage_requests.append({k.lower(): v for k, v in self.headers.items()})
            oid = path.rsplit("/", 1)[-1]
            if method == "PUT":
                data = self._body()
                if hashlib.sha256(data).hexdigest() != oid:
                    return self._error(400, None, "sha256 mismatch")
                hub.lfs[oid] = data
                return self._send(200)
            if method in ("GET", "HEAD") and oid in hub.lfs:
                return self._send(
                    200, hub.lfs[oid], {"Content-Type": "application/octet-stream"}, head=method == "HEAD"
                )
            self._error(404, None, "no such object")

        # -- API -------------------------------------------------------------------------------

        def post_create(self, query) -> None:
            if not self._authorised():
                return self._error(401, None, "Invalid credentials in Authorization header")
            body = json.loads(self._body() or b"{}")
            repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
            if "/" not in repo_id:
                repo_id = f"tester/{repo_id}"
            url = f"{hub.endpoint}/{repo_id}"
            if repo_id in hub.repos:
                return self._send(409, {"error": "You already created this model repo", "url": url})
            hub.create_repo(repo_id, bool(body.get("private")) or body.get("visibility") == "private")
            self._send(200, {"url": url, "name": repo_id, "id": repo_id})

        def post_validate(self, query) -> None:
            self._body()
            self._send(200, {"errors": [], "warnings": []})

        def post_branch(self, repo_id: str, branch: str, query) -> None:
            body = json.loads(self._body() or b"{}")
            repo = self._repo(repo_id)
            if repo is None:
                return
            if branch in repo.branches:
                return self._error(409, None, f"Reference already exists: {branch}")
            start = repo.resolve(body.get("startingPoint") or "main")
            repo.branches[branch] = start.sha
            self._send(200, {})

        def post_preupload(self, repo_id: str, rev: str, query) -> None:
            body = json.loads(self._body())
            repo = self._repo(repo_id)
            if repo is None:
                return
            commit = repo.resolve(rev) or repo.resolve("main")
            files = []
            for f in body["files"]:
                lfs = f["path"].endswith(LFS_EXTENSIONS) or f["size"] > 10 * 2**20
                existing = commit.files.get(f["path"])
                oid = None
                if existing is not None:
                    oid = existing.sha256 if existing.sha256 else existing.oid
                files.append(
                    {
                        "path": f["path"],
                        "uploadMode": "lfs" if lfs else "regular",
                        "shouldIgnore": False,
                        "oid": oid,
                    }
                )
            self._send(200, {"files": files, "commitOid": commit.sha})

        def post_lfsbatch(self, repo_id: str, query) -> None:
            body = json.loads(self._body())
            if self._repo(repo_id) is None:
                return
            objects = []
            for obj in body["objects"]:
                entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
                if obj["oid"] not in hub.lfs:
                    entry["actions"] = {
                        "upload": {"href": f"{hub.storage}/upload/{obj['oid']}", "header": {}},
                        "verify": {
                            "href": f"{hub.endpoint}/{repo_id}.git/info/lfs/objects/verify",
                            "header": {},
                        },
                    }
                objects.append(entry)
            self._send(
                200,
                {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                {"Content-Type": "application/vnd.git-lfs+json"},
            )

        def post_lfsverify(self, repo_id: str, query) -> None:
            body = json.loads(self._body())
            ok = body.get("oid") in hub.lfs
            self._send(200 if ok else 404, {"ok": ok})

        def post_commit(self, repo_id: str, rev: str, query) -> None:
            raw = self._body()
            if not self._authorised():
                return self._error(401, None, "Invalid credentials in Authorization header")
            repo = self._repo(repo_id)
            if repo is None:
                return
            branch = unquote(rev)
            if branch not in repo.branches:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {branch}")
            lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
            header = next(ln["value"] for ln in lines if ln["key"] == "header")
            try:
                commit = hub.commit(
                    repo, branch, header.get("summary", ""), lines, header.get("parentCommit")
                )
            except KeyError as err:
                return self._error(422, None, f"LFS object {err} was not uploaded")
            self._send(
                200,
                {
                    "success": True,
                    "commitOid": commit.sha,
                    "commitUrl": f"{hub.endpoint}/{repo_id}/commit/{commit.sha}",
                    "hookOutput": "",
                },
            )

        def get_info(self, repo_id: str, rev: str | None, query) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            commit = self._commit(repo, rev or "main")
            if commit is None:
                return
            self._send(
                200,
                {
                    "id": repo_id,
                    "modelId": repo_id,
                    "sha": commit.sha,
                    "private": repo.private,
                    "lastModified": commit.date,
                    "tags": [],
                    "downloads": 0,
                    "likes": 0,
                    "siblings": [{"rfilename": p} for p in sorted(commit.files)],
                },
            )

        def get_tree(self, repo_id: str, rev: str, subpath: str | None, query) -> None:
            repo = self._repo(repo_id)
            commit = repo and self._commit(repo, rev)
            if commit:
                self._send(
                    200,
                    [
                        _path_info(p, e)
                        for p, e in sorted(commit.files.items())
                        if not subpath or p.startswith(subpath.rstrip("/") + "/")
                    ],
                )

        def post_pathsinfo(self, repo_id: str, rev: str, query) -> None:
            raw = self._body().decode()
            repo = self._repo(repo_id)
            commit = repo and self._commit(repo, rev)
            if not commit:
                return
            try:
                paths = json.loads(raw)["paths"]
            except (json.JSONDecodeError, KeyError):
                paths = parse_qs(raw).get("paths", [])
            self._send(200, [_path_info(p, commit.files[p]) for p in paths if p in commit.files])

        def get_commits(self, repo_id: str, rev: str, query) -> None:
            repo = self._repo(repo_id)
            commit = repo and self._commit(repo, rev)
            out = []
            while commit:
                out.append(
                    {
                        "id": commit.sha,
                        "title": commit.title,
                        "message": "",
                        "authors": [],
                        "date": commit.date,
                    }
                )
                commit = repo.commits.get(commit.parent) if commit.parent else None
            if repo:
                self._send(200, out)

        def get_refs(self, repo_id: str, query) -> None:
            repo = self._repo(repo_id)
            if repo:
                self._send(
                    200,
                    {
                        "branches": [
                            {"name": b, "ref": f"refs/heads/{b}", "targetCommit": s}
                            for b, s in repo.branches.items()
                        ],
                        "tags": [],
                        "converts": [],
                    },
                )

        def _resolve(self, repo_id: str, rev: str, filename: str, head: bool) -> None:
            repo = self._repo(repo_id, head)
            commit = repo and self._commit(repo, rev, head)
            if not commit:
                return
            entry = commit.files.get(filename)
            if entry is None:
                return self._error(404, "EntryNotFound", f"{filename} does not exist at {rev}", head)
            headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{entry.oid}"'}
            if entry.sha256:
                headers.update(
                    {
                        "X-Linked-Etag": f'"{entry.sha256}"',
                        "X-Linked-Size": entry.size,
                        "Location": f"{hub.storage}/objects/{entry.sha256}",
                    }
                )
                return self._send(302, b"", headers, head)
            headers["Content-Type"] = "application/octet-stream"
            self._send(200, entry.content, headers, head)

    ROUTES = [
        (r"/api/repos/create", "post_create"),
        (r"/api/validate-yaml", "post_validate"),
        (r"/api/models/([^/]+/[^/]+)/branch/([^/]+)", "post_branch"),
        (r"/api/models/([^/]+/[^/]+)/preupload/([^/]+)", "post_preupload"),
        (r"/([^/]+/[^/]+)\.git/info/lfs/objects/batch", "post_lfsbatch"),
        (r"/([^/]+/[^/]+)\.git/info/lfs/objects/verify", "post_lfsverify"),
        (r"/api/models/([^/]+/[^/]+)/commit/([^/]+)", "post_commit"),
        (r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", "get_info"),
        (r"/api/models/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", "get_tree"),
        (r"/api/models/([^/]+/[^/]+)/paths-info/([^/]+)", "post_pathsinfo"),
        (r"/api/models/([^/]+/[^/]+)/commits/([^/]+)", "get_commits"),
        (r"/api/models/([^/]+/[^/]+)/refs", "get_refs"),
    ]
    return Handler


def _path_info(path: str, entry: Entry) -> dict:
    info = {"type": "file", "path": path, "size": entry.size, "oid": entry.oid}
    if entry.sha256:
        info["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": 130}
    return info
