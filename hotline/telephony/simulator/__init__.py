"""The caller simulator (development and demo only): play a caller in the browser against the real webhooks.

A gateway `Network` (hotline.gateway.interpreter) runs in this process in real time and
posts signed webhooks to the app exactly as Twilio would; the page shows what the
caller hears, sends key presses, and carries a text "conversation" with the worker.
"""
