"""Plain-language labels for statuses, flags, activity kinds and boroughs, shared by the pages.

Marked with N_ so `make messages` extracts them; templates translate with `_()` when showing them.
"""
from __future__ import annotations

from involve.domain.transitions import STATUSES as CLAIM_STATUSES
from involve.web.claim_fields import BOROUGHS, KINDS
from involve.web.i18n import N_

_STATUS_WORDS = {"awaiting_confirmation": N_("Waiting for the person to confirm"), "submitted": N_("Received"),
                 "awaiting_approval": N_("Waiting for approval"),
                 "awaiting_second_approval": N_("Waiting for second approval"), "approved": N_("Approved"),
                 "paid": N_("Paid"), "rejected": N_("Not approved"), "needs_information": N_("Needs information"),
                 "withdrawn": N_("Withdrawn"), "payment_failed": N_("Payment failed")}
# only statuses the transition table can reach (a filter never offers a state nothing reaches)
STATUSES = {s: _STATUS_WORDS.get(s, s.replace("_", " ").capitalize()) for s in CLAIM_STATUSES}
STATUS_COLOURS = {"awaiting_confirmation": "purple", "withdrawn": "white", "submitted": "grey",
                  "awaiting_approval": "yellow", "awaiting_second_approval": "orange",
                  "approved": "blue", "paid": "green", "rejected": "red", "payment_failed": "red"}
FLAGS = {"late": N_("Late: sent after the claim deadline"),
         "receipt_missing": N_("Receipt missing for a cost over the receipt limit"),
         "duplicate_suspected": N_("Maybe a duplicate: another claim overlaps this date and time"),
         "benefits_limit": N_("The fee would take this person over their weekly earnings limit"),
         "second_approval": N_("Over the limit for one approver: needs a second approval"),
         "not_in_register": N_("Not in the involvement register yet"),
         "cannot_process": N_("Set aside: it could not be processed (see the reason)"),
         "no_approver": N_("Nobody can approve it yet: no activity lead or co-ordinator is registered")}
FLAG_SHORT = {"late": N_("Late"), "receipt_missing": N_("Receipt missing"),
              "duplicate_suspected": N_("Duplicate?"), "benefits_limit": N_("Benefits limit"),
              "second_approval": N_("Second approval"),
              "not_in_register": N_("Not in register"), "cannot_process": N_("Set aside"),
              "no_approver": N_("No approver")}
EXPENSES = {"public_transport": N_("Bus, train or tube"), "mileage": N_("Mileage"), "taxi": N_("Taxi"),
            "parking": N_("Parking"), "carer": N_("Carer"), "childcare": N_("Childcare"),
            "subsistence": N_("Food and drink"), "support": N_("Support"), "other": N_("Other")}
ALL = {"STATUSES": STATUSES, "STATUS_COLOURS": STATUS_COLOURS, "FLAGS": FLAGS, "FLAG_SHORT": FLAG_SHORT,
       "KINDS": KINDS, "BOROUGHS": BOROUGHS, "EXPENSES": EXPENSES}
