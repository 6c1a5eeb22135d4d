"""Rasa SDK actions: thin wrappers that read the tracker, call `bot/` and answer."""
