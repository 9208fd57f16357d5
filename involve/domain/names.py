"""The names people read for the codes the data uses (boroughs), in one place. Pages that ask a
question may word an answer differently (involve/web/claim_fields.py), but every report, email and
list names a borough with these."""
from __future__ import annotations

BOROUGH_NAMES = {
    "barking_dagenham": "Barking and Dagenham",
    "havering": "Havering",
    "redbridge": "Redbridge",
    "waltham_forest": "Waltham Forest",
    "trust_wide": "Trust-wide",
}
