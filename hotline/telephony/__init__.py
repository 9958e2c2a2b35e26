"""Twilio webhooks, TwiML builders and the telephony provider."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhooks, the calls API, the settings page, the simulator, and install the provider."""
    import hotline.telephony.routes.connect  # noqa: F401  (its views join voice.bp)
    import hotline.telephony.routes.voicemail  # noqa: F401  (its views join voice.bp)
    from hotline.telephony.labels import template_helpers
    from hotline.telephony.provider_impls import install_provider
    from hotline.telephony.routes import api, manage, prompts, survey, test_calls, voice

    app.jinja_env.globals.update(template_helpers())
    app.register_blueprint(voice.bp)
    app.after_request(voice.answer_errors_with_twiml)
    app.register_blueprint(api.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(prompts.bp)
    app.register_blueprint(survey.bp)
    app.register_blueprint(test_calls.bp)
    manage.register_nav(app)
    install_provider(app)
    from hotline import signals
    from hotline.telephony import survey_sms

    signals.call_ended.connect(survey_sms.on_call_ended)
    signals.sms_survey_answered.connect(survey_sms.on_survey_answered)
    if app.config.get("SIMULATOR_ENABLED"):
        from hotline.telephony.simulator import routes as simulator_routes

        app.register_blueprint(simulator_routes.bp)
        simulator_routes.register_nav(app)
