"""The fan-out baseline: bare Flask-SocketIO that broadcasts one event per webhook, through Redis.

No log-in, no database: every connection joins "console"; POST /twilio/voice/incoming
emits "call.updated" to it and answers constant TwiML. Run as several gunicorn
processes with the same REDIS_URL, like Hotline.
"""

import os

from flask import Flask, Response, request
from flask_socketio import SocketIO, join_room

app = Flask(__name__)
socketio = SocketIO(
    app, async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"), message_queue=os.environ.get("REDIS_URL")
)


@socketio.on("connect")
def connect(auth: object = None) -> None:
    """Put every connection in the console room."""
    join_room("console")


@app.post("/twilio/voice/incoming")
def incoming() -> Response:
    """Broadcast the call to every console and answer with constant TwiML."""
    socketio.emit("call.updated", {"call_sid": request.form.get("CallSid"), "status": "ringing"}, to="console")
    return Response("<Response><Pause/></Response>", mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    """Answer that the process is up."""
    return Response("ok", mimetype="text/plain")
