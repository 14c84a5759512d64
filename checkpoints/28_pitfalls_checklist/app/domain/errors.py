"""What a rule of the app can refuse, said without HTTP.

Services raise these; they never pick a status code. app/core/errors.py maps
each one to an HTTP answer, in one table (DOMAIN_ERRORS): a service can be
called from a route, a script or a test, and means the same thing everywhere.
"""


class DomainError(Exception):
    """A rule of the app refused the request; the message says which, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (any more)."""


class AlreadyExists(DomainError):
    """Something unique is taken already: an email, say."""


class NotAllowed(DomainError):
    """The caller is known and may not do this: another user's item, say."""
