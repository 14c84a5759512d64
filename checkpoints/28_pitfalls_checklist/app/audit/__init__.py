"""The app audits itself: guide section 28's pitfalls and checklist, each as a check.

source.py reads the code (ast), api.py the routes and the OpenAPI document. audit() runs
them all on this app; `python -m app.audit` prints the findings and exits 1 when there is
one, so that a CI job (or a pre-commit hook) stops a pitfall before it ships.
"""

import ast
from pathlib import Path

from app.audit import api, source

# The folder that holds app/: findings name app/... paths.
WORKSPACE_DIR = Path(__file__).resolve().parents[2]


def audit() -> list[str]:
    """Every finding of every check, on this app; [] when it passes them all."""
    from app.main import app

    found = source.scan(WORKSPACE_DIR, source.blocking_calls)
    found += source.scan(WORKSPACE_DIR, source.secret_literals)
    for path in api.route_modules(app):
        where = path.relative_to(WORKSPACE_DIR).as_posix()
        found += source.queries_in_routes(ast.parse(path.read_text(encoding="utf-8")), where)
    document = app.openapi()
    found += api.unbounded_bodies(document)
    found += api.undocumented_errors(document)
    found += api.exposed_secrets(document)
    found += api.routes_without_response(app)
    return found
