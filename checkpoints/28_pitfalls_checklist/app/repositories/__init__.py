"""Repositories: every query of the app, one class per table, behind plain methods.

A repository knows SQL and the session; it knows no rules and no HTTP. The
services call it; nothing else in the app builds a query on users or items.
"""
