"""SQLAlchemy models: the database is the source of truth for every flow.

Import `Base` and the model classes from here; Alembic reads `Base.metadata`.
"""
from models.base import Base
from models.people import Person, Staff
from models.claims import Claim, Delivery, ExpenseLine, Payment, PaymentRun
from models.audit import AuditHead, AuditRecord
from models.outbox import LinkToken, OutboxEmail

__all__ = [
    "Base", "Person", "Staff", "Claim", "Delivery", "ExpenseLine", "Payment", "PaymentRun",
    "AuditHead", "AuditRecord", "LinkToken", "OutboxEmail",
]
