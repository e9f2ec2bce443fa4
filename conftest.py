"""Keep the test run away from the developer's own data directory."""

import os
import tempfile

os.environ.setdefault("OBOLE_DATA_DIR", tempfile.mkdtemp(prefix="obole-test-"))
