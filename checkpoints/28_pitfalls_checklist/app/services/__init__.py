"""Services: the app's rules, one class per part of the domain.

A service takes validated input (the schemas), applies the rules, calls its
repository and answers models or raises domain errors (app/domain/errors.py).
It never sees a Request or an HTTP status: tests call it directly.
"""
