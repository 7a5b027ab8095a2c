"""Cramp Companion: a Telegram bot that helps people with leg cramps.

Layers (see docs/architecture.md):

* pure core, no Telegram or ORM imports: ``bot.triage``, ``bot.reminders.timemath``,
  ``bot.diary.parser``, ``bot.diary.stats``, ``bot.emergency``, ``bot.content``;
* storage: ``bot.models`` (SQLModel tables) and ``bot.storage`` (data functions that take
  the session explicitly);
* adapters: ``bot.handlers`` (one module per feature), ``bot.app`` (the composition root).
"""

__version__ = "0.1.0"
