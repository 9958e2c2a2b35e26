"""The three robots' payloads, signatures and answers, as each provider documents them.

- WeCom group robot: POST to the webhook URL, whose `key` is the secret;
  `{"msgtype": "text", "text": {"content", "mentioned_mobile_list"}}` or
  `{"msgtype": "markdown", "markdown": {"content"}}`; `errcode` 0 is success, 45009 the rate limit.
- DingTalk custom robot: `timestamp` (milliseconds) and `sign` (base64 of HMAC-SHA256 keyed with
  the secret over `timestamp + "\\n" + secret`, URL-encoded) added to the URL's query;
  `{"msgtype": "text", "text": {"content"}, "at": {"atMobiles"}}`; `errcode` 0 is success.
- Feishu/Lark custom bot: `timestamp` (seconds) and `sign` (base64 of HMAC-SHA256 keyed with
  `timestamp + "\\n" + secret` over an empty message) in the JSON body beside
  `{"msg_type": "text", "content": {"text"}}`, @-mentions as `<at user_id="ou_…"></at>` (or
  `user_id="all"`) in the text; `code` 0 is success, 19021 a bad signature.

Every robot answers HTTP 200 on failure too: the body's code decides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote_plus, urlsplit

import requests
import urllib3

from hotline.privacy import national_digits


class RobotKind(StrEnum):
    """Which robot a URL belongs to; `webhook` is a generic URL that takes WeCom's text shape."""

    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    WEBHOOK = "webhook"


SIGNED = {RobotKind.DINGTALK, RobotKind.FEISHU}
"""Robots that sign their posts when they have a secret (else they rely on keywords or an IP list)."""
HOSTS = {
    "qyapi.weixin.qq.com": RobotKind.WECOM,
    "oapi.dingtalk.com": RobotKind.DINGTALK,
    "open.feishu.cn": RobotKind.FEISHU,
    "open.larksuite.com": RobotKind.FEISHU,
}
LIMITS: dict[str, tuple[tuple[int, int], ...]] = {
    RobotKind.WECOM: ((60, 20),),
    RobotKind.DINGTALK: ((60, 20),),
    RobotKind.FEISHU: ((60, 100), (1, 5)),
    RobotKind.WEBHOOK: ((60, 20),),
}
"""(window in seconds, most posts in it) per robot."""
BLOCKED_SECONDS = {RobotKind.DINGTALK: 600, RobotKind.WECOM: 60, RobotKind.FEISHU: 60, RobotKind.WEBHOOK: 60}
"""How long a robot refuses posts after it answered with its rate-limit code (DingTalk: 10 minutes)."""
RATE_LIMITED = {RobotKind.WECOM: {45009}, RobotKind.DINGTALK: {130101, 410100}, RobotKind.FEISHU: {11232, 9499}}
TEXT_BYTES = {RobotKind.WECOM: 2048, RobotKind.DINGTALK: 18000, RobotKind.FEISHU: 18000, RobotKind.WEBHOOK: 2048}
"""Most bytes of text a post carries (WeCom: 2048 for text, 4096 for markdown; Feishu: a 20 KB body)."""
TIMEOUT = (3.05, 10)
FEISHU_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""A Feishu open_id (ou_…), union_id or user_id: what an `<at user_id>` tag takes (never markup)."""
PREFIX = {RobotKind.WECOM: "WC", RobotKind.DINGTALK: "DT", RobotKind.FEISHU: "FS", RobotKind.WEBHOOK: "WH"}


def kind_of_url(url: str | None) -> str | None:
    """Return the robot kind a URL's host names, or None for another host."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return HOSTS.get(host)


@dataclass(frozen=True)
class Robot:
    """A robot to post to: its kind, its webhook URL and, for DingTalk and Feishu, its signing secret."""

    kind: str
    url: str
    secret: str | None = None


@dataclass(frozen=True)
class Message:
    """What to post: a text, an optional title (markdown), whom to @-mention, or everyone (`mention_all`).

    `mention` holds mobile numbers (E.164) for WeCom and DingTalk, user ids (open_id `ou_…`) for Feishu.
    """

    text: str
    title: str = ""
    mention: tuple[str, ...] = ()
    markdown: bool = False
    mention_all: bool = False


class RobotError(Exception):
    """A post did not deliver.

    `retry_after` is set when trying again later may work (a rate limit, no connection);
    `uncertain` when the post may have been delivered (the answer never came): never resend it.
    """

    def __init__(
        self, message: str, *, code: int | None = None, retry_after: float | None = None, uncertain: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after
        self.uncertain = uncertain

    @property
    def rate_limited(self) -> bool:
        """Return whether the robot (or our own count) refused the post for its rate limit."""
        return self.retry_after is not None and self.code is not None


def cut(text: str, limit: int) -> str:
    """Return the text cut to at most `limit` UTF-8 bytes, on a character boundary."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def mobiles(numbers: tuple[str, ...]) -> list[str]:
    """Return the numbers as the robots want them: national digits (13812345678)."""
    return [national_digits(number) for number in numbers if number]


def feishu_mentions(message: Message) -> str:
    """Return the `<at>` tags a Feishu text starts with: each user id, or `all` for everyone."""
    ids = [user_id for user_id in message.mention if FEISHU_USER_ID.match(user_id)]
    tags = [f'<at user_id="{user_id}"></at>' for user_id in ids]
    if message.mention_all:
        tags.append('<at user_id="all">所有人</at>')
    return " ".join(tags) + " " if tags else ""


def sign_dingtalk(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's signature (base64, not yet URL-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign_feishu(secret: str, timestamp_s: int) -> str:
    """Return Feishu's signature: the key is `timestamp\\nsecret`, the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build_request(robot: Robot, message: Message, now_ms: int) -> tuple[str, dict[str, Any]]:
    """Return the URL and JSON body of a post, signed where the robot wants it."""
    kind = RobotKind(robot.kind)
    text = cut(message.text, TEXT_BYTES[kind])
    if kind == RobotKind.DINGTALK:
        url = robot.url
        if robot.secret:  # a robot secured by keywords or an IP list only takes the URL as it is
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}timestamp={now_ms}&sign={quote_plus(sign_dingtalk(robot.secret, now_ms))}"
        if message.markdown:
            body: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {"title": message.title or text[:20], "text": text},
            }
        else:
            body = {"msgtype": "text", "text": {"content": text}}
        if message.mention or message.mention_all:
            body["at"] = {"atMobiles": mobiles(message.mention), "isAtAll": message.mention_all}
        return url, body
    if kind == RobotKind.FEISHU:
        feishu: dict[str, Any] = {"msg_type": "text", "content": {"text": feishu_mentions(message) + text}}
        if robot.secret:
            timestamp = now_ms // 1000
            feishu = {"timestamp": str(timestamp), "sign": sign_feishu(robot.secret, timestamp), **feishu}
        return robot.url, feishu
    if kind == RobotKind.WECOM and message.markdown and not (message.mention or message.mention_all):
        return robot.url, {"msgtype": "markdown", "markdown": {"content": cut(message.text, 4096)}}
    content: dict[str, Any] = {"content": text}
    if message.mention or message.mention_all:
        content["mentioned_mobile_list"] = mobiles(message.mention) + (["@all"] if message.mention_all else [])
    return robot.url, {"msgtype": "text", "text": content}


def answer_code(body: Any) -> tuple[int | None, str]:
    """Return the code and message of a robot's answer (errcode, code or Feishu's older StatusCode)."""
    if not isinstance(body, dict):
        return None, ""
    for key, text in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if key in body:
            try:
                return int(body[key]), str(body.get(text) or "")
            except (TypeError, ValueError):
                return -1, str(body.get(text) or "")
    return None, ""


def never_connected(error: requests.ConnectionError) -> bool:
    """Return whether a connection error happened before anything was sent (refused, no such host)."""
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def send(robot: Robot, message: Message, now_ms: int, http: Any = requests) -> str:
    """Post a message to a robot; return an id for the post (robots return none: a digest of the answer).

    Raises:
        RobotError: the robot refused the post (its code), could not be reached, or never answered.
    """
    kind = RobotKind(robot.kind)
    url, body = build_request(robot, message, now_ms)
    data = json.dumps(body, ensure_ascii=False).encode()
    try:
        response = http.post(
            url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}, timeout=TIMEOUT
        )
    except requests.ConnectTimeout as exc:
        raise RobotError("the robot could not be reached", retry_after=30) from exc
    except requests.Timeout as exc:
        raise RobotError("no answer from the robot", uncertain=True) from exc
    except requests.ConnectionError as exc:
        if never_connected(exc):
            raise RobotError("the robot could not be reached", retry_after=30) from exc
        raise RobotError("the connection broke before the robot answered", uncertain=True) from exc
    except requests.RequestException as exc:
        raise RobotError(type(exc).__name__) from exc
    if response.status_code >= 500:
        raise RobotError(f"HTTP {response.status_code}", retry_after=30)
    if response.status_code >= 400:
        raise RobotError(f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    code, text = answer_code(answer)
    if code is None and kind != RobotKind.WEBHOOK:
        raise RobotError("the robot's answer has no code", uncertain=True)
    if code not in (None, 0):
        if code in RATE_LIMITED.get(kind, set()):
            raise RobotError(f"rate limited ({code}: {text})"[:300], code=code, retry_after=BLOCKED_SECONDS[kind])
        raise RobotError(f"errcode {code}: {text}"[:300], code=code)
    return PREFIX[kind] + hashlib.sha256(data + response.content).hexdigest()[:30]
