"""Work-chat robots: WeCom group robots, DingTalk custom robots and Feishu/Lark custom bots.

Each robot has its own payload, signing and rate limit, and reports failure as
HTTP 200 with a non-zero `errcode` (WeCom, DingTalk) or `code` (Feishu): the
answer's code decides success (`clients.py`). Sends are counted per robot in
`robot_sends` so the limits hold across processes (`limits.py`). The package
imports only the foundations; the escalation plugs it into its channels.
"""
