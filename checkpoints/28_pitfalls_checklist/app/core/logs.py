"""Log lines as JSON: one object per line, which a log collector reads without a parser.

The formatter is named in logging.json (next to app/), the configuration that uvicorn's
--log-config applies when the server starts: no module of the app configures logging
when it is imported. A line looks like

{"time": "2026-01-05T09:30:00.123+00:00", "level": "INFO", "logger": "app.requests",
 "message": "GET /api/v1/items/3 200 1.4ms", "request_id": "4f0c...", "method": "GET",
 "route": "/api/v1/items/{item_id}", "path": "/api/v1/items/3", "status": 200,
 "duration_ms": 1.4}

json.dumps escapes every newline and quote of a message: whatever a client sends, it can
never start a line of its own (a forged log entry).
"""

import json
import logging
from datetime import UTC, datetime

from app.core.request_id import request_id_var

# The fields a call may add with extra={...}, in this order, when it sets them.
EXTRA_FIELDS = ("method", "route", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # The message with its arguments merged in: "%s %s" % record.args.
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            line["request_id"] = request_id
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
