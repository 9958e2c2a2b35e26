"""Message catalogs: extract, update, compile and check the Chinese translations.

Each domain package that has a `translations/` folder keeps its own catalog
(its code and its templates/<package>/ folder); everything else belongs to the
core catalog in hotline/translations/. English is the source language, so only
Chinese (zh) catalogs exist.

    python scripts/i18n.py update    # extract strings and merge them into each zh catalog
    python scripts/i18n.py compile   # build the .mo files (run by ./scripts/dev and ./scripts/test)
    python scripts/i18n.py check     # list strings without a Chinese translation; exit 1 if any
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hotline"
LOCALE = "zh"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext"]
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def catalogs() -> dict[Path, list[Path]]:
    """Map each translations folder to the source files it covers."""
    own = sorted(path.parent for path in PACKAGE.glob("*/translations") if path.is_dir())
    mapping: dict[Path, list[Path]] = {}
    for package in own:
        sources = sorted(package.rglob("*.py"))
        sources += sorted((PACKAGE / "templates" / package.name).rglob("*.html"))
        mapping[package / "translations"] = sources
    core: list[Path] = sorted(PACKAGE.glob("*.py")) + sorted((PACKAGE / "templates").glob("*.html"))
    for folder in sorted(p for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        if folder not in own:
            core += sorted(folder.rglob("*.py"))
            core += sorted((PACKAGE / "templates" / folder.name).rglob("*.html"))
    mapping[PACKAGE / "translations"] = core
    return mapping


def extract(sources: list[Path], output: Path) -> None:
    """Extract the translatable strings of `sources` into a template."""
    subprocess.run(
        [*PYBABEL, "extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--no-location", "-o", str(output)]
        + [str(path.relative_to(ROOT)) for path in sources],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def update() -> None:
    """Extract strings and merge them into every zh catalog (creating it if new)."""
    for folder, sources in catalogs().items():
        with tempfile.TemporaryDirectory() as tmp:
            template = Path(tmp) / "messages.pot"
            extract(sources, template)
            po_file = folder / LOCALE / "LC_MESSAGES" / "messages.po"
            action = "update" if po_file.exists() else "init"
            subprocess.run(
                [*PYBABEL, action, "-i", str(template), "-d", str(folder), "-l", LOCALE, "--no-wrap"]
                + (["--ignore-obsolete"] if action == "update" else []),
                check=True,
            )
            print(f"{action}d {po_file.relative_to(ROOT)}")


def compile_all() -> None:
    """Compile every catalog to .mo."""
    for folder in catalogs():
        if (folder / LOCALE).exists():
            subprocess.run([*PYBABEL, "compile", "-d", str(folder), "-l", LOCALE], check=True)


def missing() -> dict[str, list[str]]:
    """Return, per catalog, the source strings that have no Chinese translation."""
    problems: dict[str, list[str]] = {}
    for folder, sources in catalogs().items():
        with tempfile.TemporaryDirectory() as tmp:
            template = Path(tmp) / "messages.pot"
            extract(sources, template)
            with template.open("rb") as handle:
                wanted = {message.id for message in read_po(handle) if message.id}
        po_file = folder / LOCALE / "LC_MESSAGES" / "messages.po"
        translated: set[str | tuple[str, ...]] = set()
        if po_file.exists():
            with po_file.open("rb") as handle:
                catalog = read_po(handle)
            translated = {
                message.id
                for message in catalog
                if message.id
                and message.string
                and not message.fuzzy
                and all(message.string if isinstance(message.string, tuple) else [message.string])
            }
        gaps = sorted(str(message_id) for message_id in wanted - translated)
        if gaps:
            problems[str(folder.relative_to(ROOT))] = gaps
    return problems


def conflicts() -> dict[str, set[str]]:
    """Return msgids translated differently in different catalogs (the merged catalog would pick one)."""
    seen: dict[str, set[str]] = {}
    for folder in catalogs():
        po_file = folder / LOCALE / "LC_MESSAGES" / "messages.po"
        if not po_file.exists():
            continue
        with po_file.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                    # A message context (pgettext) makes a different message: "phone|Number" is not "Number".
                    key = f"{message.context}|{message.id}" if message.context else message.id
                    seen.setdefault(key, set()).add(message.string)
    return {message_id: strings for message_id, strings in seen.items() if len(strings) > 1}


CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\([^)]*\)")
FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def chinese_punctuation(text: str) -> str:
    """Return `text` with the ASCII marks that touch Chinese made full-width (，；：？！（）).

    A bracket pair changes together when either bracket touches Chinese; `%(name)s`
    and times such as 9:00 are left alone.
    """
    chars = list(text)

    def at(index: int) -> str:
        return chars[index] if 0 <= index < len(chars) else ""

    def chinese(index: int) -> bool:
        return bool(CJK_CHAR.match(at(index)))

    placeholder = {m.start() + 1 for m in PLACEHOLDER.finditer(text)} | {
        m.end() - 1 for m in PLACEHOLDER.finditer(text)
    }
    partner: dict[int, int] = {}
    opened: list[int] = []
    for index, char in enumerate(chars):
        if index in placeholder:
            continue
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            start = opened.pop()
            partner[index], partner[start] = start, index
    result = chars[:]
    for index, char in enumerate(chars):
        if char not in FULL_WIDTH or index in placeholder:
            continue
        if char in "()":
            if index in partner:
                start, end = sorted((index, partner[index]))
                if any(chinese(i) for i in (start - 1, start + 1, end - 1, end + 1)):
                    result[index] = FULL_WIDTH[char]
        elif chinese(index - 1) or chinese(index + 1):
            result[index] = FULL_WIDTH[char]
            if at(index + 1) == " ":
                result[index + 1] = ""
    return "".join(result)


def ascii_punctuation() -> dict[str, list[str]]:
    """Return, per catalog, the Chinese translations with ASCII punctuation inside a Chinese sentence."""
    found: dict[str, list[str]] = {}
    for folder in catalogs():
        po_file = folder / LOCALE / "LC_MESSAGES" / "messages.po"
        if not po_file.exists():
            continue
        with po_file.open("rb") as handle:
            for message in read_po(handle):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in strings:
                    if message.id and text and chinese_punctuation(text) != text:
                        found.setdefault(str(folder.relative_to(ROOT)), []).append(text)
    return found


def main(argv: list[str]) -> int:
    """Run the sub-command named in argv."""
    command = argv[1] if len(argv) > 1 else "compile"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = missing()
        for folder, gaps in problems.items():
            print(f"{folder}: {len(gaps)} untranslated")
            for message_id in gaps:
                print(f"  {message_id}")
        clashes = conflicts()
        for message_id, strings in clashes.items():
            print(f"translated differently in two catalogs: {message_id!r}: {sorted(strings)}")
        return 1 if problems or clashes else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
