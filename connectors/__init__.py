"""Rasa-server side plugins: the channels of the assistant and the tracker store that keeps
(and erases) conversations. They call `bot/`; `bot/` never imports them."""
