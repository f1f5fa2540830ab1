"""Target selection for manifest stages, and the revision an undo goes back to (pure).

Spinnaker's selector modes (deck ``IManifestSelector``): ``static`` names one
object; ``dynamic`` picks one object of a cluster by ``criteria``; ``label``
selects every object of some kinds whose labels match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from models.kubernetes import LabelSelector, Revision, RolloutHistory

__all__ = [
    "CRITERIA",
    "choose_by_criteria",
    "in_cluster",
    "label_selector_text",
    "normalise_criteria",
    "undo_target",
]

CRITERIA = ("newest", "secondNewest", "oldest", "largest", "smallest")
_VERSIONED = re.compile(r"^(?P<base>.+)-v\d{3,}$")


def normalise_criteria(criteria: str) -> str:
    """``"second newest"``, ``"SECOND_NEWEST"`` or ``"secondNewest"`` → ``"secondNewest"``.

    Raises:
        ValueError: Not one of :data:`CRITERIA`.
    """
    compact = re.sub(r"[\s_-]", "", criteria).lower()
    for known in CRITERIA:
        if known.lower() == compact:
            return known
    raise ValueError(f"unknown criteria {criteria!r} (known: {', '.join(CRITERIA)})")


def in_cluster(obj: Mapping[str, Any], cluster: str, kind: str) -> bool:
    """Whether ``obj`` belongs to ``cluster``: its moniker annotation says so, or its name does.

    ``cluster`` is Spinnaker's ``"<kind> <name>"`` (``"replicaSet web"`` holds
    ``web-v000``, ``web-v001``...) or a bare moniker cluster name.
    """
    meta = obj.get("metadata") or {}
    annotation = (meta.get("annotations") or {}).get("moniker.spinnaker.io/cluster")
    parts = cluster.split()
    base = parts[-1]
    if annotation is not None:
        return annotation in (cluster, f"{kind[:1].lower()}{kind[1:]} {base}", base)
    name = str(meta.get("name", ""))
    versioned = _VERSIONED.match(name)
    return name == base or (versioned is not None and versioned["base"] == base)


def _replicas(obj: Mapping[str, Any]) -> int:
    return int((obj.get("spec") or {}).get("replicas", 0) or 0)


def _created(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("creationTimestamp", "")), str(meta.get("name", ""))


def choose_by_criteria(objects: Sequence[Mapping[str, Any]], criteria: str) -> Mapping[str, Any]:
    """The object ``criteria`` picks: by creation time, or by replicas (ties: the newest).

    Raises:
        ValueError: Unknown criteria, or too few objects (``secondNewest`` needs two).
    """
    chosen = normalise_criteria(criteria)
    newest_first = sorted(objects, key=_created, reverse=True)
    needed = 2 if chosen == "secondNewest" else 1
    if len(newest_first) < needed:
        raise ValueError(
            f"criteria {chosen!r} needs {needed} objects in the cluster, found {len(newest_first)}"
        )
    if chosen == "newest":
        return newest_first[0]
    if chosen == "secondNewest":
        return newest_first[1]
    if chosen == "oldest":
        return newest_first[-1]
    by_size = sorted(newest_first, key=_replicas, reverse=chosen == "largest")
    # sorted() is stable, so among equal sizes the newest comes first.
    return by_size[0]


def label_selector_text(selectors: Sequence[LabelSelector]) -> str:
    """Spinnaker's ``labelSelectors.selectors`` as a Kubernetes label selector.

    ``ANY`` puts no constraint; ``EQUALS``/``NOT_EQUALS`` use the first value;
    ``CONTAINS``/``NOT_CONTAINS`` are ``in``/``notin``.

    Raises:
        ValueError: A selector that needs values has none.
    """
    parts = []
    for selector in selectors:
        key, values = selector.key, selector.values
        if selector.kind in ("EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS") and not values:
            raise ValueError(f"label selector {key!r} ({selector.kind}) needs at least one value")
        if selector.kind == "EQUALS":
            parts.append(f"{key}={values[0]}")
        elif selector.kind == "NOT_EQUALS":
            parts.append(f"{key}!={values[0]}")
        elif selector.kind == "CONTAINS":
            parts.append(f"{key} in ({','.join(values)})")
        elif selector.kind == "NOT_CONTAINS":
            parts.append(f"{key} notin ({','.join(values)})")
        elif selector.kind == "EXISTS":
            parts.append(key)
        elif selector.kind == "NOT_EXISTS":
            parts.append(f"!{key}")
    return ",".join(parts)


def undo_target(history: RolloutHistory, revisions_back: int) -> Revision:
    """The revision ``revisions_back`` steps before the current one.

    Raises:
        ValueError: ``revisions_back`` below 1, or not that many older revisions.
    """
    if revisions_back < 1:
        raise ValueError(f"numRevisionsBack must be at least 1, got {revisions_back}")
    older = sorted(
        (r for r in history.revisions if r.revision < history.current), key=lambda r: -r.revision
    )
    if len(older) < revisions_back:
        raise ValueError(
            f"{history.ref.display} is at revision {history.current} and has {len(older)} older "
            f"revision(s); cannot go {revisions_back} back"
        )
    return older[revisions_back - 1]
