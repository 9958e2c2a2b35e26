"""The Alibaba and Tencent SMS providers through their SDKs against the signature-checking stand-ins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.sms.providers import AlibabaSms, SmsSendError, TemplatedSms, TencentSms
from tests.support.ports import free_port
from tests.support.sms_providers import AlibabaStandIn, TencentStandIn

SIGN = "宝坻社工热线"


@pytest.fixture
def alibaba() -> Iterator[AlibabaStandIn]:
    server = AlibabaStandIn("LTAI-test", "alibaba-secret", SIGN, {"SMS_100": ["no", "code"]}).start()
    yield server
    server.stop()


@pytest.fixture
def tencent() -> Iterator[TencentStandIn]:
    server = TencentStandIn("AKID-test", "tencent-secret", SIGN, {"2001": 2}).start()
    yield server
    server.stop()


def alibaba_provider(server: AlibabaStandIn, secret: str = "alibaba-secret") -> AlibabaSms:
    return AlibabaSms("LTAI-test", secret, SIGN, endpoint=server.endpoint, protocol="http")


def tencent_provider(server: TencentStandIn, secret: str = "tencent-secret") -> TencentSms:
    return TencentSms("AKID-test", secret, "1400000001", SIGN, endpoint=server.endpoint, protocol="http")


MESSAGE = TemplatedSms("+8613900000001", "SMS_100", [("no", "12"), ("code", "4821")], "attempt:7")


def test_alibaba_sendsms_is_signed_acs3_and_carries_sign_template_and_named_params(alibaba: AlibabaStandIn) -> None:
    sent = alibaba_provider(alibaba).send(MESSAGE)
    (accepted,) = alibaba.accepted
    assert sent.provider == "alibaba" and sent.message_id == accepted["BizId"]
    assert accepted["PhoneNumbers"] == "13900000001" and accepted["SignName"] == SIGN
    assert accepted["TemplateCode"] == "SMS_100" and accepted["TemplateParam"] == {"no": "12", "code": "4821"}
    assert accepted["OutId"] == "attempt:7"


def test_tencent_sendsms_is_signed_tc3_and_carries_app_template_and_ordered_params(tencent: TencentStandIn) -> None:
    message = TemplatedSms("+8613900000001", "2001", [("no", "12"), ("code", "4821")], "attempt:7")
    sent = tencent_provider(tencent).send(message)
    (accepted,) = tencent.accepted
    assert sent.provider == "tencent" and sent.message_id == accepted["SerialNo"]
    assert accepted["PhoneNumberSet"] == ["+8613900000001"] and accepted["SmsSdkAppId"] == "1400000001"
    assert accepted["TemplateId"] == "2001" and accepted["TemplateParamSet"] == ["12", "4821"]
    assert accepted["SignName"] == SIGN and accepted["SessionContext"] == "attempt:7"


def test_a_wrong_secret_fails_the_stand_ins_signature_check_and_is_not_retried(
    alibaba: AlibabaStandIn, tencent: TencentStandIn
) -> None:
    with pytest.raises(SmsSendError) as ali:
        alibaba_provider(alibaba, secret="wrong").send(MESSAGE)
    with pytest.raises(SmsSendError) as ten:
        tencent_provider(tencent, secret="wrong").send(TemplatedSms("+8613900000001", "2001", [("a", "1"), ("b", "2")]))
    assert ali.value.code == "SignatureDoesNotMatch" and not ali.value.retryable and not ali.value.maybe_done
    assert ten.value.code == "AuthFailure.SignatureFailure" and not ten.value.retryable and not ten.value.maybe_done
    assert alibaba.accepted == [] and tencent.accepted == []


@pytest.mark.parametrize(
    ("scenario", "alibaba_code", "tencent_code", "retryable", "maybe_done"),
    [
        ("throttle", "isv.BUSINESS_LIMIT_CONTROL", "RequestLimitExceeded", True, False),
        ("quota", "isv.AMOUNT_NOT_ENOUGH", "FailedOperation.InsufficientBalanceInSmsPackage", False, False),
        ("day_limit", "isv.DAY_LIMIT_CONTROL", "LimitExceeded.PhoneNumberDailyLimit", False, False),
        ("server_error", "ServiceUnavailable", "InternalError.Timeout", True, True),
    ],
)
def test_documented_errors_say_whether_to_retry_and_whether_the_message_may_have_gone(
    alibaba: AlibabaStandIn,
    tencent: TencentStandIn,
    scenario: str,
    alibaba_code: str,
    tencent_code: str,
    retryable: bool,
    maybe_done: bool,
) -> None:
    alibaba.fail_next.append(scenario)
    tencent.fail_next.append(scenario)
    with pytest.raises(SmsSendError) as ali:
        alibaba_provider(alibaba).send(MESSAGE)
    with pytest.raises(SmsSendError) as ten:
        tencent_provider(tencent).send(TemplatedSms("+8613900000001", "2001", [("a", "1"), ("b", "2")]))
    assert (ali.value.code, ali.value.retryable, ali.value.maybe_done) == (alibaba_code, retryable, maybe_done)
    assert (ten.value.code, ten.value.retryable, ten.value.maybe_done) == (tencent_code, retryable, maybe_done)


def test_an_unknown_template_and_a_wrong_parameter_count_are_refused(
    alibaba: AlibabaStandIn, tencent: TencentStandIn
) -> None:
    with pytest.raises(SmsSendError) as ali:
        alibaba_provider(alibaba).send(TemplatedSms("+8613900000001", "SMS_999", [("no", "1")]))
    with pytest.raises(SmsSendError) as missing:
        alibaba_provider(alibaba).send(TemplatedSms("+8613900000001", "SMS_100", [("no", "1")]))
    with pytest.raises(SmsSendError) as ten:
        tencent_provider(tencent).send(TemplatedSms("+8613900000001", "2001", [("a", "1")]))
    assert ali.value.code == "isv.SMS_TEMPLATE_ILLEGAL" and missing.value.code == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert ten.value.code == "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
    assert not any(e.retryable for e in (ali.value, missing.value, ten.value))


def test_a_refused_connection_sent_nothing_and_may_be_retried() -> None:
    port = free_port()
    for provider in (
        AlibabaSms("k", "s", SIGN, endpoint=f"127.0.0.1:{port}", protocol="http"),
        TencentSms("k", "s", "1400000001", SIGN, endpoint=f"127.0.0.1:{port}", protocol="http"),
    ):
        with pytest.raises(SmsSendError) as refused:
            provider.send(TemplatedSms("+8613900000001", "T", [("a", "1")]))
        assert refused.value.retryable and not refused.value.maybe_done
