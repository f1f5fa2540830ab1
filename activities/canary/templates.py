"""Kayenta's query templates: ``${scope}``, ``${location}`` and extended scope params.

Kayenta expands ``customInlineTemplate`` (or the config template named by
``customFilterTemplate``) with Apache Commons' ``StringSubstitutor``: ``${name}``
is replaced, ``${name:-fallback}`` gives a default, ``$${`` writes a literal
``${``, and an undefined name is an error. ``$\\{`` (how Kayenta stores an escaped
template) is read as ``${`` first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from models.canary import CanaryConfig
from models.errors import CanaryConfigError

__all__ = ["custom_filter", "expand_template"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}")


def expand_template(template: str, bindings: Mapping[str, str]) -> str:
    """Replace every ``${name}`` in ``template`` with its binding.

    Raises:
        CanaryConfigError: A name has no binding and no ``:-`` default.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        default: str | None = None
        if ":-" in name:
            name, default = name.split(":-", 1)
        if name in bindings:
            return bindings[name]
        if default is not None:
            return default
        known = ", ".join(sorted(bindings)) or "none"
        raise CanaryConfigError(
            f"template {template!r} uses ${{{name}}}, which has no value (known: {known})"
        )

    return _TOKEN.sub(replace, template.replace("$\\{", "${"))


def custom_filter(
    config: CanaryConfig,
    query: Mapping[str, Any],
    bindings: Mapping[str, str],
    metric_name: str,
) -> str | None:
    """A query's expanded ``customInlineTemplate`` or ``customFilterTemplate``, else None.

    Raises:
        CanaryConfigError: The deprecated ``customFilter`` is set, the named template
            does not exist, or a template variable has no value.
    """
    if query.get("customFilter") is not None:
        raise CanaryConfigError(
            f"metric {metric_name!r}: query.customFilter is deprecated, "
            "use query.customInlineTemplate instead"
        )
    inline = query.get("customInlineTemplate")
    named = query.get("customFilterTemplate")
    if inline:
        template = str(inline)
    elif named:
        if not config.templates:
            raise CanaryConfigError(
                f"metric {metric_name!r}: custom filter template {named!r} was referenced, "
                "but no templates were defined"
            )
        if named not in config.templates:
            raise CanaryConfigError(
                f"metric {metric_name!r}: custom filter template {named!r} was not found"
            )
        template = config.templates[named]
    else:
        return None
    try:
        return expand_template(template, bindings)
    except CanaryConfigError as err:
        raise CanaryConfigError(f"metric {metric_name!r}: {err}") from None
