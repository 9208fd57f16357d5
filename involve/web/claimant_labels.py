"""Words on the claimant's own pages ("Your claims"): their claim's status and its kinds of cost, in
their language. Marked here (babel.cfg) so `make messages` puts them in the people's catalogue;
`involve/web/labels.py` holds the staff pages' words (English, staff.pot)."""
from __future__ import annotations

from involve.domain.languages import N_

STATUSES = {"awaiting_confirmation": N_("Waiting for you to confirm"), "submitted": N_("Received"),
            "awaiting_approval": N_("Waiting for approval"),
            "awaiting_second_approval": N_("Waiting for a second approval"), "approved": N_("Approved"),
            "paid": N_("Paid"), "rejected": N_("Not approved"), "needs_information": N_("We need more information"),
            "withdrawn": N_("Withdrawn"), "payment_failed": N_("Payment failed")}
EXPENSES = {"public_transport": N_("Bus, train or tube fares"), "mileage": N_("Travel by car or bicycle (mileage)"),
            "taxi": N_("Taxi"), "parking": N_("Parking"), "carer": N_("Paying a carer"),
            "childcare": N_("Childcare"), "subsistence": N_("Food and drink"),
            "support": N_("Support, like an interpreter or BSL"), "other": N_("Something else")}
