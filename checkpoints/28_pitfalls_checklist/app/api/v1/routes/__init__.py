"""The route modules of API v1: one per resource, each with its own APIRouter."""
