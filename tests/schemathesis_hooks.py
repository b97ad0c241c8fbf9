"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded by SCHEMATHESIS_HOOKS).

Meeting materials are sent as raw PDF bytes: serialise them as any binary body.
"""

import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
