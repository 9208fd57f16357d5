"""Every page behind an email link (`/act/<token>`), in one router: the claim approve / reject
handlers of `involve/web/actions.py`, the person's Confirm: / Withdraw: of a claim made for them
(`claim_confirm.py`) and recruitment's Accept: / Decline: / Comment: / Propose: (`recruitment_links.py`).
Each of those modules registers its handlers with `actions.register` when imported here, so the app
(and a test's app) includes this router and gets them all, and `actions` imports none of them.
"""
from __future__ import annotations

from involve.web import actions, claim_confirm, recruitment_links  # noqa: F401 (they register on import)

router = actions.router
