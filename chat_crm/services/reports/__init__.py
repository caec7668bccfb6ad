"""«Поддержка» → «Отчеты» (P14): volume, first-response and resolution times, load, breakdowns.

``sections`` is the API (each call checks «Поддержка: Отчеты»); ``filters`` the range and the
list's filters; ``volume``, ``timings``, ``load``, ``breakdowns`` one SQL query each over the
whole history (``sqlfn`` holds what differs between PostgreSQL and SQLite); ``present`` the
Russian tables; ``dialogs`` what the send and close services write for the reports.
Kept import-free so the send path can import ``dialogs`` alone.
"""
