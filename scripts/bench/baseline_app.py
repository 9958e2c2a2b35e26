"""The baseline: a bare Flask app answering the incoming-call webhook with constant TwiML.

Served by the same gunicorn settings as Hotline (deploy/gunicorn.conf.py), so
the difference in the benchmark is Hotline's own work: signature check,
database write, live event.
"""

from flask import Flask, Response

app = Flask(__name__)
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twilio/voice/menu" numDigits="1">'
    '<Say language="cmn-CN">您好，这里是社工服务热线。</Say></Gather></Response>'
)


@app.post("/twilio/voice/incoming")
def incoming() -> Response:
    """Answer with constant TwiML."""
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    """Answer that the process is up."""
    return Response("ok", mimetype="text/plain")
