"""Plain-language labels for statuses, flags, activity kinds and boroughs, shared by the pages.

Marked with N_ so `make messages` extracts them; templates translate with `_()` when showing them.
"""
from __future__ import annotations

from involve.domain.register_fields import FORMATS
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
         "no_approver": N_("Nobody can approve it yet: no activity lead or co-ordinator is registered"),
         "bank_details_changed": N_("Bank details changed recently: check the change before paying"),
         "bank_details_invalid": N_("Bank details fail the bank's sort code check: the person has been asked"),
         "over_budget": N_("This claim takes its cost centre over budget")}
FLAG_SHORT = {"late": N_("Late"), "receipt_missing": N_("Receipt missing"),
              "duplicate_suspected": N_("Duplicate?"), "benefits_limit": N_("Benefits limit"),
              "second_approval": N_("Second approval"),
              "not_in_register": N_("Not in register"), "cannot_process": N_("Set aside"),
              "no_approver": N_("No approver"), "bank_details_changed": N_("Bank details changed"),
              "bank_details_invalid": N_("Bank details invalid"), "over_budget": N_("Over budget")}
EXPENSES = {"public_transport": N_("Bus, train or tube"), "mileage": N_("Mileage"), "taxi": N_("Taxi"),
            "parking": N_("Parking"), "carer": N_("Carer"), "childcare": N_("Childcare"),
            "subsistence": N_("Food and drink"), "support": N_("Support"), "other": N_("Other")}
MEMBER_STATUSES = {"invited": N_("Invited"), "accepted": N_("Accepted"), "declined": N_("Declined"),
                   "expired": N_("Did not answer in time"), "attended": N_("Attended")}
STAFF_GROUPS = {"senior_manager": N_("Senior manager"), "clinician": N_("Clinician"),
                "social_worker": N_("Social worker"), "cpn": N_("Community psychiatric nurse"), "nurse": N_("Nurse"),
                "occupational_therapist": N_("Occupational therapist"), "psychologist": N_("Psychologist"),
                "psychotherapist": N_("Psychotherapist"), "other": N_("Other")}
RECRUITMENT_STATUSES = {"open": N_("Open"), "closed": N_("Closed")}
COMMENT_STATUSES = {"pending": N_("Waiting for a decision"), "accepted": N_("Accepted"),
                    "declined": N_("Not taken up")}
ALL = {"STATUSES": STATUSES, "STATUS_COLOURS": STATUS_COLOURS, "FLAGS": FLAGS, "FLAG_SHORT": FLAG_SHORT,
       "KINDS": KINDS, "BOROUGHS": BOROUGHS, "EXPENSES": EXPENSES, "MEMBER_STATUSES": MEMBER_STATUSES,
       "FORMATS": FORMATS, "STAFF_GROUPS": STAFF_GROUPS, "RECRUITMENT_STATUSES": RECRUITMENT_STATUSES,
       "COMMENT_STATUSES": COMMENT_STATUSES}
