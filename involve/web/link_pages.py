"""Every page behind an email link (`/act/<token>`), in one router: the claim approve / reject
handlers of `involve/web/actions.py`, the person's Confirm: / Withdraw: of a claim made for them
(`claim_confirm.py`), the person's own details page (`register_links.py`), a panel member's Score: page
(`score_links.py`), recruitment's Accept: / Decline: / Comment: / Propose: (`recruitment_links.py`), an
activity invitation's Accept: / Decline: (`activity_links.py`) and the person's Payment details: /
Confirm bank details: (`payment_links.py`).
Each of those modules registers its handlers with `actions.register` when imported here, so the app
(and a test's app) includes this router and gets them all, and `actions` imports none of them.
"""
from __future__ import annotations

from involve.web import (  # noqa: F401 (they register on import)
    actions,
    activity_links,
    claim_confirm,
    payment_links,
    recruitment_links,
    register_links,
    score_links,
)

router = actions.router
