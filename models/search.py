"""Gennaker's search attributes: how the Web UI's list and ``executions list`` filter runs."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

__all__ = ["SEARCH", "SearchKeys", "run_search_attributes"]


@dataclass(frozen=True)
class SearchKeys:
    """The typed keys. Register them on the server (``gennaker up`` and the compose job do)."""

    application: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("GennakerApplication")
    pipeline: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("GennakerPipeline")
    status: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("GennakerStatus")
    trigger: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("GennakerTrigger")
    awaiting_judgment: SearchAttributeKey[bool] = SearchAttributeKey.for_bool(
        "GennakerAwaitingJudgment"
    )

    def all(self) -> list[SearchAttributeKey[str] | SearchAttributeKey[bool]]:
        """Every key, for registration."""
        return [self.application, self.pipeline, self.status, self.trigger, self.awaiting_judgment]


SEARCH = SearchKeys()


def run_search_attributes(
    application: str, pipeline: str, trigger_type: str
) -> TypedSearchAttributes:
    """Search attributes a run starts with."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SEARCH.application, application),
            SearchAttributePair(SEARCH.pipeline, pipeline),
            SearchAttributePair(SEARCH.trigger, trigger_type),
            SearchAttributePair(SEARCH.status, "NOT_STARTED"),
            SearchAttributePair(SEARCH.awaiting_judgment, False),
        ]
    )
