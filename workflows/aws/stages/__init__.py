"""The AWS stage handlers (workflow code). Importing this package registers them."""

from __future__ import annotations

from workflows.aws.stages import (  # noqa: F401  (each module registers its handlers)
    chaos,
    clusters,
    deploy,
    images,
    rollback,
    server_groups,
)
