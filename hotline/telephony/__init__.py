"""Twilio webhooks, TwiML builders and the telephony provider."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhooks, the calls API, the settings page, the simulator, and install the provider."""
    import hotline.telephony.connect_routes  # noqa: F401  (its views join routes.bp)
    import hotline.telephony.voicemail_routes  # noqa: F401  (its views join routes.bp)
    from hotline.telephony import api_routes, manage_routes, routes, survey
    from hotline.telephony.provider_impls import install_provider

    app.register_blueprint(routes.bp)
    app.after_request(routes.answer_errors_with_twiml)
    app.register_blueprint(api_routes.bp)
    app.register_blueprint(manage_routes.bp)
    app.register_blueprint(survey.bp)
    manage_routes.register_nav(app)
    install_provider(app)
    if app.config.get("SIMULATOR_ENABLED"):
        from hotline.telephony.simulator import routes as simulator_routes

        app.register_blueprint(simulator_routes.bp)
        simulator_routes.register_nav(app)
