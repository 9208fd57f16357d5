"""The read side (as cosmicpython's `views.py`): every question the CLI and the pages ask of the
database, answered read-only in one place. Entrypoints never query tables themselves; the
services own the writes, these modules own the reads.

- `claims`: a claim with its history, lists with filters and keyset pagination, the JSON shape
- `staff`: the active member of staff behind a session or a token
- `finance`: approved claims waiting to be paid, payment runs
- `recruitment`: a recruitment with its panel, comments, questions and history; the list
- `programme`: Action Plan actions with their updates, an activity with its invitations, an offer, forums
"""
