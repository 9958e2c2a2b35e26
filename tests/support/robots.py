"""Stand-ins for the WeCom, DingTalk and Feishu robots: real HTTP on a free port, every request checked.

Each robot is checked as its provider documents it, independently of the
application's code: the payload's shape, DingTalk's signature in the query
(HMAC-SHA256 keyed with the secret over `timestamp\\nsecret`, milliseconds) and
Feishu's in the body (keyed with `timestamp\\nsecret` over nothing, seconds), the
timestamp within an hour of the robot's clock, the custom keywords, the size
limits and the rate limits (WeCom and DingTalk 20 a minute, DingTalk then
blocked 10 minutes; Feishu 100 a minute and 5 a second). Failures are answered
as the robots answer them: HTTP 200 with a non-zero `errcode` / `code`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WECOM_PATH = "/cgi-bin/webhook/send"
DINGTALK_PATH = "/robot/send"
FEISHU_PATH = "/open-apis/bot/v2/hook/"


@dataclass
class Post:
    """One request a stand-in robot took, with what it answered."""

    kind: str
    token: str
    query: dict[str, str]
    body: Any
    answer: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Return whether the robot accepted the post."""
        return self.answer.get("errcode", self.answer.get("code")) == 0

    @property
    def text(self) -> str:
        """Return the text the post carried."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.kind == "feishu":
            return str((body.get("content") or {}).get("text", ""))
        kind = body.get("msgtype")
        part = body.get(kind) or {}
        return str(part.get("content") or part.get("text") or "")


@dataclass
class Registered:
    """A robot the stand-in knows: its token (WeCom key, DingTalk access_token, Feishu hook id)."""

    kind: str
    token: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()
    times: list[float] = field(default_factory=list)
    blocked_until: float = 0.0
    scripted: list[dict[str, Any]] = field(default_factory=list)


def dingtalk_signature(secret: str, timestamp: str) -> str:
    """Return DingTalk's documented signature (base64, before URL encoding)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode("utf-8")


def feishu_signature(secret: str, timestamp: str) -> str:
    """Return Feishu's documented signature: HMAC-SHA256 keyed with `timestamp\\nsecret` over an empty message."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(string_to_sign.encode("utf-8"), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode("utf-8")


class RobotServer:
    """The three robots on one local HTTP server; `clock` is the robots' idea of now (Unix seconds)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.robots: dict[tuple[str, str], Registered] = {}
        self.posts: list[Post] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- set-up -----------------------------------------------------------------------------------

    def start(self) -> RobotServer:
        """Listen on a free port."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    @property
    def base(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.server.server_port}"

    def wecom(self, key: str) -> str:
        """Register a WeCom group robot; return its webhook URL."""
        self.robots[("wecom", key)] = Registered("wecom", key)
        return f"{self.base}{WECOM_PATH}?key={key}"

    def dingtalk(self, token: str, secret: str | None, keywords: tuple[str, ...] = ()) -> str:
        """Register a DingTalk custom robot with signing (and custom keywords); return its webhook URL."""
        self.robots[("dingtalk", token)] = Registered("dingtalk", token, secret, keywords)
        return f"{self.base}{DINGTALK_PATH}?access_token={token}"

    def feishu(self, token: str, secret: str | None, keywords: tuple[str, ...] = ()) -> str:
        """Register a Feishu custom bot with signature verification; return its webhook URL."""
        self.robots[("feishu", token)] = Registered("feishu", token, secret, keywords)
        return f"{self.base}{FEISHU_PATH}{token}"

    def script(self, kind: str, token: str, *answers: dict[str, Any]) -> None:
        """Answer the robot's next posts with these bodies (after the checks pass), then normally."""
        self.robots[(kind, token)].scripted.extend(answers)

    def accepted(self, kind: str | None = None) -> list[Post]:
        """Return the posts the robots accepted."""
        return [post for post in self.posts if post.ok and (kind is None or post.kind == kind)]

    # --- the robots -------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str], raw: bytes, content_type: str) -> Post:
        """Check one request as the robot would and return the post with the robot's answer."""
        if path == WECOM_PATH:
            kind, token = "wecom", query.get("key", "")
        elif path == DINGTALK_PATH:
            kind, token = "dingtalk", query.get("access_token", "")
        elif path.startswith(FEISHU_PATH):
            kind, token = "feishu", path[len(FEISHU_PATH) :]
        else:
            return Post("unknown", "", query, None, {"errcode": 404, "errmsg": "not found"})
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        with self.lock:
            robot = self.robots.get((kind, token))
            check = {"wecom": self.check_wecom, "dingtalk": self.check_dingtalk, "feishu": self.check_feishu}[kind]
            answer = check(robot, query, body, raw, content_type)
            if answer is None and robot is not None:
                answer = robot.scripted.pop(0) if robot.scripted else self.success(kind)
            post = Post(kind, token, query, body, answer or self.success(kind))
            self.posts.append(post)
            return post

    @staticmethod
    def success(kind: str) -> dict[str, Any]:
        """Return the robot's answer to a good post."""
        if kind == "feishu":
            return {"code": 0, "data": {}, "msg": "success"}
        return {"errcode": 0, "errmsg": "ok"}

    def within_rate(self, robot: Registered, windows: tuple[tuple[int, int], ...]) -> bool:
        """Count a post against the robot's windows; return False when one is full."""
        now = self.clock()
        if any(len([t for t in robot.times if t > now - window]) >= most for window, most in windows):
            return False
        robot.times.append(now)
        return True

    def check_wecom(
        self, robot: Registered | None, query: dict[str, str], body: Any, raw: bytes, content_type: str
    ) -> dict[str, Any] | None:
        """WeCom: the key names the robot; text (≤ 2048 bytes, mobiles) or markdown (≤ 4096 bytes)."""
        if robot is None:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        if not content_type.startswith("application/json") or not isinstance(body, dict):
            return {"errcode": 40035, "errmsg": "invalid parameter"}
        kind = body.get("msgtype")
        if kind == "text":
            text = body.get("text")
            if not isinstance(text, dict) or not isinstance(text.get("content"), str) or not text["content"]:
                return {"errcode": 44004, "errmsg": "text content is empty"}
            if len(text["content"].encode()) > 2048:
                return {"errcode": 40058, "errmsg": "content exceed max length 2048"}
            mentioned = text.get("mentioned_mobile_list", [])
            valid = all(isinstance(m, str) and (m.isdigit() or m == "@all") for m in mentioned)  # "@all": everyone
            if not isinstance(mentioned, list) or not valid:
                return {"errcode": 40035, "errmsg": "invalid mentioned_mobile_list"}
            if set(text) - {"content", "mentioned_list", "mentioned_mobile_list"}:
                return {"errcode": 40035, "errmsg": "invalid parameter"}
        elif kind == "markdown":
            markdown = body.get("markdown")
            if not isinstance(markdown, dict) or not isinstance(markdown.get("content"), str):
                return {"errcode": 44004, "errmsg": "markdown content is empty"}
            if len(markdown["content"].encode()) > 4096:
                return {"errcode": 40058, "errmsg": "content exceed max length 4096"}
        else:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        if not self.within_rate(robot, ((60, 20),)):
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        return None

    def check_dingtalk(
        self, robot: Registered | None, query: dict[str, str], body: Any, raw: bytes, content_type: str
    ) -> dict[str, Any] | None:
        """DingTalk: access_token, then timestamp (ms, within an hour) and sign in the query, keywords, 20/min."""
        if robot is None:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        if robot.secret is not None:
            if not timestamp.isdigit() or abs(int(timestamp) - self.clock() * 1000) > 3600 * 1000:
                return {"errcode": 310000, "errmsg": "invalid timestamp"}
            if not hmac.compare_digest(sign, dingtalk_signature(robot.secret, timestamp)):
                return {"errcode": 310000, "errmsg": "sign not match"}
        if not content_type.startswith("application/json") or not isinstance(body, dict):
            return {"errcode": 400105, "errmsg": "param error"}
        kind = body.get("msgtype")
        if kind == "text" and isinstance(body.get("text"), dict) and isinstance(body["text"].get("content"), str):
            text = body["text"]["content"]
        elif kind == "markdown" and isinstance(body.get("markdown"), dict) and body["markdown"].get("title"):
            text = str(body["markdown"].get("text") or "")
        else:
            return {"errcode": 400105, "errmsg": "不支持的消息类型"}
        at = body.get("at", {})
        if not isinstance(at, dict) or not all(isinstance(m, str) and m.isdigit() for m in at.get("atMobiles", [])):
            return {"errcode": 400105, "errmsg": "param error"}
        if robot.keywords and not any(word in text for word in robot.keywords):
            return {"errcode": 310000, "errmsg": "keywords not in content"}
        now = self.clock()
        if now < robot.blocked_until:
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if not self.within_rate(robot, ((60, 20),)):
            robot.blocked_until = now + 600
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        return None

    def check_feishu(
        self, robot: Registered | None, query: dict[str, str], body: Any, raw: bytes, content_type: str
    ) -> dict[str, Any] | None:
        """Feishu: msg_type and content, timestamp (s, within an hour) and sign in the body, keywords, limits."""
        if robot is None:
            return {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        if len(raw) > 20 * 1024:
            return {"code": 9499, "msg": "Bad Request"}
        if not isinstance(body, dict) or "msg_type" not in body:
            return {"code": 19002, "msg": "params error, msg_type need"}
        timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
        if robot.secret is not None and (
            not timestamp.isdigit()
            or abs(int(timestamp) - self.clock()) > 3600
            or not hmac.compare_digest(sign, feishu_signature(robot.secret, timestamp))
        ):
            return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        content = body.get("content")
        if body["msg_type"] != "text" or not isinstance(content, dict) or not isinstance(content.get("text"), str):
            return {"code": 19002, "msg": "params error"}
        if robot.keywords and not any(word in content["text"] for word in robot.keywords):
            return {"code": 19024, "msg": "Key Words Not Found"}
        if not self.within_rate(robot, ((60, 100), (1, 5))):
            return {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}
        return None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """Return the request handler bound to this server."""
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                post = robots.answer(parts.path, query, raw, self.headers.get("Content-Type") or "")
                data = json.dumps(post.answer, ensure_ascii=False).encode()
                self.send_response(404 if post.kind == "unknown" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                """Stay quiet."""

        return Handler
