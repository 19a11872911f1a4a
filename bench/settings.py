"""Settings for `make bench`: the product's own, plus two bare views used only as yardsticks.

The bare views live in `bench.urls`; the product's URLconf never includes them.
"""

from kpu.settings import *  # noqa: F403
from kpu.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]},
]
