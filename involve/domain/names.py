"""The names people read for the codes the data uses (boroughs), in one place. Pages that ask a
question may word an answer differently (involve/web/claim_fields.py), but every report, email and
list names a borough with these."""
from __future__ import annotations

from involve.domain.languages import N_

BOROUGH_NAMES = {
    "barking_dagenham": N_("Barking and Dagenham"),
    "havering": N_("Havering"),
    "redbridge": N_("Redbridge"),
    "waltham_forest": N_("Waltham Forest"),
    "trust_wide": N_("Trust-wide"),
}
