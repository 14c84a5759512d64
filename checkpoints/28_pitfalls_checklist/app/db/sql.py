"""SQL that each database spells its own way, behind one Python name.

SQL has no portable way to look inside a JSON value: SQLite and PostgreSQL each
have their own functions. A construct compiled per dialect keeps the queries of
the app the same on both.
"""

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_list_has(FunctionElement[bool]):
    """json_list_has(column, value): value is one element of the JSON list in column.

    It compares whole elements, never the text of the list: "games" does not match
    "video-games" nor 'not "games', and % or _ are plain characters.
    """

    type = Boolean()
    inherit_cache = True
    name = "json_list_has"


@compiles(json_list_has, "sqlite")
def _on_sqlite(element: json_list_has, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    # json_each(list): one row per element; its column `value` is the element, as SQL text.
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {value})"


@compiles(json_list_has, "postgresql")
def _on_postgresql(element: json_list_has, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    # json_array_elements_text(list): one row per element, as text.
    return (
        f"EXISTS (SELECT 1 FROM json_array_elements_text({column}) AS element "
        f"WHERE element = {value})"
    )
