"""Test-wide settings.

Under CI=true, Hypothesis runs the same examples every time (`derandomize`): a CI run judges the
change, not the luck of the draw. Local runs keep drawing new examples, which is how the property
and model tests find new bugs; a long hunt: TAILER_MODEL_EXAMPLES=3000 pytest tests/unit/tail.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
