"""Errors the knowledge base's services raise."""


class KnowledgeError(Exception):
    """Base class of this package's errors."""


class ArticleNotFound(KnowledgeError):
    """No such article (or version)."""


class NotADraft(KnowledgeError):
    """Only a draft or a proposed version can be published or rejected."""


class ImportFailed(KnowledgeError):
    """A file to import has errors; nothing was imported. `errors` lists (line or file, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


class LinkInvalid(KnowledgeError):
    """A proposal link is forged, expired or names an owner that no longer exists."""
