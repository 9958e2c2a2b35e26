"""One test per TwiML builder: the verbs, the voice, the URLs."""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree

from hotline.telephony import twiml
from hotline.telephony.line_settings import LineSettings, Prompt


def parse(response: object) -> ElementTree.Element:
    return ElementTree.fromstring(str(response))


def tags(response: object) -> list[str]:
    root = parse(response)
    return [element.tag for element in root.iter() if element is not root]


def test_speak_uses_the_configured_language_and_voice() -> None:
    settings = LineSettings(voice="Google.cmn-CN-Standard-A")
    response = twiml.goodbye(settings)
    say = parse(response).find("Say")
    assert say.get("language") == "cmn-CN" and say.get("voice") == "Google.cmn-CN-Standard-A"
    assert "再见" in say.text


def test_speak_plays_a_recorded_prompt_instead_of_text() -> None:
    settings = LineSettings()
    settings.prompts["goodbye"] = Prompt("再见", "https://cdn.example.org/bye.mp3")
    assert parse(twiml.goodbye(settings)).find("Play").text == "https://cdn.example.org/bye.mp3"


def test_a_broken_placeholder_still_speaks() -> None:
    settings = LineSettings()
    settings.prompts["position"] = Prompt("前面{人数}位")
    response = twiml.queue_wait(settings, ahead=2, minutes=3, leave=False)
    assert "前面{人数}位" in parse(response).find("Say").text


def test_menu_greets_once_and_gathers_one_key_with_empty_result_posted() -> None:
    first = twiml.menu(LineSettings(), "https://h.example/twilio/voice/menu", welcome=True)
    assert tags(first) == ["Gather", "Say", "Say", "Say", "Redirect"], "keys count from the greeting on"
    gather = parse(first).find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == "https://h.example/twilio/voice/menu"
    again = twiml.menu(LineSettings(), "https://h.example/twilio/voice/menu", welcome=False, invalid=True)
    assert tags(again) == ["Gather", "Say", "Say", "Redirect"]


def test_enqueue_names_the_queue_wait_and_action_urls() -> None:
    response = twiml.enqueue(LineSettings(), "hotline", "https://h/wait", "https://h/result", crisis=True)
    enqueue = parse(response).find("Enqueue")
    assert enqueue.text == "hotline" and enqueue.get("waitUrl") == "https://h/wait"
    assert enqueue.get("action") == "https://h/result"
    assert "优先" in parse(response).find("Say").text


def test_queue_wait_announces_place_then_holds_or_leaves() -> None:
    settings = LineSettings()
    response = twiml.queue_wait(settings, ahead=2, minutes=4, leave=False)
    assert tags(response) == ["Say", "Pause"]
    assert "2位" in parse(response).find("Say").text and "4分钟" in parse(response).find("Say").text
    assert "下一位" in parse(twiml.queue_wait(settings, ahead=0, minutes=1, leave=False)).find("Say").text
    settings.hold_audio_url = "https://cdn.example.org/hold.mp3"
    assert tags(twiml.queue_wait(settings, ahead=None, minutes=None, leave=False)) == ["Play"]
    assert tags(twiml.queue_wait(settings, ahead=1, minutes=1, leave=True)) == ["Leave"]


def test_the_caller_next_in_line_hears_the_expected_wait_not_an_answer_promised() -> None:
    said = parse(twiml.queue_wait(LineSettings(), ahead=0, minutes=3, leave=False)).find("Say").text
    assert "马上" not in said and "3分钟" in said and "留言" in said and "回电" in said


def test_offer_voicemail_or_callback() -> None:
    response = twiml.offer_voicemail_or_callback(LineSettings(), "https://h/options", lead="max_wait")
    assert tags(response) == ["Say", "Gather", "Say", "Redirect"]
    assert parse(response).find("Gather").get("action") == "https://h/options"


def test_closed_names_the_hours_and_emergency_numbers() -> None:
    response = twiml.closed(
        LineSettings(), "https://h/options", reason="hours", hours="每天9:00至17:00", numbers="报警110"
    )
    text = " ".join(say.text for say in parse(response).iter("Say"))
    assert "每天9:00至17:00" in text and "报警110" in text and "回电" in text
    closure = twiml.closed(
        LineSettings(), "https://h/options", reason="closure", hours="", numbers="", closure_message="台风停止服务"
    )
    assert parse(closure).find("Say").text == "台风停止服务"


def test_record_voicemail_sets_action_and_recording_callback() -> None:
    response = twiml.record_voicemail(
        LineSettings(), "https://h/done", "https://h/recording", lead="callback_no_number"
    )
    record = parse(response).find("Record")
    assert record.get("action") == "https://h/done" and record.get("recordingStatusCallback") == "https://h/recording"
    assert record.get("finishOnKey") == "#" and tags(response)[:2] == ["Say", "Say"]


def test_goodbye_hangs_up() -> None:
    assert tags(twiml.goodbye(LineSettings(), "callback_confirmed")) == ["Say", "Hangup"]


def test_dial_worker_rings_a_client_or_a_number_with_leg_callbacks() -> None:
    client = twiml.dial_worker(
        LineSettings(),
        identity="worker_7",
        number=None,
        action_url="https://h/dial",
        status_callback_url="https://h/s",
        caller_id=None,
    )
    dial = parse(client).find("Dial")
    assert dial.get("action") == "https://h/dial" and dial.find("Client").text == "worker_7"
    assert dial.find("Client").get("statusCallbackEvent") == "answered completed"
    phone = twiml.dial_worker(
        LineSettings(),
        identity=None,
        number="+8613800000001",
        action_url="https://h/dial",
        status_callback_url="https://h/s",
        caller_id="+862288880000",
    )
    assert parse(phone).find("Dial/Number").text == "+8613800000001"


def test_back_to_queue_explains_and_redirects() -> None:
    response = twiml.back_to_queue(LineSettings(), "https://h/enqueue")
    assert tags(response) == ["Say", "Redirect"] and parse(response).find("Redirect").text == "https://h/enqueue"


def test_apology_then_continues_or_hangs_up() -> None:
    assert tags(twiml.apology_then(LineSettings(), "https://h/enqueue")) == ["Say", "Redirect"]
    assert tags(twiml.apology_then(LineSettings(), None)) == ["Say", "Say", "Hangup"]


def test_empty_is_an_empty_response() -> None:
    assert tags(twiml.empty()) == []


def test_the_default_prompts_use_chinese_punctuation() -> None:
    from hotline.telephony.line_settings import DEFAULT_PROMPTS
    from hotline.telephony.routes.voice import LAST_RESORT

    ascii_mark = re.compile(r"[\u3400-\u9fff][,;:!?()]|[,;:!?()][\u3400-\u9fff]")
    wrong = {
        name: text for name, text in {**DEFAULT_PROMPTS, "last_resort": LAST_RESORT}.items() if ascii_mark.search(text)
    }
    assert wrong == {}


def test_the_announcement_counts_towards_the_limit_and_is_left_out_when_it_would_not_end_before_it() -> None:
    settings = LineSettings()
    spoken = twiml.spoken_seconds(settings, "next_in_line", minutes=1)
    assert spoken > 5  # the expected wait and the offer to leave a message take a while to say
    room = parse(twiml.queue_wait(settings, ahead=0, minutes=1, leave=False, remaining=20))
    assert room.find("Say") is not None and int(room.find("Pause").get("length")) == math.ceil(20 - spoken)
    last = parse(twiml.queue_wait(settings, ahead=0, minutes=1, leave=False, remaining=4))
    assert last.find("Say") is None and last.find("Pause").get("length") == "4"
    settings.prompts["next_in_line"] = Prompt("", "https://cdn.example.org/next.mp3")
    assert twiml.spoken_seconds(settings, "next_in_line", minutes=1) == 0.0  # a recording's length is not known
