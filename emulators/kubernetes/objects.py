"""Object helpers of the simulator: errors, time, selectors, defaults and validation.

Defaults matter because the official client's models validate required fields
(``kubernetes`` 37 models are pydantic): a Service needs ``spec.ports[].port``,
a Deployment status needs its conditions complete, and so on. Defaults are
applied on every write, so re-applying the same manifest changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ApiError",
    "apply_defaults",
    "field_selector",
    "label_selector",
    "matches_selector",
    "now_rfc3339",
    "owned_by",
    "parse_time",
    "selector_text",
    "template_hash",
    "validate",
]

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


class ApiError(Exception):
    """An API error, answered as a ``Status`` object with a standard ``reason``.

    Args:
        code: HTTP status.
        reason: ``NotFound``, ``AlreadyExists``, ``Conflict``, ``Invalid``, ``BadRequest``...
        message: What went wrong, as the real API server words it.
        details: ``{"name", "group", "kind"}`` of the object concerned.
    """

    def __init__(
        self, code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = dict(details or {})

    def status(self) -> dict[str, Any]:
        """The ``Status`` object the server answers with."""
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def now_rfc3339(at: float | None = None) -> str:
    """A Kubernetes timestamp (RFC 3339, whole seconds, UTC)."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> float:
    """Seconds since the epoch of a Kubernetes timestamp (0 when absent)."""
    if not text:
        return 0.0
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def template_hash(template: Mapping[str, Any], collisions: int = 0) -> str:
    """The ``pod-template-hash`` of a pod template: FNV-1a 32 over canonical JSON, safe-encoded.

    Kubernetes hashes a dump of the Go struct; JSON with sorted keys plays that part,
    and the same alphabet (no vowels) keeps names looking the same.
    """
    import json

    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    value = 0x811C9DC5
    for byte in data + (str(collisions).encode() if collisions else b""):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    # As rand.SafeEncodeString(fmt.Sprint(hash)): each decimal digit mapped to the alphabet.
    return "".join(_SAFE[ord(char) % len(_SAFE)] for char in str(value))


def owned_by(obj: Mapping[str, Any], uid: str) -> bool:
    """Whether ``obj`` has an owner reference to ``uid``."""
    refs = obj.get("metadata", {}).get("ownerReferences") or []
    return any(ref.get("uid") == uid for ref in refs)


# -- selectors --------------------------------------------------------------------------------

_REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=)\s*(?P<value>[A-Za-z0-9_.-]*)|\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?\s*$"
)


def _split_requirements(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def label_selector(text: str | None) -> Callable[[Mapping[str, str]], bool]:
    """A predicate on labels for a ``labelSelector`` query (equality and set-based forms).

    Raises:
        ApiError: 400 BadRequest for a selector that does not parse.
    """
    requirements: list[tuple[str, str, frozenset[str]]] = []
    for part in _split_requirements(text or ""):
        match = _REQUIREMENT.match(part)
        if match is None:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {part.strip()!r}")
        if match["neg"]:
            requirements.append((match["key"], "!", frozenset()))
        elif match["op"]:
            op = "!=" if match["op"] == "!=" else "="
            requirements.append((match["key"], op, frozenset([match["value"]])))
        elif match["setop"]:
            values = frozenset(v.strip() for v in match["values"].split(",") if v.strip())
            requirements.append((match["key"], match["setop"], values))
        else:
            requirements.append((match["key"], "exists", frozenset()))

    def matches(labels: Mapping[str, str]) -> bool:
        for key, op, values in requirements:
            value = labels.get(key)
            if (
                (op == "!" and key in labels)
                or (op == "exists" and key not in labels)
                or (op in ("=", "in") and value not in values)
                or (op in ("!=", "notin") and value in values)
            ):
                return False
        return True

    return matches


def field_selector(text: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate on objects for a ``fieldSelector`` (``a.b=v``, ``a.b!=v``, comma-joined)."""
    checks: list[tuple[list[str], str, bool]] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        negate = "!=" in part
        path, _, value = part.partition("!=" if negate else "=")
        checks.append((path.strip().lstrip("=").split("."), value.strip().lstrip("="), negate))

    def matches(obj: Mapping[str, Any]) -> bool:
        for path, value, negate in checks:
            current: Any = obj
            for key in path:
                current = current.get(key) if isinstance(current, Mapping) else None
            actual = "" if current is None else str(current)
            if (actual == value) == negate:
                return False
        return True

    return matches


def matches_selector(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether ``labels`` match a ``LabelSelector`` object (matchLabels and matchExpressions).

    An empty or missing selector matches nothing, as controllers treat it.
    """
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, op, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def selector_text(selector: Mapping[str, Any] | None) -> str:
    """A ``LabelSelector`` as query text (``app=x,tier in (web)``), for ``Scale.status``."""
    parts = [f"{k}={v}" for k, v in sorted((selector or {}).get("matchLabels", {}).items())]
    for expression in (selector or {}).get("matchExpressions") or []:
        op, key = expression["operator"], expression["key"]
        values = ",".join(expression.get("values") or [])
        parts.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}.get(
                op, f"!{key}"
            )
        )
    return ",".join(parts)


# -- defaults and validation ------------------------------------------------------------------


def _pod_spec_defaults(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for container in spec.get("containers") or []:
        image = str(container.get("image", ""))
        latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")


def apply_defaults(kind: str, obj: dict[str, Any], next_ip: Callable[[], str]) -> None:
    """Fill the defaults the API server would (in place)."""
    spec = obj.get("spec")
    if kind == "Deployment" and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxSurge", "25%")
            rolling.setdefault("maxUnavailable", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
    if kind == "ReplicaSet" and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
    if kind in ("Deployment", "ReplicaSet") and isinstance(spec, dict):
        template = spec.get("template")
        if isinstance(template, dict):
            template.setdefault("metadata", {})
            if isinstance(template.get("spec"), dict):
                _pod_spec_defaults(template["spec"])
    if kind == "Pod" and isinstance(spec, dict):
        _pod_spec_defaults(spec)
    if kind == "Service" and isinstance(spec, dict):
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec.get("clusterIP") in (None, ""):
            spec["clusterIP"] = next_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    if kind == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
        obj.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = (
            obj["metadata"].get("name", "")
        )
    if kind == "Service":
        obj.setdefault("status", {"loadBalancer": {}})


def validate(kind: str, group: str, obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
    """Refuse what the API server would (422 Invalid), naming the field."""
    name = obj.get("metadata", {}).get("name", "")
    details = {"name": name, "group": group, "kind": kind.lower() + "s"}

    def invalid(field: str, value: Any, why: str) -> ApiError:
        return ApiError(
            422,
            "Invalid",
            f'{kind} "{name}" is invalid: {field}: Invalid value: {value!r}: {why}',
            details,
        )

    if not _NAME.match(name):
        raise invalid(
            "metadata.name",
            name,
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character",
        )
    spec = obj.get("spec")
    if kind in ("Deployment", "ReplicaSet"):
        if not isinstance(spec, dict) or not isinstance(spec.get("template"), dict):
            raise ApiError(
                422,
                "Invalid",
                f'{kind} "{name}" is invalid: spec.template: Required value',
                details,
            )
        selector = spec.get("selector")
        labels = spec["template"].get("metadata", {}).get("labels") or {}
        if old is not None and old.get("spec", {}).get("selector") != selector:
            raise invalid("spec.selector", selector, "field is immutable")
        if not matches_selector(selector, labels):
            raise invalid(
                "spec.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            )
        if not spec["template"].get("spec", {}).get("containers"):
            raise ApiError(
                422,
                "Invalid",
                f'{kind} "{name}" is invalid: spec.template.spec.containers: Required value',
                details,
            )
        if (spec.get("replicas") or 0) < 0:
            raise invalid(
                "spec.replicas", spec.get("replicas"), "must be greater than or equal to 0"
            )
