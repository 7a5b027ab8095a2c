"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``.

One module per feature; each new table comes with a new alembic revision in ``migrations/``.
"""

from sqlmodel import SQLModel

from bot.models.base import UTCDateTime, utcnow
from bot.models.episode import Episode, EpisodeBase
from bot.models.user import CONSENT_ACCEPTED, CONSENT_DECLINED, User, UserBase

metadata = SQLModel.metadata

__all__ = [
    "CONSENT_ACCEPTED",
    "CONSENT_DECLINED",
    "Episode",
    "EpisodeBase",
    "UTCDateTime",
    "User",
    "UserBase",
    "metadata",
    "utcnow",
]
