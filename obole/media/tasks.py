"""Background work of the media app, run by `obole worker` (Huey).

Every hour, uploads that no post claimed within a day are removed. Which ones
is read from the database each time (the row is the record), so a lost or
doubled run changes nothing but timing.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from obole.media import services


@db_periodic_task(crontab(minute="17"))
def remove_unattached_media() -> int:
    return services.remove_unattached()
