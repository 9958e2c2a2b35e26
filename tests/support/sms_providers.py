"""Local stand-ins for Alibaba Cloud SMS and Tencent Cloud SMS: real HTTP servers on free ports.

Each checks every request as the provider documents it, independently of the
SDKs: Alibaba's V3 signature (ACS3-HMAC-SHA256: canonical request of method, URI,
RFC 3986 query, signed headers and payload hash, then HMAC-SHA256 with the
AccessKey secret) and Tencent's TC3-HMAC-SHA256 (the same canonical request over
content-type and host, signed with a key derived from "TC3" + SecretKey, the
date, the service and "tc3_request"); the action and version; the required
fields; the approved signature name; the template's variables and their count
and length. They answer with the providers' documented shapes, errors included
(quota exceeded, invalid template, throttling, signature mismatch, a server
error), and post delivery reports and replies (上行短信) to the app as the
providers' callbacks do.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import requests

RFC3986_SAFE = "-_.~"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


class Rejected(Exception):
    """A request the real provider would refuse: (HTTP status, body)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


@dataclass
class StandIn:
    """What both stand-ins share: the server thread, the scripted failures, what was accepted."""

    key_id: str
    secret: str
    sign_name: str
    templates: dict[str, list[str] | int]
    """Template id → Alibaba: its variable names; Tencent: its number of {n} placeholders."""
    max_length: int = 35
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)
    """Scenarios for the next requests, in order: quota, throttle, server_error."""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _nonces: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        """Return host:port, as the SDKs take it."""
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_port}"

    def start(self) -> StandIn:
        """Listen on a free port in a thread (ready when this returns: the socket is bound and listening)."""
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = stand_in.handle(self.command, self.path, dict(self.headers.items()), body)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                """Stay quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """Check one request and answer it."""
        headers = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            try:
                fields = self.verify(method, path, headers, body)
                scenario = self.fail_next.pop(0) if self.fail_next else None
                if scenario is not None:
                    raise self.scripted(scenario)
                answer = self.accept(fields)
            except Rejected as rejected:
                self.refused.append({"status": rejected.status, "body": rejected.body})
                return rejected.status, rejected.body
            return 200, answer

    def verify(self, method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        raise NotImplementedError

    def scripted(self, scenario: str) -> Rejected:
        raise NotImplementedError

    def accept(self, fields: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class AlibabaStandIn(StandIn):
    """Dysmsapi 2017-05-25 SendSms, V3 signature (ACS3-HMAC-SHA256)."""

    def _error(self, status: int, code: str, message: str) -> Rejected:
        return Rejected(status, {"RequestId": f"REQ{next(self._ids)}", "Code": code, "Message": message})

    def _refused_in_body(self, code: str, message: str) -> Rejected:
        # SendSms reports business failures with HTTP 200 and the code in the body.
        return Rejected(200, {"RequestId": f"REQ{next(self._ids)}", "Code": code, "Message": message})

    def verify(self, method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """Recompute the ACS3-HMAC-SHA256 signature from the documented algorithm; check SendSms's fields."""
        split = urlsplit(path)
        query = parse_qsl(split.query, keep_blank_values=True)
        authorization = headers.get("authorization", "")
        match = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})", authorization
        )
        if not match:
            raise self._error(400, "MissingAuthorization", "Authorization is mandatory for this action.")
        key_id, signed, signature = match.groups()
        if key_id != self.key_id:
            raise self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed_names = signed.split(";")
        required = {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        }
        if not required <= set(signed_names) or signed_names != sorted(signed_names):
            raise self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        if headers.get("x-acs-content-sha256") != _sha256_hex(body):
            raise self._error(400, "IncompleteSignature", "x-acs-content-sha256 does not match the body.")
        canonical_query = "&".join(
            f"{quote(k, safe=RFC3986_SAFE)}={quote(v, safe=RFC3986_SAFE)}" for k, v in sorted(query)
        )
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_names)
        canonical = "\n".join(
            [method, split.path or "/", canonical_query, canonical_headers, signed, _sha256_hex(body)]
        )
        string_to_sign = "ACS3-HMAC-SHA256\n" + _sha256_hex(canonical.encode("utf-8"))
        expected = hmac.new(self.secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise self._error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        nonce = headers["x-acs-signature-nonce"]
        if nonce in self._nonces:
            raise self._error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(nonce)
        sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - sent_at) > timedelta(minutes=15):
            raise self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if headers.get("x-acs-action") != "SendSms" or headers.get("x-acs-version") != "2017-05-25" or method != "POST":
            raise self._error(400, "InvalidAction.NotFound", "Specified api is not found.")
        fields = dict(query)
        if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not fields.get(name):
                raise self._error(400, "MissingParameter", f"{name} is mandatory for this action.")
        numbers = fields["PhoneNumbers"].split(",")
        if len(numbers) > 1000 or not all(re.fullmatch(r"1\d{10}|\d{6,15}", n) for n in numbers):
            raise self._refused_in_body("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if fields["SignName"] != self.sign_name:
            raise self._refused_in_body("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        variables = self.templates.get(fields["TemplateCode"])
        if not isinstance(variables, list):
            raise self._refused_in_body("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(fields.get("TemplateParam") or "{}")
        except ValueError:
            raise self._refused_in_body("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值") from None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise self._refused_in_body("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if sorted(values) != sorted(variables):
            raise self._refused_in_body("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if any(len(v) > self.max_length for v in values.values()):
            raise self._refused_in_body("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        if any(re.search(r"https?://|www\.", v) for v in values.values()):
            raise self._refused_in_body("isv.PARAM_NOT_SUPPORT_URL", "不支持URL参数")
        fields["TemplateParam"] = values
        return fields

    def scripted(self, scenario: str) -> Rejected:
        """Answer a scripted failure with Alibaba's documented code."""
        if scenario == "quota":
            return self._refused_in_body("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
        if scenario == "day_limit":
            return self._refused_in_body("isv.DAY_LIMIT_CONTROL", "触发日发送限额")
        if scenario == "throttle":
            return self._refused_in_body("isv.BUSINESS_LIMIT_CONTROL", "业务限流")
        if scenario == "server_error":
            return self._error(
                503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
            )
        raise AssertionError(scenario)

    def accept(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Record the message and answer with a BizId."""
        biz_id = f"{900000 + next(self._ids)}^0"
        self.accepted.append({**fields, "BizId": biz_id})
        return {"RequestId": f"REQ{next(self._ids)}", "Code": "OK", "Message": "OK", "BizId": biz_id}

    def report(
        self, url: str, biz_id: str, *, success: bool = True, phone: str = "", out_id: str = ""
    ) -> requests.Response:
        """POST a SmsReport (HTTP batch push: a JSON array) for one message, as Alibaba does."""
        now = datetime.now(UTC) + timedelta(hours=8)
        item = {
            "phone_number": phone,
            "send_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "report_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "success": success,
            "err_code": "DELIVERED" if success else "MK:0001",
            "err_msg": "用户接收成功" if success else "用户接收失败",
            "sms_size": "1",
            "biz_id": biz_id,
            "out_id": out_id,
        }
        return requests.post(url, json=[item], timeout=10)

    def reply(self, url: str, phone: str, content: str, sequence_id: int | None = None) -> requests.Response:
        """POST a SmsUp (an inbound reply, 上行短信) as Alibaba's HTTP batch push does."""
        now = datetime.now(UTC) + timedelta(hours=8)
        item = {
            "phone_number": phone,
            "send_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "content": content,
            "sign_name": self.sign_name,
            "dest_code": "",
            "sequence_id": sequence_id if sequence_id is not None else 1000 + next(self._ids),
        }
        return requests.post(url, json=[item], timeout=10)


@dataclass
class TencentStandIn(StandIn):
    """SMS 2021-01-11 SendSms, TC3-HMAC-SHA256."""

    max_length: int = 6
    app_id: str = "1400000001"

    def _error(self, code: str, message: str) -> Rejected:
        # Tencent Cloud API 3.0 answers errors with HTTP 200 and Response.Error.
        return Rejected(
            200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": f"r-{next(self._ids)}"}}
        )

    def verify(self, method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """Recompute TC3-HMAC-SHA256 from the documented algorithm; check SendSms's fields."""
        authorization = headers.get("authorization", "")
        match = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
            r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
            authorization,
        )
        if not match:
            raise self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        secret_id, date, service, signed, signature = match.groups()
        if secret_id != self.key_id:
            raise self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        moment = datetime.fromtimestamp(timestamp, UTC)
        if abs(datetime.now(UTC) - moment) > timedelta(minutes=5):
            raise self._error("AuthFailure.SignatureExpire", "Signature expired.")
        if date != moment.strftime("%Y-%m-%d") or service != "sms":
            raise self._error("AuthFailure.SignatureFailure", "The credential scope is wrong.")
        signed_names = signed.split(";")
        if not {"content-type", "host"} <= set(signed_names):
            raise self._error("AuthFailure.SignatureFailure", "content-type and host must be signed.")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed_names)
        split = urlsplit(path)
        canonical = "\n".join([method, split.path or "/", split.query, canonical_headers, signed, _sha256_hex(body)])
        scope = f"{date}/{service}/tc3_request"
        string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
        key = _hmac(_hmac(_hmac(("TC3" + self.secret).encode("utf-8"), date), service), "tc3_request")
        expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            raise self._error("InvalidAction", "The action is not supported.")
        if not headers.get("x-tc-region"):
            raise self._error("MissingParameter", "The Region parameter is required.")
        try:
            fields = json.loads(body)
        except ValueError:
            raise self._error("InvalidParameter", "The body is not JSON.") from None
        numbers = fields.get("PhoneNumberSet")
        if not isinstance(numbers, list) or not 1 <= len(numbers) <= 200:
            raise self._error("InvalidParameterValue.IncorrectPhoneNumber", "PhoneNumberSet is required (≤ 200).")
        if not all(isinstance(n, str) and re.fullmatch(r"\+\d{8,15}", n) for n in numbers):
            raise self._error("InvalidParameterValue.IncorrectPhoneNumber", "Numbers must be E.164.")
        for name in ("SmsSdkAppId", "TemplateId"):
            if not fields.get(name):
                raise self._error("MissingParameter", f"{name} is required.")
        if fields["SmsSdkAppId"] != self.app_id:
            raise self._error("FailedOperation.MissingSdkAppId", "SmsSdkAppId does not exist.")
        if any(n.startswith("+86") for n in numbers) and fields.get("SignName") != self.sign_name:
            raise self._error("FailedOperation.SignatureIncorrectOrUnapproved", "The signature is not approved.")
        placeholders = self.templates.get(fields["TemplateId"])
        if not isinstance(placeholders, int):
            raise self._error("FailedOperation.TemplateIncorrectOrUnapproved", "The template is not approved.")
        values = fields.get("TemplateParamSet") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self._error("InvalidParameterValue.TemplateParameterFormatError", "Parameters must be strings.")
        if len(values) != placeholders:
            raise self._error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "Parameter count does not match."
            )
        if any(len(v) > self.max_length for v in values):
            raise self._error("InvalidParameterValue.TemplateParameterLengthLimit", "A parameter is too long.")
        if any(re.search(r"https?://|www\.", v) for v in values):
            raise self._error("FailedOperation.ContainSensitiveWord", "Parameters may not carry links.")
        return fields

    def scripted(self, scenario: str) -> Rejected:
        """Answer a scripted failure with Tencent's documented code."""
        if scenario == "quota":
            return self._error("FailedOperation.InsufficientBalanceInSmsPackage", "套餐包余量不足")
        if scenario == "day_limit":
            return self._error("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超过设定的上限")
        if scenario == "throttle":
            return self._error("RequestLimitExceeded", "请求的次数超过了频率限制")
        if scenario == "server_error":
            return self._error("InternalError.Timeout", "请求下发短信超时")
        raise AssertionError(scenario)

    def accept(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Record the message and answer with a SendStatus per number."""
        statuses = []
        for number in fields["PhoneNumberSet"]:
            serial = f"2019:{next(self._ids)}"
            self.accepted.append({**fields, "PhoneNumber": number, "SerialNo": serial})
            statuses.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": number,
                    "Fee": 1,
                    "SessionContext": fields.get("SessionContext") or "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            )
        return {"Response": {"SendStatusSet": statuses, "RequestId": f"r-{next(self._ids)}"}}

    def report(self, url: str, serial_no: str, *, mobile: str, success: bool = True) -> requests.Response:
        """POST a status report (a JSON array) as Tencent's 短信状态回调 does."""
        item = {
            "user_receive_time": (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S"),
            "nationcode": "86",
            "mobile": mobile,
            "report_status": "SUCCESS" if success else "FAIL",
            "errmsg": "DELIVRD" if success else "MK:0001",
            "description": "用户短信送达成功" if success else "用户短信接收失败",
            "sid": serial_no,
        }
        return requests.post(url, json=[item], timeout=10)

    def reply(self, url: str, mobile: str, text: str) -> requests.Response:
        """POST an inbound reply as Tencent's 短信回复回调 does (one JSON object)."""
        item = {
            "extend": "",
            "mobile": mobile,
            "nationcode": "86",
            "sign": self.sign_name,
            "text": text,
            "time": int(datetime.now(UTC).timestamp()),
        }
        return requests.post(url, json=item, timeout=10)
