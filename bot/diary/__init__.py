"""The cramp diary's core and renderers.

``vocab`` (the fixed choices), ``parser`` (typed shortcuts) and ``stats`` (patterns) are
pure; ``chart`` (matplotlib) and ``report`` (PDF and CSV) render what ``stats`` computed.
"""
