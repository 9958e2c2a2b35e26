"""Searching the knowledge base: the query (words, synonyms), the ranked match on either database, highlights.

Ranking: relevance first (bm25 on SQLite, ts_rank on PostgreSQL, each as a share
of the best match's, in fifths: within about a fifth of each other, articles count as equally
relevant), then how closely the article's area matches the
caller's (community over street over district), then freshness (last verified).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload

from hotline.directory.models import Area
from hotline.knowledge.index import QUESTION_WEIGHT, TABLE
from hotline.knowledge.models import Article, SynonymGroup
from hotline.knowledge.segment import WORD, query_words, words

MAX_QUERY = 200
EXCERPT = 120
CANDIDATES = 1000
"""How many matches are ranked: the newest (by article id). Finding them is cheap on both
databases (FTS5 and the GIN index walk article ids); ranking costs per match (bm25,
ts_rank read each row), so a term found in 30,000 of 100,000 articles would otherwise
take half a second (docs/performance.md §5). A base with fewer matches is ranked whole."""
Alternative = tuple[tuple[str, bool], ...]
"""Words that must all match (each with whether it is a prefix)."""


@dataclass(frozen=True)
class Query:
    """A parsed query: every clause must match; a clause matches when any of its alternatives does."""

    clauses: tuple[tuple[Alternative, ...], ...]
    terms: tuple[str, ...]
    """The texts to highlight: the query's words and their synonyms, longest first."""

    def fts5(self) -> str:
        """Return the query in SQLite FTS5 syntax."""

        def word(value: str, prefix: bool) -> str:
            return f'"{value}"' + ("*" if prefix else "")

        return " AND ".join(
            "(" + " OR ".join("(" + " AND ".join(word(*w) for w in alt) + ")" for alt in clause) + ")"
            for clause in self.clauses
        )

    def tsquery(self) -> str:
        """Return the query in PostgreSQL tsquery syntax (words quoted, never re-parsed)."""

        def word(value: str, prefix: bool) -> str:
            return f"'{value}'" + (":*" if prefix else "")

        return " & ".join(
            "(" + " | ".join("(" + " & ".join(word(*w) for w in alt) + ")" for alt in clause) + ")"
            for clause in self.clauses
        )


@dataclass
class Hit:
    """One article found, with its highlighted question and answer excerpt."""

    article: Article
    question: Markup
    excerpt: Markup
    excerpt_text: str
    area_match: int = 0
    terms: list[str] = field(default_factory=list)


def synonym_groups(session: Session) -> list[list[str]]:
    """Return the synonym groups (each two or more terms)."""
    return [list(terms) for terms in session.scalars(select(SynonymGroup.terms)) if terms and len(terms) > 1]


def _alternative(word: str) -> list[Alternative]:
    """Return the ways a query word may match: whole, or by all its inner words; one character as a prefix."""
    found: list[Alternative] = [((word, len(word) == 1),)]
    for whole, inner in query_words(word):
        if whole == word and inner:
            found.append(tuple((part, False) for part in inner))
    return found


def _phrase(text_: str) -> Alternative:
    """Return a synonym term as words that must all match."""
    return tuple((whole, len(whole) == 1) for whole, _inner in query_words(text_))


def parse(raw: str, groups: list[list[str]]) -> Query | None:
    """Parse what a worker typed into a Query, or None when it holds no word.

    A synonym term found in the text (longest first) becomes one clause matching
    any term of its group; the rest is split into words, one clause each.
    """
    remaining = (raw or "")[:MAX_QUERY].lower()
    clauses: list[tuple[Alternative, ...]] = []
    terms: list[str] = []
    by_term = {term.lower(): group for group in groups for term in group if term.strip()}
    for term in sorted(by_term, key=len, reverse=True):
        if term in remaining:
            remaining = remaining.replace(term, " ")
            alternatives = tuple(dict.fromkeys(alt for alt in (_phrase(t) for t in by_term[term]) if alt))
            if alternatives and alternatives not in clauses:
                clauses.append(alternatives)
                terms.extend(t.lower() for t in by_term[term])
    for word, _inner in query_words(remaining):
        clause = tuple(_alternative(word))
        if clause not in clauses:
            clauses.append(clause)
            terms.append(word)
    if not clauses:
        return None
    return Query(tuple(clauses), tuple(sorted(set(terms), key=len, reverse=True)))


def area_lineage(session: Session, area_id: int | None) -> list[int]:
    """Return the area's id and its ancestors' ids, nearest first (empty for no area)."""
    area = session.get(Area, area_id) if area_id else None
    return [node.id for node in area.lineage()] if area is not None else []


def _filters(dialect: str, lineage: list[int], service: str | None) -> tuple[list[str], dict[str, Any]]:
    """Return the SQL conditions every search and suggestion applies: published, valid today, area, service."""
    conditions = [
        "a.status = 'published'",
        "(a.valid_from IS NULL OR a.valid_from <= :today)",
        "(a.valid_until IS NULL OR a.valid_until >= :today)",
    ]
    params: dict[str, Any] = {}
    if lineage:
        names = [f":area{i}" for i in range(len(lineage))]
        conditions.append(f"(a.area_id IS NULL OR a.area_id IN ({', '.join(names)}))")
        params.update({f"area{i}": area_id for i, area_id in enumerate(lineage)})
    if service:
        if dialect == "sqlite":
            conditions.append("EXISTS (SELECT 1 FROM json_each(a.services) AS s WHERE s.value = :service)")
            params["service"] = service
        else:
            conditions.append("a.services @> CAST(:service AS jsonb)")
            params["service"] = f'["{service}"]' if WORD.fullmatch(service) else '["-"]'
    return conditions, params


def _area_rank(lineage: list[int]) -> str:
    """Return the SQL expression ranking an article's area: the caller's own highest, the whole district 0."""
    if not lineage:
        return "0"
    cases = " ".join(f"WHEN :area{i} THEN {len(lineage) - i}" for i in range(len(lineage)))
    return f"(CASE a.area_id {cases} ELSE 0 END)"


def ranked_ids(
    session: Session,
    query: Query | None,
    today: date,
    lineage: list[int],
    service: str | None,
    limit: int,
    candidates: int = CANDIDATES,
) -> list[tuple[int, int]]:
    """Return (article id, area rank) of the best published, valid articles; without a query, the area's own first.

    Only the newest `candidates` matches are ranked (see CANDIDATES).
    """
    dialect = session.get_bind().dialect.name
    conditions, params = _filters(dialect, lineage, service)
    params.update(today=today, limit=limit, candidates=candidates)
    area_rank = _area_rank(lineage)
    fresh = "COALESCE(a.verified_at, a.published_at) DESC, a.id DESC"
    if query is None:
        sql = (
            f"SELECT a.id, {area_rank} AS area_rank FROM knowledge_articles a WHERE {' AND '.join(conditions)}"  # noqa: S608  (fixed fragments, values bound)
            f" ORDER BY area_rank DESC, {fresh} LIMIT :limit"
        )
    elif dialect == "sqlite":
        # CROSS JOIN keeps the FTS5 table as the outer loop: one MATCH, then each hit's article by id.
        # (A plain JOIN let SQLite scan the articles and run the MATCH once per article: 235 ms at 2,000.)
        params["match"] = query.fts5()
        sql = (
            f"SELECT a.id, {area_rank} AS area_rank, -bm25({TABLE}, {QUESTION_WEIGHT}, 1.0) AS relevance"  # noqa: S608  (fixed fragments, values bound)
            f" FROM {TABLE} CROSS JOIN knowledge_articles a ON a.id = {TABLE}.rowid"
            f" WHERE {TABLE} MATCH :match AND {TABLE}.rowid >= (SELECT COALESCE(MIN(c.rowid), 0) FROM"
            f" (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :match ORDER BY rowid DESC LIMIT :candidates) c)"
            f" AND {' AND '.join(conditions)}"
        )
    else:
        params["match"] = query.tsquery()
        sql = (
            f"SELECT a.id, {area_rank} AS area_rank, ts_rank(f.vector, q) AS relevance"  # noqa: S608  (fixed fragments, values bound)
            f" FROM {TABLE} f JOIN knowledge_articles a ON a.id = f.article_id, CAST(:match AS tsquery) q"
            f" WHERE f.vector @@ q AND f.article_id >= (SELECT COALESCE(MIN(c.article_id), 0) FROM"
            f" (SELECT article_id FROM {TABLE} WHERE vector @@ CAST(:match AS tsquery)"
            " ORDER BY article_id DESC LIMIT :candidates) c)"
            f" AND {' AND '.join(conditions)}"
        )
    if query is not None:
        sql = (
            f"SELECT m.id, m.area_rank FROM ({sql}) m JOIN knowledge_articles a ON a.id = m.id"  # noqa: S608  (fixed fragments, values bound)
            " ORDER BY ROUND(5 * m.relevance / NULLIF(MAX(m.relevance) OVER (), 0)) DESC, m.area_rank DESC,"
            f" {fresh} LIMIT :limit"
        )
    return [(row[0], row[1]) for row in session.execute(text(sql), params)]


def highlight(value: str, terms: tuple[str, ...] | list[str]) -> Markup:
    """Return the text, escaped, with every occurrence of the terms marked."""
    if not terms or not value:
        return escape(value or "")
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(value):
        out.append(str(escape(value[last : match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(value[last:])))
    return Markup("".join(out))  # noqa: S704  (every piece is escaped above)


def excerpt(value: str, terms: tuple[str, ...] | list[str], width: int = EXCERPT) -> str:
    """Return about `width` characters of the text around its first matched term."""
    value = " ".join((value or "").split())
    if len(value) <= width:
        return value
    lowered = value.lower()
    positions = [lowered.find(term) for term in terms if term and lowered.find(term) >= 0]
    start = max(0, min(positions) - width // 4) if positions else 0
    end = min(len(value), start + width)
    start = max(0, end - width)
    return ("…" if start else "") + value[start:end] + ("…" if end < len(value) else "")


def search(
    session: Session,
    raw: str,
    today: date,
    area_id: int | None = None,
    service: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """Return the published articles valid today that match the query, best first (an empty query suggests).

    Args:
        raw: what the worker typed; empty for suggestions by area and service.
        today: the hotline's local date (validity).
        area_id: the caller's area: articles of other streets are left out, the nearest first.
        service: only articles for this service.
    """
    query = parse(raw, synonym_groups(session)) if (raw or "").strip() else None
    if (raw or "").strip() and query is None:
        return []
    lineage = area_lineage(session, area_id)
    ranked = ranked_ids(session, query, today, lineage, service, limit)
    if not ranked:
        return []
    loaded = {
        article.id: article
        for article in session.scalars(
            select(Article).where(Article.id.in_([i for i, _ in ranked])).options(joinedload(Article.area))
        )
    }
    terms = query.terms if query else ()
    hits = []
    for article_id, area_rank in ranked:
        article = loaded[article_id]
        clip = excerpt(article.answer, terms)
        hits.append(
            Hit(article, highlight(article.question, terms), highlight(clip, terms), clip, area_rank, list(terms))
        )
    return hits


def matches(value: str, raw: str) -> bool:
    """Return whether every word of `raw` is among the words of `value` (a test's and the benchmark's oracle)."""
    have = set(words(value))
    return all(word in have for word, _inner in query_words(raw))
