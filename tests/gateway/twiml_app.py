"""A tiny hotline-like Flask app that checks every Twilio signature, for the interpreter's tests.

It has a menu, a queue with announcements, voicemail, a dial, a conference and SMS, and records
every request it saw (`AppRecord`). The fixtures serving it are in `conftest.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

TOKEN = "test-auth-token"
ACCOUNT = "AC" + "1" * 32
PUBLIC = "https://hotline.example.org"
HOTLINE = "+862200000000"
CALLER = "+8613900000001"


@dataclass
class AppRecord:
    """What the tiny app saw."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    bad_signatures: list[str] = field(default_factory=list)

    def posted(self, path: str) -> list[dict[str, str]]:
        """Return the parameters of every request to a path."""
        return [params for seen, params in self.requests if seen == path]


def make_app(record: AppRecord) -> Flask:
    """Build a hotline-like app: a menu, a queue with announcements, voicemail, a dial, a conference, SMS."""
    app = Flask(__name__)
    validator = RequestValidator(TOKEN)

    @app.before_request
    def check_signature() -> None:
        query = request.query_string.decode()
        url = PUBLIC + request.path + ("?" + query if query else "")
        params = request.form.to_dict() if request.method == "POST" else {}
        if not validator.validate(url, params, request.headers.get("X-Twilio-Signature", "")):
            record.bad_signatures.append(url)
            abort(403)
        record.requests.append((request.path, {**request.args.to_dict(), **request.form.to_dict()}))

    def twiml(response: VoiceResponse | MessagingResponse) -> Response:
        return Response(str(response), mimetype="text/xml")

    @app.post("/voice/incoming")
    def incoming() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/voice/menu", timeout=4)
        gather.say("Press 1 to talk to a social worker, 2 to leave a message, 3 for the duty expert.")
        response.append(gather)
        response.say("We did not hear a choice. Goodbye.")
        return twiml(response)

    @app.post("/voice/menu")
    def menu() -> Response:
        digits = request.form["Digits"]
        response = VoiceResponse()
        if digits == "1":
            response.enqueue("hotline", action="/voice/queue-done", wait_url="/voice/wait")
        elif digits == "2":
            response.say("Leave a message after the tone.")
            response.record(
                action="/voice/recorded", max_length=60, finish_on_key="#", recording_status_callback="/voice/recording"
            )
        elif digits == "3":
            dial = Dial(action="/voice/dial-done", timeout=10)
            dial.number("+8613800000000")
            response.append(dial)
        elif digits == "9":
            abort(500)
        else:
            response.redirect("/voice/incoming")
        return twiml(response)

    @app.post("/voice/wait")
    def wait() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/voice/wait-key", timeout=1)
        gather.say(f"You are number {request.form['QueuePosition']} in the queue.", language="cmn-CN")
        response.append(gather)
        response.pause(length=10)
        return twiml(response)

    @app.post("/voice/wait-key")
    def wait_key() -> Response:
        response = VoiceResponse()
        if request.form["Digits"] == "*":
            response.leave()
        return twiml(response)

    @app.post("/voice/queue-done")
    def queue_done() -> Response:
        response = VoiceResponse()
        response.say(f"Queue result {request.form['QueueResult']}.")
        return twiml(response)

    @app.post("/voice/connect")
    def connect() -> Response:
        response = VoiceResponse()
        response.say("Connecting you now.")
        dial = Dial(action="/voice/dial-done")
        dial.client("worker_1")
        response.append(dial)
        return twiml(response)

    @app.post("/voice/conference")
    def conference() -> Response:
        leg = request.args.get("leg", "guest")
        response = VoiceResponse()
        dial = Dial()
        coach = {"coach": request.args["coach"]} if request.args.get("coach") else {}
        dial.conference(
            "room-1",
            end_conference_on_exit=(leg == "caller"),
            muted=request.args.get("muted") == "1",
            beep=False,
            status_callback="/voice/conference-events",
            status_callback_event="start end join leave mute hold",
            **coach,
        )
        response.append(dial)
        response.say(f"The conference is over for the {leg}.")
        return twiml(response)

    @app.post("/voice/conference-events")
    def conference_events() -> Response:
        return Response(status=204)

    @app.post("/voice/hold-music")
    def hold_music() -> Response:
        response = VoiceResponse()
        response.play("https://hotline.example.org/static/hold.mp3", loop=0)
        return twiml(response)

    @app.post("/voice/dial-done")
    def dial_done() -> Response:
        response = VoiceResponse()
        response.say(f"Dial {request.form['DialCallStatus']}.")
        response.hangup()
        return twiml(response)

    @app.post("/voice/reject")
    def reject() -> Response:
        response = VoiceResponse()
        response.reject(reason=request.args.get("reason", "rejected"))
        return twiml(response)

    @app.post("/voice/recorded")
    def recorded() -> Response:
        response = VoiceResponse()
        response.say("Your message is saved.")
        response.hangup()
        return twiml(response)

    @app.route("/voice/by-get", methods=["GET"])
    def by_get() -> Response:
        response = VoiceResponse()
        response.say(f"Fetched with GET for {request.args['CallSid']} and x={request.args['x']}.")
        return twiml(response)

    @app.post("/voice/redirect-get")
    def redirect_get() -> Response:
        response = VoiceResponse()
        response.redirect("/voice/by-get?x=1", method="GET")
        return twiml(response)

    @app.post("/voice/loop")
    def loop() -> Response:
        response = VoiceResponse()
        response.redirect("/voice/loop")
        return twiml(response)

    @app.post("/voice/fallback")
    def fallback() -> Response:
        response = VoiceResponse()
        response.say("Sorry, please call again later.")
        return twiml(response)

    @app.post("/voice/recording")
    @app.post("/voice/status")
    def callbacks() -> tuple[str, int]:
        return "", 204

    @app.post("/sms")
    def sms() -> Response:
        response = MessagingResponse()
        response.message(f"Got: {request.form['Body']}")
        return twiml(response)

    return app
