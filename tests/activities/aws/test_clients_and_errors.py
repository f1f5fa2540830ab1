"""Sessions per account and region, assumed roles, and error classification."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)
from temporalio.exceptions import ApplicationError, CancelledError

from activities.aws import AwsActivities, ClientFactory
from activities.aws.errors import classify, translated
from models.aws import ListServerGroupsRequest
from models.config import GennakerConfig
from models.errors import NotFoundError, ProviderError, ValidationError
from tests.activities.aws.conftest import RecordingEnvironment


def client_error(code: str, status: int, message: str = "boom", op: str = "DoThing") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, op)


@pytest.mark.parametrize(
    ("error", "kind", "retryable"),
    [
        (client_error("Throttling", 400), "AwsThrottled", True),
        (client_error("RequestLimitExceeded", 503), "AwsThrottled", True),
        (client_error("InternalError", 500), "AwsUnavailable", True),
        (client_error("SomethingNew", 502), "AwsUnavailable", True),
        (client_error("ScalingActivityInProgress", 400), "AwsError", True),
        (client_error("AccessDenied", 403), "AwsPermissionDenied", False),
        (client_error("UnauthorizedOperation", 403), "AwsPermissionDenied", False),
        (client_error("InvalidAMIID.NotFound", 400), "AwsNotFound", False),
        (
            client_error("ValidationError", 400, "AutoScalingGroup name not found"),
            "AwsNotFound",
            False,
        ),
        (client_error("ValidationError", 400, "Max bigger than min"), "AwsValidationError", False),
        (client_error("LimitExceeded", 400), "AwsValidationError", False),
        (ParamValidationError(report="bad"), "AwsValidationError", False),
        (NoCredentialsError(), "AwsPermissionDenied", False),
        (EndpointConnectionError(endpoint_url="http://x"), "AwsUnavailable", True),
        (ValidationError("bad field"), "ValidationError", False),
        (NotFoundError("no such thing"), "NotFound", False),
        (ProviderError("later", retryable=True), "AwsError", True),
        (ProviderError("never", retryable=False), "AwsError", False),
        (RuntimeError("surprise"), "AwsError", True),
    ],
)
def test_classification(error: Exception, kind: str, retryable: bool) -> None:
    failure = classify(error, account="prod", region="us-east-1", resource="server group app-v001")
    assert failure.type == kind
    assert failure.non_retryable is not retryable
    text = str(failure)
    assert "'prod'" in text and "'us-east-1'" in text and "app-v001" in text


def test_translated_passes_cancellation_and_application_errors_through() -> None:
    with pytest.raises(CancelledError), translated("prod"):
        raise CancelledError("stop")
    original = ApplicationError("mine", type="Mine")
    with pytest.raises(ApplicationError) as caught, translated("prod"):
        raise original
    assert caught.value is original
    with pytest.raises(ApplicationError) as classified, translated("prod", "us-east-1"):
        raise client_error("AccessDenied", 403, op="CreateAutoScalingGroup")
    assert str(classified.value).startswith(
        "AwsPermissionDenied: CreateAutoScalingGroup failed (account 'prod', region 'us-east-1')"
    )


def test_clients_are_cached_per_account_and_region(config: GennakerConfig) -> None:
    factory = ClientFactory(config)
    east = factory.for_region("test", "us-east-1")
    assert factory.for_region("test", "us-east-1") is east
    west = factory.for_region("test", "us-west-2")
    assert west is not east and west.region == "us-west-2"
    assert east.endpoint_url == config.aws.accounts[0].endpoint_url
    with pytest.raises(NotFoundError, match="'nobody'"):
        factory.for_region("nobody", "us-east-1")
    with pytest.raises(ValidationError, match="'ap-south-1' is not configured"):
        factory.for_region("test", "ap-south-1")


def test_assume_role_goes_through_sts(moto_url: str, env: RecordingEnvironment) -> None:
    role = "arn:aws:iam::123456789012:role/gennaker"
    config = GennakerConfig.parse(
        {
            "aws": {
                "accounts": [
                    {
                        "name": "prod",
                        "regions": ["us-east-1"],
                        "endpointUrl": moto_url,
                        "assumeRole": role,
                    }
                ]
            }
        }
    )
    clients = ClientFactory(config).for_region("prod", "us-east-1")
    credentials = clients.credential_environment()
    # Not the worker's own (dummy) keys: moto's STS handed out temporary ones.
    assert credentials["AWS_ACCESS_KEY_ID"] != "testing"
    assert credentials["AWS_SESSION_TOKEN"] and credentials["AWS_SESSION_TOKEN"] != "testing"
    assert clients.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    activities = AwsActivities(config)
    listed = env.run(
        activities.list_server_groups,
        ListServerGroupsRequest(account="prod", region="us-east-1", cluster="app"),
    )
    assert listed.server_groups == []


def test_worker_credentials_come_from_the_chain(config: GennakerConfig) -> None:
    clients = ClientFactory(config).for_region("test", "us-east-1")
    credentials = clients.credential_environment()
    assert credentials["AWS_ACCESS_KEY_ID"] == "testing"
    assert credentials["AWS_REGION"] == "us-east-1"


def test_every_activity_is_listed_with_its_name(config: GennakerConfig) -> None:
    names = [fn.__temporal_activity_definition.name for fn in AwsActivities(config).all()]  # type: ignore[attr-defined]
    assert names == [
        "aws.createServerGroup",
        "aws.cloneServerGroup",
        "aws.listServerGroups",
        "aws.describeServerGroup",
        "aws.enableServerGroup",
        "aws.disableServerGroup",
        "aws.resizeServerGroup",
        "aws.destroyServerGroup",
        "aws.terminateInstances",
        "aws.waitForHealthy",
        "aws.findImageFromCluster",
        "aws.findImageFromTags",
        "aws.bake",
    ]
