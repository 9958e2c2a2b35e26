"""The gateway's media: what plays, collects digits, records and places legs (`backend.MediaBackend`).

`simulated` is the first backend: scripted parties for tests, a person in the caller
simulator's page for development.
"""
