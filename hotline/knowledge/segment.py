"""Chinese word segmentation with jieba, its dictionary loaded once per process.

Documents and queries go through the same function, so the words the index
holds are the words a query looks for: SQLite FTS5 and PostgreSQL then only
match whole, space-separated words and need no Chinese tokenizer of their own.
`cut_for_search` also yields the shorter dictionary words inside a long one
(未成年人 → 未成年, 成年人, 成年…), which is how a two-character query such as 低保
or 老人 finds 低保户 or 空巢老人. jieba's HMM (which guesses words outside its
dictionary, differently in different contexts) is off on both sides: unknown
text falls apart into single characters the same way in a document and a query.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

WORD = re.compile(r"\w+")
"""Letters, digits and ideographs; punctuation and spaces are not words."""
_LOCK = threading.Lock()
_READY = False


def _tokenizer() -> jieba.Tokenizer:
    """Return jieba's default tokenizer, its dictionary loaded (once; about a second)."""
    global _READY
    if not _READY:
        with _LOCK:
            if not _READY:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _READY = True
    return jieba.dt


def words(text: str) -> list[str]:
    """Return the words of `text` in order, lower-cased, with the shorter words inside long ones."""
    if not text:
        return []
    found: list[str] = []
    for piece in _tokenizer().cut_for_search(text, HMM=False):
        found.extend(match.lower() for match in WORD.findall(piece))
    return found


def query_words(text: str) -> list[tuple[str, list[str]]]:
    """Return the words of a query (precise mode, no overlaps), each with the shorter words inside it.

    A document holds both 低保户 and 低保, 保户 (see `words`); a query for 低保户 may
    then match either the whole word or, where a document's context split it
    otherwise, all its parts.
    """
    found: list[tuple[str, list[str]]] = []
    tokenizer = _tokenizer()
    for piece in tokenizer.cut(text or "", HMM=False):
        for word in WORD.findall(piece.lower()):
            inner = [part for part in tokenizer.cut_for_search(word, HMM=False) if part != word]
            found.append((word, inner if len(word) > 2 else []))
    return found


def segmented(text: str) -> str:
    """Return `text` as space-separated words, the form the full-text index stores."""
    return " ".join(words(text))
