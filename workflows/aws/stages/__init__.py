"""The AWS stage handlers (workflow code). Importing this package registers them."""

from __future__ import annotations

from workflows.aws.expressions import deployed_server_groups
from workflows.aws.stages import (  # noqa: F401  (each module registers its handlers)
    chaos,
    clusters,
    deploy,
    images,
    rollback,
    server_groups,
)
from workflows.runtime import expression_function

expression_function("deployedServerGroups")(deployed_server_groups)
