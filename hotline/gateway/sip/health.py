"""The SIP line's health for operators: `/readyz` (is it taking calls?) and `/metrics` (Prometheus text)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hotline.gateway.sip.line import SipLine


def readiness(line: SipLine) -> tuple[bool, dict[str, object]]:
    """Whether the line takes calls: its SIP endpoint runs and, when it registers, the trunk accepted it."""
    sip = line.loop.running
    trunk = "peers only" if not line.settings.trunk.registers() else ("registered" if line.registered else "lost")
    ready = sip and trunk != "lost"
    body: dict[str, object] = {"ready": ready, "sip": "listening" if sip else "stopped", "trunk": trunk}
    if trunk == "lost" and line.registration_retries:
        body["registration_retry_seconds"] = line.registration_retries[-1]
    body["calls_up"] = line.calls_up
    return ready, body


def metrics_text(line: SipLine) -> str:
    """The line's counters in Prometheus' text format."""
    lines = [
        "# HELP hotline_gateway_sip_calls_up SIP calls in progress on this gateway.",
        "# TYPE hotline_gateway_sip_calls_up gauge",
        f"hotline_gateway_sip_calls_up {line.calls_up}",
        "# HELP hotline_gateway_sip_calls_total INVITEs admitted since the gateway started.",
        "# TYPE hotline_gateway_sip_calls_total counter",
        f"hotline_gateway_sip_calls_total {line.calls_total}",
        "# HELP hotline_gateway_sip_refused_total INVITEs refused, by SIP status (403, 503, 486).",
        "# TYPE hotline_gateway_sip_refused_total counter",
    ]
    lines += [
        f'hotline_gateway_sip_refused_total{{status="{status}"}} {count}'
        for status, count in sorted(line.refused.items())
    ]
    lines += [
        "# HELP hotline_gateway_sip_registered 1 while the trunk registration holds (1 without registration).",
        "# TYPE hotline_gateway_sip_registered gauge",
        f"hotline_gateway_sip_registered {1 if line.registered else 0}",
        "# HELP hotline_gateway_sip_registration_failures_total Trunk registrations refused or timed out.",
        "# TYPE hotline_gateway_sip_registration_failures_total counter",
        f"hotline_gateway_sip_registration_failures_total {line.registration_failures}",
    ]
    setup = line.setup_times
    lines += [
        "# HELP hotline_gateway_sip_setup_seconds Admitted calls' setup time: from the INVITE to the 200 OK.",
        "# TYPE hotline_gateway_sip_setup_seconds histogram",
    ]
    lines += [
        f'hotline_gateway_sip_setup_seconds_bucket{{le="{bound}"}} {count}' for bound, count in setup.cumulative()
    ]
    lines += [
        f"hotline_gateway_sip_setup_seconds_sum {setup.total:.6f}",
        f"hotline_gateway_sip_setup_seconds_count {setup.count}",
    ]
    rtp = line.rtp
    lines += [
        "# HELP hotline_gateway_sip_rtp_streams_total Calls' audio streams ended (their RTP is counted below).",
        "# TYPE hotline_gateway_sip_rtp_streams_total counter",
        f"hotline_gateway_sip_rtp_streams_total {rtp.streams}",
        "# HELP hotline_gateway_sip_rtp_packets_received_total RTP packets received on ended streams.",
        "# TYPE hotline_gateway_sip_rtp_packets_received_total counter",
        f"hotline_gateway_sip_rtp_packets_received_total {rtp.packets}",
        "# HELP hotline_gateway_sip_rtp_packets_lost_total RTP packets lost on ended streams (sequence gaps).",
        "# TYPE hotline_gateway_sip_rtp_packets_lost_total counter",
        f"hotline_gateway_sip_rtp_packets_lost_total {rtp.lost}",
        "# HELP hotline_gateway_sip_rtp_loss_ratio Packets lost out of those expected, on ended streams.",
        "# TYPE hotline_gateway_sip_rtp_loss_ratio gauge",
        f"hotline_gateway_sip_rtp_loss_ratio {rtp.loss_ratio():.6f}",
        "# HELP hotline_gateway_sip_rtp_jitter_seconds Each ended stream's mean interarrival jitter (RFC 3550).",
        "# TYPE hotline_gateway_sip_rtp_jitter_seconds summary",
        f"hotline_gateway_sip_rtp_jitter_seconds_sum {rtp.jitter_sum:.6f}",
        f"hotline_gateway_sip_rtp_jitter_seconds_count {rtp.jitter_count}",
        "# HELP hotline_gateway_sip_rtp_jitter_max_seconds The worst jitter any ended stream measured.",
        "# TYPE hotline_gateway_sip_rtp_jitter_max_seconds gauge",
        f"hotline_gateway_sip_rtp_jitter_max_seconds {rtp.jitter_max:.6f}",
    ]
    return "\n".join(lines) + "\n"


class HealthServer:
    """Serve `/readyz` and `/metrics` for one line on a port of its own (keep it off the public network)."""

    def __init__(self, line: SipLine, host: str = "127.0.0.1", port: int = 0) -> None:
        self.line = line
        self._server = ThreadingHTTPServer((host, port), _handler(line))
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway-health", daemon=True)

    @property
    def url(self) -> str:
        """The server's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HealthServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def _handler(line: SipLine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/readyz":
                ready, body = readiness(line)
                self._send(200 if ready else 503, "application/json", json.dumps(body))
            elif self.path == "/metrics":
                self._send(200, "text/plain; version=0.0.4", metrics_text(line))
            else:
                self._send(404, "text/plain", "not found\n")

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
            """Stay quiet: probes come every few seconds."""

    return Handler
