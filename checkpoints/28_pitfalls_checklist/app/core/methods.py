"""The methods a path answers, all of them: what the Allow header of a 405 names.

Starlette's router answers a wrong method with the Allow header of the first route
whose path matched. A path served by one route per method (GET, PUT, PATCH and
DELETE on /users/{user_id}) would claim to allow GET alone, and a client that reads
Allow, or asks with OPTIONS, would believe it.
"""

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import Match


def allowed_methods(request: Request) -> str:
    """Every method some route of the app serves on the request's path, for Allow."""
    methods: set[str] = set()
    # iter_route_contexts: every route, those of included routers too, with its full path.
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:  # PARTIAL: the path matched, the method did not
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))
