"""The knowledge API: published articles valid today, ranked for a query, an area and a service."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from hotline.access import logged_in
from hotline.api import API_PREFIX, ApiError
from hotline.extensions import db
from hotline.knowledge import search, services
from hotline.knowledge.routes import bp, today
from hotline.knowledge.search import Hit
from hotline.vocabulary import Service

MAX_LIMIT = 50


def hit_json(hit: Hit) -> dict[str, Any]:
    """Return one search result as JSON."""
    article = hit.article
    return {
        "id": article.id,
        "question": article.question,
        "excerpt": hit.excerpt_text,
        "matched": hit.terms,
        "area": {"code": article.area.code, "name": article.area.name} if article.area else None,
        "services": list(article.services or []),
        "source": {
            "title": article.source_title,
            "number": article.source_number,
            "issuer": article.source_issuer,
            "url": article.source_url,
        },
        "valid_until": article.valid_until.isoformat() if article.valid_until else None,
        "verified_at": article.verified_at.isoformat() if article.verified_at else None,
        "version": article.version,
        "url": url_for("knowledge.article_page", article_id=article.id),
    }


def _parameters() -> tuple[str, int | None, str | None, int]:
    """Read q, area, service and limit, or raise a 400 ApiError."""
    query = request.args.get("q", "")
    if len(query) > search.MAX_QUERY:
        raise ApiError(400, "invalid_parameter", f"q is longer than {search.MAX_QUERY} characters", {"q": "too long"})
    area_id = None
    code = request.args.get("area")
    if code:
        area_id = services.area_id_by_code(db.session, code)
        if area_id is None:
            raise ApiError(404, "unknown_area", "no area has this official code", {"area": code})
    service = request.args.get("service") or None
    if service is not None and service not in {member.value for member in Service}:
        raise ApiError(400, "invalid_parameter", "service must be one of the glossary's", {"service": service})
    raw_limit = request.args.get("limit") or "10"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ApiError(400, "invalid_parameter", f"limit must be 1 to {MAX_LIMIT}", {"limit": raw_limit})
    return query, area_id, service, int(raw_limit)


@bp.get(f"{API_PREFIX}/knowledge")
@logged_in
def knowledge_search() -> Response:
    """Search the knowledge base.
    ---
    get:
      summary: Published articles valid today, best first (by relevance, then area, then freshness)
      description: >
        Chinese text is segmented into words (jieba), so two-character terms such as 低保 find
        低保户; synonyms the managers set are searched too. Without q, the articles for the area
        and service are listed, the area's own first.
      security: [{bearer: []}]
      parameters:
        - {name: q, in: query, schema: {type: string, maxLength: 200}, description: "words to search for"}
        - name: area
          in: query
          schema: {type: string}
          description: "official division code of the caller's area: other streets' articles are left out"
        - name: service
          in: query
          schema: {type: string, enum: [info, needs, emotional, resources, crisis, listening, family]}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50, default: 10}}
      responses:
        200:
          description: The articles found
          content:
            application/json:
              schema:
                type: object
                required: [articles]
                properties:
                  articles:
                    type: array
                    items:
                      type: object
                      required:
                        [id, question, excerpt, matched, area, services, source, valid_until, verified_at, version, url]
                      properties:
                        id: {type: integer}
                        question: {type: string}
                        excerpt: {type: string, description: "about 120 characters of the answer around a match"}
                        matched: {type: array, items: {type: string}, description: "the words and synonyms sought"}
                        area: {type: object, nullable: true, properties: {code: {type: string}, name: {type: string}}}
                        services: {type: array, items: {type: string}}
                        source:
                          type: object
                          properties:
                            title: {type: string}
                            number: {type: string, nullable: true}
                            issuer: {type: string, nullable: true}
                            url: {type: string, nullable: true}
                        valid_until: {type: string, format: date, nullable: true}
                        verified_at: {type: string, format: date-time, nullable: true}
                        version: {type: integer}
                        url: {type: string, description: "the article's page"}
        400:
          description: A malformed parameter (q too long, unknown service, limit out of range)
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        404:
          description: "unknown_area: no area has this official code"
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    query, area_id, service, limit = _parameters()
    hits = search.search(db.session, query, today(), area_id, service, limit=limit)
    return jsonify({"articles": [hit_json(hit) for hit in hits]})
