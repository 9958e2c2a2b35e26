"""Telephony's HTTP routes, in rooms by who calls them.

voice.py: Twilio's voice and SMS webhooks (blueprint "telephony"), joined by
voicemail.py (voicemail and callback requests) and connect.py (putting the
caller through to a worker); survey.py: the post-call question ("survey");
api.py: the calls API ("telephony_api"); manage.py: the manager's line settings
and closures ("telephony_manage"); test_calls.py: a manager's test call from the directory page and
its two webhooks ("telephony_test_calls"); prompts.py: recorded prompts' audio, signed for
Twilio and the gateway, and the manager's listen and delete ("telephony_prompts").
"""
