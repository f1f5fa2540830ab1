"""The simulator's HTTP API: discovery, CRUD, PATCH flavours, subresources and watch.

Answers as the real API server does where clients look: ``Status`` errors with
standard reasons, lists with ``kind``/``apiVersion``/``metadata.resourceVersion``,
DELETE answering the object for Pods and Services and a ``Status`` otherwise,
watch as chunked JSON lines honouring ``resourceVersion`` and ``timeoutSeconds``.
``TCP_NODELAY`` is set on every connection: without it each keep-alive request
waits about 40 ms for a delayed ACK.
"""

from __future__ import annotations

import json
import re
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from emulators.kubernetes.cluster import Cluster
from emulators.kubernetes.objects import ApiError, field_selector, label_selector, selector_text
from emulators.kubernetes.patches import apply_patch
from emulators.kubernetes.resources import ResourceType, by_plural, discovery

__all__ = ["SimulatorHTTPServer"]

_PATH = re.compile(r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))/(?P<rest>.+)$")
_RETURNS_OBJECT = {"pods", "services"}
_MAX_WATCH_SECONDS = 600.0

Route = tuple[ResourceType, str | None, str | None, str | None]


def _route(path: str) -> Route:
    match = _PATH.match(path)
    not_found = ApiError(404, "NotFound", "the server could not find the requested resource")
    if match is None:
        raise not_found
    group = match["group"] or ""
    version = match["core"] or match["version"]
    parts = match["rest"].strip("/").split("/")
    namespace = None
    if parts[0] == "namespaces" and len(parts) >= 3 and by_plural(group, parts[2]):
        namespace, parts = parts[1], parts[2:]
    rtype = by_plural(group, parts[0])
    if rtype is None or rtype.version != version or len(parts) > 3:
        raise not_found
    if (namespace is not None and not rtype.namespaced) or (
        rtype.namespaced and namespace is None and len(parts) > 1
    ):
        raise not_found
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and sub not in rtype.subresources:
        raise not_found
    return rtype, namespace, name, sub


def _scale(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": obj["spec"].get("replicas", 0)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": selector_text(obj["spec"].get("selector")),
        },
    }


def _truthy(query: dict[str, list[str]], key: str) -> bool:
    return query.get(key, [""])[0].lower() in ("1", "true")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo do not want a line per request."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing --------------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, value: Any) -> None:
        self._send(code, json.dumps(value).encode())

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return None
        try:
            if "yaml" in (self.headers.get("Content-Type") or ""):
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as err:
            raise ApiError(400, "BadRequest", f"the request body is not valid: {err}") from None

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            body = self._body()
            if method == "GET":
                host, port = self.server.server_address[:2]
                shown = host.decode() if isinstance(host, bytes | bytearray) else host
                document = discovery(url.path.rstrip("/") or "/", f"{shown}:{port}")
                if document is not None:
                    return self._json(200, document)
                if url.path in ("/healthz", "/readyz", "/livez"):
                    return self._send(200, b"ok", "text/plain")
            rtype, namespace, name, sub = _route(url.path)
            if method == "GET" and name is None and _truthy(query, "watch"):
                return self._watch(rtype, namespace, query)
            code, result = self._operate(method, rtype, namespace, name, sub, body, query)
            if isinstance(result, str):
                return self._send(code, result.encode(), "text/plain")
            self._json(code, result)
        except ApiError as err:
            self._json(err.code, err.status())
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as err:  # noqa: BLE001 - answer as the API server does, keep serving
            self._json(500, ApiError(500, "InternalError", f"internal error: {err!r}").status())

    # -- verbs ------------------------------------------------------------------------------------

    def _operate(
        self,
        method: str,
        rtype: ResourceType,
        namespace: str | None,
        name: str | None,
        sub: str | None,
        body: Any,
        query: dict[str, list[str]],
    ) -> tuple[int, Any]:
        store = self.server.cluster.store
        ns = namespace or ""
        if name is None:
            if method == "GET":
                return 200, self._list(rtype, namespace, query)
            if method == "POST":
                if rtype.namespaced and namespace is None:
                    raise ApiError(
                        404, "NotFound", "the server could not find the requested resource"
                    )
                if not isinstance(body, dict):
                    raise ApiError(400, "BadRequest", "the request body must be an object")
                return 201, store.create(rtype, ns, body)
            if method == "DELETE":
                listing = self._list(rtype, namespace, query)
                for item in listing["items"]:
                    meta = item["metadata"]
                    store.delete(rtype, meta.get("namespace", ""), meta["name"])
                return 200, listing
            raise ApiError(405, "MethodNotAllowed", f"{method} is not supported on a collection")
        if method == "GET":
            obj = store.get(rtype, ns, name)
            if sub == "scale":
                return 200, _scale(obj)
            if sub == "log":
                return 200, f"[gennaker simulator] pod {name} has no real containers; no log\n"
            return 200, obj
        if method == "PUT":
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "the request body must be an object")
            if sub == "scale":
                obj = store.get(rtype, ns, name)
                obj["spec"]["replicas"] = int((body.get("spec") or {}).get("replicas", 0))
                return 200, _scale(store.replace(rtype, ns, name, obj))
            return 200, store.replace(rtype, ns, name, body, subresource=sub)
        if method == "PATCH":
            return self._patch(rtype, ns, name, sub, body)
        if method == "DELETE":
            policy = query.get("propagationPolicy", [None])[0] or (body or {}).get(
                "propagationPolicy"
            )
            if _truthy(query, "orphanDependents") or (body or {}).get("orphanDependents") is True:
                policy = "Orphan"
            deleted = store.delete(rtype, ns, name, policy or "Background")
            if rtype.plural in _RETURNS_OBJECT:
                return 200, deleted
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {
                    "name": name,
                    "group": rtype.group,
                    "kind": rtype.plural,
                    "uid": deleted["metadata"]["uid"],
                },
            }
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported")

    def _patch(
        self, rtype: ResourceType, ns: str, name: str, sub: str | None, body: Any
    ) -> tuple[int, Any]:
        store = self.server.cluster.store
        content_type = self.headers.get("Content-Type") or ""
        with store.lock:
            current = store.find(rtype, ns, name)
            if current is None:
                if "apply-patch" in content_type and sub is None and isinstance(body, dict):
                    return 201, store.create(rtype, ns, body)
                return 404, store.get(rtype, ns, name)  # raises the standard NotFound
            if sub == "scale":
                patched = apply_patch(content_type, _scale(current), body)
                current["spec"]["replicas"] = int(patched["spec"]["replicas"])
                return 200, _scale(store.replace(rtype, ns, name, current))
            patched = apply_patch(content_type, current, body)
            patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"][
                "resourceVersion"
            ]
            return 200, store.replace(rtype, ns, name, patched, subresource=sub)

    def _list(
        self, rtype: ResourceType, namespace: str | None, query: dict[str, list[str]]
    ) -> dict[str, Any]:
        labels = label_selector(query.get("labelSelector", [""])[0])
        fields = field_selector(query.get("fieldSelector", [""])[0])
        store = self.server.cluster.store
        with store.lock:
            items = store.list(
                rtype, namespace, lambda o: labels(o["metadata"].get("labels") or {}) and fields(o)
            )
            version = store.resource_version
        return {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": {"resourceVersion": str(version)},
            "items": items,
        }

    def _watch(
        self, rtype: ResourceType, namespace: str | None, query: dict[str, list[str]]
    ) -> None:
        store = self.server.cluster.store
        labels = label_selector(query.get("labelSelector", [""])[0])
        fields = field_selector(query.get("fieldSelector", [""])[0])
        timeout = min(
            float(query.get("timeoutSeconds", [_MAX_WATCH_SECONDS])[0]), _MAX_WATCH_SECONDS
        )
        since = query.get("resourceVersion", [""])[0]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(kind: str, obj: dict[str, Any]) -> None:
            line = json.dumps({"type": kind, "object": obj}).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        def wanted(obj: dict[str, Any]) -> bool:
            meta = obj["metadata"]
            return (namespace is None or meta.get("namespace") == namespace) and bool(
                labels(meta.get("labels") or {}) and fields(obj)
            )

        try:
            with store.lock:
                version = store.resource_version
                initial = [] if since not in ("", "0") else store.list(rtype, namespace)
            if since not in ("", "0"):
                version = int(since)
            for obj in initial:
                if wanted(obj):
                    send("ADDED", obj)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    events = list(store.events_since(version))
                except ApiError as err:
                    send("ERROR", err.status())
                    break
                for event in events:
                    version = event.resource_version
                    if event.resource == rtype and wanted(event.object):
                        send(event.type, event.object)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if not events:
                    store.wait(min(remaining, 1.0))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that serves one :class:`Cluster`."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], cluster: Cluster) -> None:
        self.cluster = cluster
        super().__init__(address, _Handler)
