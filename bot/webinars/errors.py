"""What the webinar rules refuse, said for the operator (English) and the person (French)."""
from __future__ import annotations


class WebinarError(ValueError):
    def __init__(self, message: str, message_fr: str):
        super().__init__(message)
        self.message_fr = message_fr
