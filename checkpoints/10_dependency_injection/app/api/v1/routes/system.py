"""System: what the app runs on, for logged-in users only.

The login is required once, on the router: every route added here later
(chapter 11 adds two) is protected without repeating it.
"""

from fastapi import APIRouter, Depends
from sqlalchemy import text

from app.api.deps import SessionDep, get_current_user
from app.core.errors import UnauthorizedError, error_responses

router = APIRouter(
    prefix="/system",
    tags=["system"],
    dependencies=[Depends(get_current_user)],
    responses=error_responses(UnauthorizedError),
)


# A plain def: the session talks to the database synchronously, so FastAPI runs the
# route in its thread pool, where waiting blocks no other request.
@router.get("/database")
def check_database(db: SessionDep) -> dict[str, str]:
    """Run SELECT 1 through the request's session; which kind of database answered."""
    db.execute(text("SELECT 1")).scalar_one()
    return {"database": "ok", "dialect": db.get_bind().dialect.name}
