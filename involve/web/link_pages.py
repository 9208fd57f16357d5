"""Every page behind an email link (`/act/<token>`), in one router: the claim approve / reject
handlers of `involve/web/actions.py`, the person's Confirm: / Withdraw: of a claim made for them
(`claim_confirm.py`), recruitment's Accept: / Decline: / Comment: / Propose: (`recruitment_links.py`) and an
activity invitation's Accept: / Decline: (`activity_links.py`).
Each of those modules registers its handlers with `actions.register` when imported here, so the app
(and a test's app) includes this router and gets them all, and `actions` imports none of them.
"""
from __future__ import annotations

from involve.web import (  # noqa: F401 (they register on import)
    actions,
    activity_links,
    claim_confirm,
    recruitment_links,
)

router = actions.router
