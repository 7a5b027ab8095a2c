"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``.

One module per feature; each new table comes with a new alembic revision in ``migrations/``.
"""

from sqlmodel import SQLModel

from bot.models.base import UTCDateTime, utcnow
from bot.models.causes import CausesSession, CausesSessionBase
from bot.models.episode import Episode, EpisodeBase
from bot.models.relief import ReliefSession, ReliefSessionBase
from bot.models.reminders import ReminderDelivery, ReminderSlot, ReminderSlotBase
from bot.models.triage import TriageResult, TriageSession, TriageSessionBase
from bot.models.user import CONSENT_ACCEPTED, CONSENT_DECLINED, User, UserBase

metadata = SQLModel.metadata

__all__ = [
    "CONSENT_ACCEPTED",
    "CONSENT_DECLINED",
    "CausesSession",
    "CausesSessionBase",
    "Episode",
    "EpisodeBase",
    "ReliefSession",
    "ReliefSessionBase",
    "ReminderDelivery",
    "ReminderSlot",
    "ReminderSlotBase",
    "TriageResult",
    "TriageSession",
    "TriageSessionBase",
    "UTCDateTime",
    "User",
    "UserBase",
    "metadata",
    "utcnow",
]
