"""Template SMS providers for mainland numbers: Alibaba Cloud (Dysmsapi 2017-05-25) and Tencent Cloud (2021-01-11).

Each provider sends one templated message to one number through its official SDK
and turns every answer into a `SentSms` or an `SmsSendError` that says whether a
later try may work (`retryable`) and whether the message may have gone out
(`maybe_done`): neither API de-duplicates, so a message whose fate is unknown is
never sent again. Endpoints are configurable so tests reach local stand-ins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

import phonenumbers

# Alibaba answers HTTP 200 with these codes in the body (SendSms error codes).
ALIBABA_RETRYABLE = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "Throttling.Api"})
# Tencent's error codes that mean "not sent, try again later".
TENCENT_RETRYABLE = frozenset({"RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit"})


class SmsSendError(Exception):
    """The provider did not take the message.

    `code`: the provider's error code. `retryable`: a later try may work (throttling).
    `maybe_done`: the message may have been sent (a timeout, a server error): never resend it.
    """

    def __init__(self, message: str, *, code: str = "", retryable: bool = False, maybe_done: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.maybe_done = maybe_done


@dataclass(frozen=True)
class SentSms:
    """A message the provider accepted: its id (Alibaba's BizId, Tencent's SerialNo)."""

    provider: str
    message_id: str


@dataclass(frozen=True)
class TemplatedSms:
    """One message: the number (E.164), the template and its parameters in the template's order."""

    to: str
    template_id: str
    params: list[tuple[str, str]]
    context: str = ""
    """Our own reference, echoed back in delivery reports (Alibaba OutId, Tencent SessionContext)."""


class SmsProvider(Protocol):
    """Something that sends a templated SMS."""

    name: str

    def send(self, message: TemplatedSms) -> SentSms:
        """Send the message; raise `SmsSendError` when it was not taken."""


def national_number(e164: str) -> str:
    """Return a mainland number as the 11 digits Alibaba expects (other countries keep their code)."""
    parsed = phonenumbers.parse(e164, None)
    if parsed.country_code == 86:
        return phonenumbers.national_significant_number(parsed)
    return f"{parsed.country_code}{phonenumbers.national_significant_number(parsed)}"


def _network_error(provider: str, error: BaseException) -> SmsSendError:
    """Classify a network failure: a refused connection sent nothing, anything else may have."""
    import requests

    inner = getattr(error, "inner_exception", None) or error.__cause__ or error
    text = f"{error} {inner}"
    refused = isinstance(inner, requests.exceptions.ConnectTimeout) or (
        "refused" in text.lower() or "Failed to establish" in text
    )
    return SmsSendError(f"{provider} unreachable: {type(inner).__name__}", retryable=True, maybe_done=not refused)


class AlibabaSms:
    """Alibaba Cloud SMS through `alibabacloud-dysmsapi20170525` (requests signed ACS3-HMAC-SHA256 by the SDK)."""

    name = "alibaba"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        endpoint: str = "dysmsapi.aliyuncs.com",
        protocol: str = "https",
        timeout_ms: int = 10000,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.protocol = protocol
        self.timeout_ms = timeout_ms

    def client(self) -> object:
        """Return the SDK client for the configured endpoint."""
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        config = Config(
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
            endpoint=self.endpoint,
            protocol=self.protocol,
            connect_timeout=self.timeout_ms,
            read_timeout=self.timeout_ms,
        )
        return Client(config)

    def send(self, message: TemplatedSms) -> SentSms:
        """Call SendSms with SignName, TemplateCode and TemplateParam (a JSON object of named variables)."""
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

        request = models.SendSmsRequest(
            phone_numbers=national_number(message.to),
            sign_name=self.sign_name,
            template_code=message.template_id,
            template_param=json.dumps(dict(message.params), ensure_ascii=False),
            out_id=message.context or None,
        )
        try:
            response = self.client().send_sms(request)  # type: ignore[attr-defined]
        except AlibabaCloudException as exc:
            code = str(getattr(exc, "code", "") or "")
            status = int(getattr(exc, "status_code", 0) or 0)
            if status >= 500:
                raise SmsSendError(f"Alibaba {status} {code}", code=code, retryable=True, maybe_done=True) from exc
            throttled = code in ALIBABA_RETRYABLE or code.startswith("Throttling")
            raise SmsSendError(f"Alibaba {status} {code}", code=code, retryable=throttled) from exc
        except Exception as exc:  # noqa: BLE001  (the SDK wraps network errors in its own types)
            raise _network_error("Alibaba", exc) from exc
        body = response.body
        if body is None or body.code != "OK" or not body.biz_id:
            code = (body.code if body is not None else "") or ""
            text = (body.message if body is not None else "") or ""
            raise SmsSendError(f"Alibaba {code}: {text}"[:300], code=code, retryable=code in ALIBABA_RETRYABLE)
        return SentSms(self.name, body.biz_id)


class TencentSms:
    """Tencent Cloud SMS through `tencentcloud-sdk-python-sms` (requests signed TC3-HMAC-SHA256 by the SDK)."""

    name = "tencent"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        region: str = "ap-guangzhou",
        endpoint: str = "sms.tencentcloudapi.com",
        protocol: str = "https",
        timeout_seconds: int = 10,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.region = region
        self.endpoint = endpoint
        self.protocol = protocol
        self.timeout_seconds = timeout_seconds

    def client(self) -> object:
        """Return the SDK client for the configured endpoint."""
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(protocol=self.protocol, endpoint=self.endpoint, reqTimeout=self.timeout_seconds)
        profile = ClientProfile(httpProfile=http)
        return sms_client.SmsClient(credential.Credential(self.secret_id, self.secret_key), self.region, profile)

    def send(self, message: TemplatedSms) -> SentSms:
        """Call SendSms with SmsSdkAppId, TemplateId, SignName and TemplateParamSet (values in template order)."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [message.to]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = message.template_id
        request.TemplateParamSet = [value for _name, value in message.params]
        request.SessionContext = message.context or None
        try:
            response = self.client().SendSms(request)  # type: ignore[attr-defined]
        except TencentCloudSDKException as exc:
            code = str(exc.code or "")
            if code == "ClientNetworkError":
                raise _network_error("Tencent", Exception(exc.message)) from exc
            if code == "ServerNetworkError" or code.startswith("InternalError"):
                raise SmsSendError(f"Tencent {code}", code=code, retryable=True, maybe_done=True) from exc
            raise SmsSendError(f"Tencent {code}: {exc.message}"[:300], code=code, retryable=_retryable(code)) from exc
        statuses = response.SendStatusSet or []
        if len(statuses) != 1:
            raise SmsSendError("Tencent answered without one send status", retryable=True, maybe_done=True)
        status = statuses[0]
        if status.Code != "Ok":
            code = status.Code or ""
            raise SmsSendError(f"Tencent {code}: {status.Message}"[:300], code=code, retryable=_retryable(code))
        return SentSms(self.name, status.SerialNo)


def _retryable(code: str) -> bool:
    """Return whether a Tencent error code means throttled (not sent; a later try may work)."""
    return code in TENCENT_RETRYABLE or code.startswith("RequestLimitExceeded")
