"""What the app still keeps in memory: the login sessions, lost at every restart.

Users and items live in the database since chapter 12 (app/models). Chapter 16
replaces these sessions with signed tokens (JWTs), which need no server-side store.
"""

# Session token (the value of the session_id cookie) -> the id of the logged-in user.
SESSIONS: dict[str, int] = {}
