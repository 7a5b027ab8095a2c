"""Reminders: pure time maths (``timemath``), typed-input parsing (``parsing``), message
content (``messages``) and the delivery dispatcher (``dispatcher``)."""
