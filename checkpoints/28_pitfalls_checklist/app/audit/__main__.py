"""`python -m app.audit`: the findings of every audit, one a line; exit status 1 if any."""

import sys

from app.audit import audit

found = audit()
print("\n".join(found) if found else "the audit finds nothing")
sys.exit(1 if found else 0)
