"""Operations: liveness and readiness probes, and Prometheus metrics."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the probes, the metrics endpoint and the webhook timer."""
    from hotline.ops import metrics, routes

    app.register_blueprint(routes.bp)
    metrics.init_app(app)
