"""OAuth2 scopes: what a token may be used for, asked for at login and checked per route.

A scope is a word the client puts in the login form's `scope` field (several,
space-separated); the token carries the ones it was granted, and a route
declares the ones it needs with Security(..., scopes=[...]) (app/api/deps.py).
A role says what a user may ever be granted: a scope is what this one token was.
"""

# Every scope the API knows, with the sentence the Authorize dialog of /docs shows.
SCOPES: dict[str, str] = {
    "items:write": "Create, change and delete your items",
    "users:write": "Change your own user record",
    "admin": "Administer every user and item (admins only)",
}

# What each role may be granted. A login that asks for no scope gets the user's scopes
# (RFC 6749, section 3.3: the server may apply a default); admin only when asked for.
USER_SCOPES = ("items:write", "users:write")
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "user": USER_SCOPES,
    "admin": (*USER_SCOPES, "admin"),
}


def granted_scopes(requested: str, role: str) -> list[str]:
    """The scopes a login gets: those it asked for that its role allows, never more."""
    asked = set(requested.split()) or set(USER_SCOPES)
    allowed = set(ROLE_SCOPES.get(role, ()))
    return [scope for scope in SCOPES if scope in asked and scope in allowed]
