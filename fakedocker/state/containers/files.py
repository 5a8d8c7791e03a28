"""A container's in-memory file tree and the archive API on it (``docker cp``: tar out, tar
in, the ``X-Docker-Container-Path-Stat`` header).

A tree is made on first use: the usual top-level directories, ``/etc/hostname`` and
``/etc/hosts``, the working directory and every mount point.  Receives the container table.
"""

from __future__ import annotations

import base64
import io
import json
import posixpath
import tarfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ... import messages
from ...timestamps import rfc3339_nano, trim_fraction
from .model import Container, ContainerTable

if TYPE_CHECKING:
    from ...engine import FakeEngine

_TOP_DIRS = ("/", "/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sys", "/tmp", "/usr", "/var")


class FileNode:
    __slots__ = ("kind", "mode", "mtime", "data", "link")

    def __init__(self, kind: str, mode: int, mtime: float, data: bytes = b"", link: str = ""):
        self.kind = kind  # "dir", "file" or "symlink"
        self.mode = mode
        self.mtime = mtime
        self.data = data
        self.link = link


Tree = dict[str, FileNode]


def normalise(path: str) -> str:
    """An absolute path without ``.``, ``..`` or repeated slashes (never above ``/``)."""
    # one leading slash: normpath keeps two as POSIX allows
    return posixpath.normpath("/" + path.lstrip("/"))


def _make_dirs(files: Tree, path: str, t: float) -> None:
    cur = ""
    for part in [p for p in path.split("/") if p]:
        cur += "/" + part
        if cur not in files:
            files[cur] = FileNode("dir", 0o755, t)


def _go_mode(node: FileNode) -> int:
    """Go's ``os.FileMode`` bits, as the path stat carries them."""
    if node.kind == "dir":
        return 0x80000000 | node.mode
    if node.kind == "symlink":
        return 0x08000000 | node.mode
    return node.mode


def _walk(files: Tree, root: str) -> Iterator[tuple[str, FileNode]]:
    prefix = root.rstrip("/") + "/"
    yield root, files[root]
    if files[root].kind == "dir":
        for path in sorted(p for p in files if p.startswith(prefix) and p != root):
            yield path, files[path]


def _follow(files: Tree, path: str) -> tuple[str, FileNode | None]:
    """The path a (chain of) symlink(s) at ``path`` ends at, and its node (None: absent)."""
    node = files.get(path)
    for _ in range(8):
        if node is None or node.kind != "symlink":
            break
        target = node.link if node.link.startswith("/") else posixpath.dirname(path) + "/" + node.link
        path = normalise(target)
        node = files.get(path)
    return path, node


class ContainerFiles:
    def __init__(self, engine: FakeEngine, table: ContainerTable) -> None:
        self.engine = engine
        self.table = table

    def tree(self, c: Container) -> Tree:
        if c.files is None:
            t = self.engine.now()
            files = {}
            for d in _TOP_DIRS:
                files[d] = FileNode("dir", 0o1777 if d == "/tmp" else 0o755, t)
            files["/etc/hostname"] = FileNode("file", 0o644, t, (c.config["Hostname"] + "\n").encode())
            files["/etc/hosts"] = FileNode("file", 0o644, t, b"127.0.0.1\tlocalhost\n")
            for extra in [c.config.get("WorkingDir") or ""] + [m["Destination"] for m in c.mounts]:
                if extra and extra.startswith("/"):
                    _make_dirs(files, extra, t)
            c.files = files
        return c.files

    def read_file(self, ref: str, path: str) -> bytes:
        """A file's content in the container's in-memory file tree (KeyError if absent)."""
        with self.engine.lock:
            node = self.tree(self.table.get(ref)).get(normalise(path))
            if node is None or node.kind != "file":
                raise KeyError(path)
            return node.data

    def known_content(self, c: Container, path: str) -> bytes | None:
        """The content of a file the model holds in ``c`` (an absolute path; a symlink is
        followed); None when the tree lacks it: the image may still ship it."""
        with self.engine.lock:
            path, node = _follow(self.tree(c), normalise(path))
            return node.data if node is not None and node.kind == "file" else None

    def write_file(self, c: Container, path: str, data: bytes, append: bool = False) -> str | None:
        """A shell's ``> path`` (``>> path`` when ``append``) in the container: None, or
        busybox sh's reason it cannot create the file.  A relative path is taken from the
        working directory; a symlink is written through."""
        with self.engine.lock:
            files = self.tree(c)
            if not path.startswith("/"):
                path = (c.config.get("WorkingDir") or "/") + "/" + path
            path, node = _follow(files, normalise(path))  # a symlink (chain) ends at the file written
            if node is not None and node.kind == "dir":
                return "Is a directory"
            parent = files.get(posixpath.dirname(path))
            if parent is None:
                return "nonexistent directory"
            if parent.kind != "dir":
                return "Not a directory"
            now = self.engine.now()
            if node is not None and node.kind == "file":
                node.data = node.data + data if append else data
                node.mtime = now
            else:
                files[path] = FileNode("file", 0o644, now, data)
            return None

    # the archive API -------------------------------------------------------------------
    def existing(self, ref: str, raw_path: str | None) -> tuple[Container, str, FileNode]:
        """The container, normalised path and node an archive request names; the daemon's
        400 for an empty path and 404 for a missing one."""
        c = self.table.get(ref)
        if raw_path in (None, ""):
            raise messages.archive_path_empty()
        path = normalise(raw_path)
        node = self.tree(c).get(path)
        if node is None:
            raise messages.no_such_path(ref, raw_path or path)
        return c, path, node

    def path_stat(self, path: str, node: FileNode) -> str:
        """The ``X-Docker-Container-Path-Stat`` header: base64 of the JSON stat."""
        name = path.rstrip("/").rsplit("/", 1)[-1] or "/"
        stat = {
            "name": name,
            "size": 4096 if node.kind == "dir" else len(node.data) if node.kind == "file" else len(node.link),
            "mode": _go_mode(node),
            "mtime": trim_fraction(rfc3339_nano(node.mtime)),
            "linkTarget": node.link,
        }
        return base64.b64encode(json.dumps(stat).encode()).decode()

    def archive(self, c: Container, path: str) -> bytes:
        """A tar of ``path`` (a file, or a directory and everything below it), named as
        ``docker cp`` names it: from the path's last component."""
        files = self.tree(c)
        root_name = path.rsplit("/", 1)[-1] or "."
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for p, n in _walk(files, path):
                rel = root_name + p[len(path):] if path != "/" else ("." + p if p != "/" else ".")
                info = tarfile.TarInfo(rel)
                info.mode = n.mode
                info.mtime = int(n.mtime)
                if n.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif n.kind == "symlink":
                    info.type = tarfile.SYMTYPE
                    info.linkname = n.link
                    tar.addfile(info)
                else:
                    info.size = len(n.data)
                    tar.addfile(info, io.BytesIO(n.data))
        return buf.getvalue()

    def extract(self, c: Container, path: str, data: bytes) -> None:
        """Unpack the tar ``data`` into directory ``path`` (the daemon's 500 for a bad tar)."""
        files = self.tree(c)
        now = self.engine.now()
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
                for m in tar.getmembers():
                    self._extract_member(files, path, tar, m, now)
        except (tarfile.TarError, EOFError) as exc:
            raise messages.bad_archive(exc) from None

    @staticmethod
    def _extract_member(files: Tree, path: str, tar: tarfile.TarFile, m: tarfile.TarInfo,
                        now: float) -> None:
        target = normalise(path + "/" + m.name)
        _make_dirs(files, target.rsplit("/", 1)[0] or "/", now)
        if m.isdir():
            existing = files.get(target)
            if existing is None or existing.kind != "dir":
                files[target] = FileNode("dir", m.mode & 0o7777, m.mtime)
            else:
                existing.mode, existing.mtime = m.mode & 0o7777, m.mtime
        elif m.issym():
            files[target] = FileNode("symlink", 0o777, m.mtime, link=m.linkname)
        elif m.islnk():
            src = files.get(normalise(path + "/" + m.linkname))
            files[target] = FileNode("file", m.mode & 0o7777, m.mtime, src.data if src else b"")
        elif m.isfile():
            fh = tar.extractfile(m)
            files[target] = FileNode("file", m.mode & 0o7777, m.mtime, fh.read() if fh else b"")
