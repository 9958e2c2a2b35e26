"""The full-text index over segmented text: SQLite FTS5 or a PostgreSQL tsvector with a GIN index.

Both hold the same words (segment.words), the question and its phrasings
weighted above the answer, and both answer the same boolean query built by
`search.py`: every term must match, a term matching any of its synonyms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from hotline.knowledge.segment import words

TABLE = "knowledge_fts"
QUESTION_WEIGHT = 4.0
"""How much more a word of the question (or a phrasing) counts than a word of the answer (SQLite bm25)."""


def question_text(question: str, phrasings: str) -> str:
    """Return the question and its other phrasings as one text to index."""
    return "\n".join(filter(None, [question, phrasings]))


def tsvector_literal(question_words: list[str], answer_words: list[str]) -> str:
    """Return a tsvector in PostgreSQL's input syntax: each word with its positions, A for the question, B the answer.

    Built here rather than by to_tsvector() so PostgreSQL's parser (whose idea of a
    letter depends on the database's locale) never re-splits the words.
    """
    positions: dict[str, list[str]] = {}
    for offset, word in enumerate(question_words + answer_words, start=1):
        weight = "A" if offset <= len(question_words) else "B"
        positions.setdefault(word, []).append(f"{min(offset, 16383)}{weight}")
    return " ".join(
        f"'{word.replace(chr(39), chr(39) * 2)}':{','.join(places[:256])}" for word, places in positions.items()
    )


def rows(articles: Iterable[Any]) -> list[dict[str, Any]]:
    """Return the index rows of articles: id, question words and answer words."""
    return [
        {
            "id": article.id,
            "question": words(question_text(article.question, article.phrasings or "")),
            "answer": words(article.answer or ""),
        }
        for article in articles
    ]


def write(session: Session, articles: Iterable[Any]) -> None:
    """Replace the index entries of these articles (flushed, so they have ids)."""
    entries = rows(articles)
    if not entries:
        return
    ids = [{"id": entry["id"]} for entry in entries]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM knowledge_fts WHERE rowid = :id"), ids)
        session.execute(
            text("INSERT INTO knowledge_fts (rowid, question, answer) VALUES (:id, :question, :answer)"),
            [{"id": e["id"], "question": " ".join(e["question"]), "answer": " ".join(e["answer"])} for e in entries],
        )
        return
    session.execute(
        text(
            "INSERT INTO knowledge_fts (article_id, vector) VALUES (:id, CAST(:vector AS tsvector))"
            " ON CONFLICT (article_id) DO UPDATE SET vector = EXCLUDED.vector"
        ),
        [{"id": e["id"], "vector": tsvector_literal(e["question"], e["answer"])} for e in entries],
    )


def remove(session: Session, article_id: int) -> None:
    """Remove an article from the index."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM knowledge_fts WHERE rowid = :id"), {"id": article_id})
    else:
        session.execute(text("DELETE FROM knowledge_fts WHERE article_id = :id"), {"id": article_id})


def clear(session: Session) -> None:
    """Empty the index (before a rebuild)."""
    session.execute(text("DELETE FROM knowledge_fts"))
