"""Chapter tests run against one app folder at a time, named by WORKBOOK_APP_DIR.

`workbook check` and the checkpoint tests set it; a plain `pytest` of the
whole suite leaves tests/chapters/ to them instead of testing an app that
may not exist.
"""

import os

collect_ignore = [] if os.environ.get("WORKBOOK_APP_DIR") else ["chapters"]
