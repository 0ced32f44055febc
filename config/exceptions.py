"""Exceptions any app may raise that the pages and the API answer in one agreed way."""


class Conflict(Exception):
    """Someone else changed the record since it was read: answered as HTTP 409 on the API and
    as a "changed by someone else, reload" message on the pages."""

    default_message = (
        "Someone else changed this record since you read it. "
        "Reload it to see their change, then try again."
    )

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
