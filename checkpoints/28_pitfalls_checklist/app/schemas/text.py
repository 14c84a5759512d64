"""Text every database can store: any characters but NUL.

PostgreSQL's text types cannot hold the NUL character (U+0000): asyncpg refuses it
(CharacterNotInRepertoireError), and the request fails with a 500. SQLite stores it,
so a test on SQLite alone never sees the problem. Every string from a client that may
reach a query is a NoNulStr: a 422 on both databases, and the OpenAPI schema says so.
"""

from typing import Annotated

from pydantic import StringConstraints

# Any characters but NUL. The pattern goes into the JSON schema too, so a client (or a
# fuzzer reading the schema) knows the rule before it sends anything.
NO_NUL = r"^[^\x00]*$"

# Bounds add to it: Annotated[NoNulStr, StringConstraints(max_length=50)], or
# Annotated[NoNulStr, Query(max_length=50)] for a parameter.
NoNulStr = Annotated[str, StringConstraints(pattern=NO_NUL)]
