"""Every UI string has a Chinese translation."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def load_i18n_script():  # noqa: ANN201
    path = Path(__file__).resolve().parent.parent / "scripts" / "i18n.py"
    spec = importlib.util.spec_from_file_location("i18n_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_string_is_translated_to_chinese() -> None:
    missing = load_i18n_script().missing()
    assert missing == {}, "run: python scripts/i18n.py update, translate, then compile"


def test_no_string_is_translated_two_ways_in_different_catalogs() -> None:
    assert load_i18n_script().conflicts() == {}, "the merged catalog would pick one of them at random"


def test_chinese_sentences_use_chinese_punctuation() -> None:
    script = load_i18n_script()
    assert script.ascii_punctuation() == {}, "use ，；：？！（） inside Chinese (scripts/i18n.py chinese_punctuation)"
    assert script.chinese_punctuation("您好,请讲(匿名)。") == "您好，请讲（匿名）。"
    assert script.chinese_punctuation("每天9:00至17:00,休息 %(name)s (SMS)") == "每天9:00至17:00，休息 %(name)s (SMS)"
    assert script.chinese_punctuation("录音(%(types)s,不超过 %(mb)s MB)") == "录音（%(types)s，不超过 %(mb)s MB）"


def test_every_translation_keeps_the_placeholders_of_its_message() -> None:
    import re

    from babel.messages.pofile import read_po

    script = load_i18n_script()
    placeholder = re.compile(r"%\(\w+\)[sd]")
    broken = []
    for folder in script.catalogs():
        po_file = folder / "zh" / "LC_MESSAGES" / "messages.po"
        with po_file.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
                    if set(placeholder.findall(message.id)) != set(placeholder.findall(message.string)):
                        broken.append(message.string)
    assert broken == []


def test_managers_and_administrators_have_their_own_chinese_names() -> None:
    import re

    from babel.messages.pofile import read_po

    from hotline.vocabulary import Role, label

    assert label(Role.MANAGER) != label(Role.ADMIN)
    bare = re.compile(r"(?<!系统)管理员")  # 管理员 alone reads as the administrator; managers are 管理人员
    wrong = []
    for path in Path(__file__).resolve().parent.parent.glob("hotline/**/translations/zh/LC_MESSAGES/messages.po"):
        with path.open("rb") as handle:
            for message in read_po(handle):
                text = message.string if isinstance(message.string, str) else " ".join(message.string)
                if message.id and "manager" in str(message.id).lower() and bare.search(text or ""):
                    wrong.append((str(message.id), text))
    assert wrong == []
