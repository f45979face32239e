"""collectstatic for the load benchmark: the production settings with the manifest storage that
WhiteNoise's compressing storage extends. The manifest (every file's hashed name, which the
pages' {% static %} reads) is the same; the run skips compressing files nobody downloads here,
which takes the image's build ~25 s on this machine.
"""

from config.settings.prod import *  # noqa: F403 - the server's own settings
from config.settings.prod import STORAGES as PRODUCTION_STORAGES

STORAGES = {
    **PRODUCTION_STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
