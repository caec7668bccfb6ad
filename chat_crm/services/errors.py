"""Errors a service raises, each carrying a Russian message for the user."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the request. ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    """Missing or not yours: the same answer, so nobody can probe which ids exist."""


class Forbidden(ServiceError):
    """Known and visible, but the action needs a right the actor lacks."""


class Unauthenticated(ServiceError):
    """No valid session."""
