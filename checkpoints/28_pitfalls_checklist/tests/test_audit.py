"""The app's own audit (app/audit/), in its own suite: `pytest tests` fails on a pitfall."""

from app.audit import audit


def test_the_app_passes_its_audit() -> None:
    found = audit()
    assert not found, "\n".join(found)
