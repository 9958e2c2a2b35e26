"""pjsua2-python is alpha and packaged by one person: fail loudly when what the line relies on changes."""

from __future__ import annotations

import importlib.metadata
import queue
from pathlib import Path

import pjsua2 as pj

from hotline.gateway.sip.endpoint import init_endpoint
from hotline.gateway.sip.loop import PjLoop
from tests.gateway.sip.conftest import line_settings

PINNED = "2.15.1.post1"


def test_the_installed_wheel_is_the_pinned_one():
    requirements = (Path(__file__).parents[3] / "requirements.txt").read_text().splitlines()
    assert f"pjsua2-python=={PINNED}" in requirements
    assert importlib.metadata.version("pjsua2-python") == PINNED, "a new pjsua2-python: re-check the SIP line"


def test_the_binding_still_has_the_callbacks_and_constants_the_line_uses():
    for name in ("onCallState", "onCallMediaState", "onDtmfDigit", "onDtmfEvent", "getAudioMedia", "answer"):
        assert hasattr(pj.Call, name), name
    assert hasattr(pj.AudioMediaRecorder, "createRecorder") and hasattr(pj.AudioMedia, "getPortId")
    assert hasattr(pj.Account, "onIncomingCall") and hasattr(pj.Account, "onRegState")
    assert hasattr(pj.SipRxData, "srcAddress") and hasattr(pj.SipRxData, "wholeMsg")
    assert {pj.PJSUA_DTMF_METHOD_RFC2833, pj.PJSUA_DTMF_METHOD_SIP_INFO} == {0, 1}
    assert pj.Call.__swig_destroy__ is not None, "release() destroys proxies through SWIG's destructor"


def test_the_library_still_exports_the_pjsua_player_functions_the_line_calls():
    """`audio.Player` calls pjsua's C API in the binding's own library (pjsua2's player crashes in 2.15.1)."""
    from hotline.gateway.sip.audio import _pjsua

    lib = _pjsua()
    for name in ("pjsua_player_create", "pjsua_player_get_conf_port", "pjsua_player_destroy", "pjsua_conf_connect"):
        assert getattr(lib, name, None) is not None, name


def test_an_endpoint_on_one_thread_reports_the_pinned_library_and_g711_only():
    found: queue.SimpleQueue = queue.SimpleQueue()

    def setup(endpoint: pj.Endpoint) -> None:
        init_endpoint(endpoint, line_settings())
        found.put(endpoint.libVersion().full)
        found.put({codec.codecId: codec.priority for codec in endpoint.codecEnum2()})

    loop = PjLoop(setup, lambda endpoint: None)
    loop.start()
    try:
        assert loop.call(lambda: loop.endpoint.libIsThreadRegistered())
    finally:
        loop.stop()
    assert found.get_nowait().startswith("2.15.1")
    priorities = found.get_nowait()
    enabled = sorted((c for c, p in priorities.items() if p > 0), key=lambda c: -priorities[c])
    assert enabled == ["PCMA/8000/1", "PCMU/8000/1"], priorities


def test_the_pinned_build_holds_four_calls_a_process_and_answers_486_past_them(start_line, tmp_path, monkeypatch):
    """PJSUA_MAX_CALLS is pjsua's default (4) in this wheel: a build with more would fail this test.

    The line's own cap is lifted, so 64 calls are asked of PJSIP: it clamps them to 4 without an
    error at libInit and answers the fifth INVITE 486 ("too many calls") itself.
    """
    from hotline.gateway.sip import endpoint
    from tests.gateway.sip import scenarios
    from tests.support.sipp import Sipp

    monkeypatch.setattr(endpoint, "PJSUA_CALL_LIMIT", 64)
    line = start_line(lambda leg: (leg.answer(), leg.wait_end(30)), max_calls=64)
    scenario = scenarios.write(tmp_path / "hold.xml", scenarios.call([scenarios.pause(3000)], gateway_hangs_up=False))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", calls=6, rate=100, work_dir=tmp_path).run()
    assert line.calls_total == 4, "calls admitted at once by PJSIP"
    assert run.returncode != 0 and "486 Busy Here" in run.errors, run.explain()
