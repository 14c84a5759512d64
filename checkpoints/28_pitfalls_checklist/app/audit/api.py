"""Audits of the running app: its routes, and the OpenAPI document it publishes.

What a client relies on is the document: every body it may send is bounded there, every
error it may get is the envelope there, and no answer carries a password. The checks read
the document as a client does (app.openapi()), so they hold for any route, whoever adds it.
"""

import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts

Schema = dict[str, Any]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# A string a client uploads as a file: bounded by the body limit (app/core/limits.py), not
# by a maxLength (OpenAPI has no word for bytes).
FILE_FORMATS = ("binary", "byte")


def resolve(schema: Schema, document: Schema) -> tuple[Schema, str | None]:
    """The schema a {"$ref": "#/components/schemas/X"} names, and X; others as they are."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema, None
    name = ref.rsplit("/", 1)[-1]
    return document["components"]["schemas"][name], name


def operations(document: Schema) -> Iterator[tuple[str, Schema]]:
    """("POST /api/v1/items", operation) for every operation of the document."""
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def unbounded(
    schema: Schema, document: Schema, where: str, seen: frozenset[str] = frozenset()
) -> list[str]:
    """The fields of a body's schema that a client may make as large as it likes.

    Strings need a maxLength (an enum, a const or a file is bounded already), integers a
    maximum (a column has 32 or 64 bits), numbers a bound, lists a maxItems, maps a
    maxProperties; $ref, anyOf, oneOf, allOf, properties and items are followed.
    """
    schema, name = resolve(schema, document)
    if name:
        if name in seen:  # a schema that contains itself: checked where it began
            return []
        seen, where = seen | {name}, f"{where} ({name})"
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += unbounded(branch, document, where, seen)
    if "enum" in schema or "const" in schema:
        return found
    kind = schema.get("type")
    if kind == "string":
        is_file = schema.get("format") in FILE_FORMATS or "contentMediaType" in schema
        if "maxLength" not in schema and not is_file:
            found.append(f"{where}: a string without maxLength (Field(max_length=...))")
    elif kind == "integer":
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            found.append(f"{where}: an integer without a maximum (Field(le=...))")
    elif kind == "number":
        bounds = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        if not any(bound in schema for bound in bounds):
            found.append(f"{where}: a number without a bound (Field(gt=..., le=...))")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: a list without maxItems (Field(max_length=...))")
        found += unbounded(schema.get("items", {}), document, f"{where}[]", seen)
    elif kind == "object" or "properties" in schema:
        for field, sub in schema.get("properties", {}).items():
            found += unbounded(sub, document, f"{where}.{field}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and "maxProperties" not in schema:
            found.append(f"{where}: a map without maxProperties (a model with named fields)")
    return found


def unbounded_bodies(document: Schema) -> list[str]:
    """Every request body of the document, checked by unbounded(); findings name the route."""
    found: list[str] = []
    for operation_name, operation in operations(document):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            found += unbounded(content.get("schema", {}), document, f"{operation_name} body")
    return found


def is_envelope(schema: Schema, document: Schema) -> bool:
    """Whether a response schema is {"error": {"code", "message", ...}} (app/schemas/error.py)."""
    schema, _ = resolve(schema, document)
    error, _ = resolve(schema.get("properties", {}).get("error", {}), document)
    return {"code", "message"} <= set(error.get("properties", {}))


def undocumented_errors(document: Schema) -> list[str]:
    """Operations whose 4XX or 5XX answers the document does not describe as the envelope."""
    found: list[str] = []
    for operation_name, operation in operations(document):
        responses = operation.get("responses", {})
        for status in ("4XX", "5XX"):
            content = responses.get(status, {}).get("content", {}).get("application/json", {})
            if not is_envelope(content.get("schema", {}), document):
                found.append(
                    f"{operation_name}: its {status} answers are not documented as the error "
                    "envelope (responses=ERROR_RESPONSES on the app, app/main.py)"
                )
    return found


# Fields that no answer may carry: a password, its hash, a secret.
EXPOSED_FIELDS = re.compile(r"passw(or)?d|hash|secret", re.IGNORECASE)


def exposed_fields(schema: Schema, document: Schema, where: str, seen: frozenset[str]) -> list[str]:
    """The fields of a response schema whose name says password, hash or secret."""
    schema, name = resolve(schema, document)
    if not schema or name in seen:
        return []
    seen = seen | {name} if name else seen
    found: list[str] = []
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found += exposed_fields(branch, document, where, seen)
    found += exposed_fields(schema.get("items", {}), document, where, seen)
    for field, sub in schema.get("properties", {}).items():
        if EXPOSED_FIELDS.search(field):
            found.append(
                f"{where}: the answer carries {name or 'a'}.{field}: answer a model "
                "without it (response_model=...Out, never the table model)"
            )
        found += exposed_fields(sub, document, where, seen)
    return found


def exposed_secrets(document: Schema) -> list[str]:
    """Successful answers whose schema carries a password, a hash or a secret."""
    found: list[str] = []
    for operation_name, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            for content in response.get("content", {}).values():
                found += exposed_fields(
                    content.get("schema", {}), document, operation_name, frozenset()
                )
    return found


def is_table(model: Any) -> bool:
    """Whether a response model is (or holds) a table model: an ORM object, not a schema."""
    return hasattr(model, "__table__") or any(is_table(arg) for arg in get_args(model))


def app_routes(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """("POST /api/v1/items", context) for every HTTP route of the app's own modules."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.endpoint.__module__.split(".")[0] == "app":
            yield f"{'/'.join(sorted(route.methods or ()))} {context.path}", context


def builds_its_response(endpoint: Any) -> bool:
    """Whether a route returns a Response it builds (-> PlainTextResponse): a declared shape."""
    returns = inspect.signature(endpoint).return_annotation
    return isinstance(returns, type) and issubclass(returns, Response)


def routes_without_response(app: FastAPI) -> list[str]:
    """Routes that answer no declared shape: no response model, no response class, not a 204;
    and routes whose response model is the table model (an ORM object, unfiltered)."""
    found: list[str] = []
    for route_name, context in app_routes(app):
        if not context.include_in_schema:
            continue  # a page of the app (GET /chat), not a part of the API
        module = context.endpoint.__module__
        response_class = getattr(context.response_class, "value", context.response_class)
        if is_table(context.response_model):
            found.append(
                f"{route_name}: answers the table model {context.response_model!r}: "
                f"declare a response model (...Out) in {module}"
            )
        elif (
            context.response_model is None
            and response_class is JSONResponse
            and not builds_its_response(context.endpoint)
            and context.status_code != 204
        ):
            found.append(
                f"{route_name}: no response model: annotate the return type of "
                f"{context.endpoint.__name__} in {module}"
            )
    return found


def route_modules(app: FastAPI) -> list[Path]:
    """The files that define the app's routes, derived from the routes themselves."""
    modules = {sys.modules.get(context.endpoint.__module__) for _, context in app_routes(app)}
    return sorted({Path(module.__file__) for module in modules if module and module.__file__})
