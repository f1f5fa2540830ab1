"""The stage graph of a pipeline: refIds, requisites, cycles, topological order (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["StageGraph"]


@dataclass(frozen=True)
class StageGraph:
    """Stages as nodes, ``requisiteStageRefIds`` as edges from upstream to downstream.

    Build it with :meth:`build`; it assumes the refIds are unique and every
    requisite exists (the loader checks that first and reports every problem).
    """

    order: tuple[str, ...]
    upstream: Mapping[str, tuple[str, ...]]
    downstream: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, edges: Iterable[tuple[str, Sequence[str]]]) -> StageGraph:
        """``edges`` lists each stage's refId with its requisites, in file order."""
        order: list[str] = []
        upstream: dict[str, tuple[str, ...]] = {}
        downstream: dict[str, list[str]] = {}
        for ref, requisites in edges:
            order.append(ref)
            upstream[ref] = tuple(dict.fromkeys(requisites))
            downstream.setdefault(ref, [])
        for ref in order:
            for parent in upstream[ref]:
                downstream.setdefault(parent, []).append(ref)
        return cls(tuple(order), upstream, {k: tuple(v) for k, v in downstream.items()})

    def roots(self) -> list[str]:
        """Stages with no requisites: they start first, together."""
        return [ref for ref in self.order if not self.upstream[ref]]

    def descendants(self, ref: str) -> list[str]:
        """Every stage downstream of ``ref`` (transitively), in file order."""
        seen: set[str] = set()
        stack = list(self.downstream.get(ref, ()))
        while stack:
            child = stack.pop()
            if child not in seen:
                seen.add(child)
                stack.extend(self.downstream.get(child, ()))
        return [r for r in self.order if r in seen]

    def ancestors(self, ref: str) -> list[str]:
        """Every stage upstream of ``ref`` (transitively), in topological order."""
        seen: set[str] = set()
        stack = list(self.upstream.get(ref, ()))
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(self.upstream.get(parent, ()))
        return [r for r in self.topological() if r in seen]

    def find_cycle(self) -> list[str] | None:
        """A cycle as a list of refIds (first repeated at the end), or None."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self.order, white)
        for start in self.order:
            if color[start] != white:
                continue
            path: list[str] = []
            stack: list[tuple[str, int]] = [(start, 0)]
            while stack:
                node, index = stack.pop()
                if index == 0:
                    color[node] = grey
                    path.append(node)
                children = self.downstream.get(node, ())
                if index < len(children):
                    stack.append((node, index + 1))
                    child = children[index]
                    if color.get(child) == grey:
                        return [*path[path.index(child) :], child]
                    if color.get(child) == white:
                        stack.append((child, 0))
                else:
                    color[node] = black
                    path.pop()
        return None

    def topological(self) -> list[str]:
        """Stages in an order where every stage follows its requisites (ties in file order)."""
        remaining = {ref: len(self.upstream[ref]) for ref in self.order}
        position = {ref: i for i, ref in enumerate(self.order)}
        ready = [ref for ref in self.order if remaining[ref] == 0]
        result: list[str] = []
        while ready:
            ready.sort(key=position.__getitem__)
            ref = ready.pop(0)
            result.append(ref)
            for child in self.downstream.get(ref, ()):
                remaining[child] -= 1
                if remaining[child] == 0:
                    ready.append(child)
        return result
