"""Turn boto3 and Gennaker errors into Temporal activity failures.

Temporal retries what may succeed later and stops on what cannot:

- bad input, missing resources and refused permissions are non-retryable, with a
  message naming the account, region and resource;
- throttling, 5xx answers, timeouts and dropped connections are retryable, and
  Temporal's retry policy provides the backoff.

``ApplicationError.type`` says which kind it was, for retry policies and the UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import pydantic
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from temporalio.exceptions import ApplicationError, CancelledError

from models.config import problems_from_pydantic
from models.errors import GennakerError, NotFoundError, ProviderError, ValidationError

__all__ = [
    "AWS_ERROR",
    "AWS_NOT_FOUND",
    "AWS_PERMISSION",
    "AWS_THROTTLED",
    "AWS_UNAVAILABLE",
    "AWS_VALIDATION",
    "NOT_FOUND",
    "VALIDATION",
    "classify",
    "revalidated",
    "translated",
]

AWS_VALIDATION = "AwsValidationError"
AWS_NOT_FOUND = "AwsNotFound"
AWS_PERMISSION = "AwsPermissionDenied"
AWS_THROTTLED = "AwsThrottled"
AWS_UNAVAILABLE = "AwsUnavailable"
AWS_ERROR = "AwsError"
VALIDATION = "ValidationError"
NOT_FOUND = "NotFound"

_THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
}
_UNAVAILABLE = {
    "InternalError",
    "InternalFailure",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
}
# Conflicts that clear up by themselves (a scaling activity, a resource settling).
_TRANSIENT = {
    "ResourceInUse",
    "ResourceContention",
    "ScalingActivityInProgress",
    "IncorrectState",
    "IncorrectInstanceState",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
}
_PERMISSION = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "OptInRequired",
    "UnrecognizedClientException",
    "Blocked",
}


def _where(account: str, region: str | None, resource: str | None) -> str:
    parts = [f"account {account!r}"]
    if region:
        parts.append(f"region {region!r}")
    if resource:
        parts.append(resource)
    return ", ".join(parts)


def _client_error(err: ClientError, where: str) -> ApplicationError:
    error = err.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    text = str(error.get("Message", "")).strip() or str(err)
    status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    operation = err.operation_name
    message = f"{operation} failed ({where}): {code}: {text}"
    if code in _THROTTLING:
        return ApplicationError(message, type=AWS_THROTTLED)
    if code in _UNAVAILABLE or status >= 500:
        return ApplicationError(message, type=AWS_UNAVAILABLE)
    if code in _TRANSIENT:
        return ApplicationError(message, type=AWS_ERROR)
    if code in _PERMISSION:
        return ApplicationError(message, type=AWS_PERMISSION, non_retryable=True)
    # Auto Scaling reports missing groups as ValidationError "... not found".
    if "NotFound" in code or "not found" in text.lower() or "does not exist" in text.lower():
        return ApplicationError(message, type=AWS_NOT_FOUND, non_retryable=True)
    # Any other 4xx is a request AWS will refuse again.
    return ApplicationError(message, type=AWS_VALIDATION, non_retryable=True)


def classify(
    err: BaseException, *, account: str, region: str | None = None, resource: str | None = None
) -> ApplicationError:
    """The Temporal failure for ``err``, naming the account, region and resource.

    Args:
        err: A botocore error, a Gennaker error, or anything else.
        account: The account the activity acted in.
        region: The region, if one.
        resource: What was acted on, for example ``server group app-v001``.
    """
    where = _where(account, region, resource)
    if isinstance(err, ApplicationError):
        return err
    if isinstance(err, ClientError):
        return _client_error(err, where)
    if isinstance(err, ParamValidationError):
        return ApplicationError(
            f"invalid request ({where}): {err}", type=AWS_VALIDATION, non_retryable=True
        )
    if isinstance(err, NoCredentialsError):
        return ApplicationError(
            f"no AWS credentials ({where}): configure boto3's credential chain on the worker",
            type=AWS_PERMISSION,
            non_retryable=True,
        )
    if isinstance(err, BotoConnectionError | HTTPClientError):
        return ApplicationError(f"cannot reach AWS ({where}): {err}", type=AWS_UNAVAILABLE)
    if isinstance(err, BotoCoreError):
        return ApplicationError(f"AWS client error ({where}): {err}", type=AWS_ERROR)
    if isinstance(err, ValidationError):
        return ApplicationError(f"{err} ({where})", type=VALIDATION, non_retryable=True)
    if isinstance(err, NotFoundError):
        return ApplicationError(f"{err} ({where})", type=NOT_FOUND, non_retryable=True)
    if isinstance(err, ProviderError):
        return ApplicationError(f"{err} ({where})", type=AWS_ERROR, non_retryable=not err.retryable)
    if isinstance(err, GennakerError):
        return ApplicationError(f"{err} ({where})", type=type(err).__name__, non_retryable=True)
    return ApplicationError(f"{type(err).__name__}: {err} ({where})", type=AWS_ERROR)


@contextmanager
def translated(
    account: str, region: str | None = None, resource: str | None = None
) -> Iterator[None]:
    """Re-raise anything but cancellation as a classified ``ApplicationError``."""
    try:
        yield
    except (CancelledError, ApplicationError):
        raise
    except Exception as err:
        raise classify(err, account=account, region=region, resource=resource) from err


_Model = TypeVar("_Model", bound=pydantic.BaseModel)


def revalidated(request: _Model) -> _Model:
    """``request`` validated again, so that data built without validation fails before any call.

    Raises:
        ApplicationError: Non-retryable, naming each wrong field.
    """
    try:
        return type(request).model_validate(request.model_dump())
    except pydantic.ValidationError as err:
        problems = "; ".join(str(p) for p in problems_from_pydantic(err))
        raise ApplicationError(
            f"invalid {type(request).__name__}: {problems}", type=VALIDATION, non_retryable=True
        ) from None
