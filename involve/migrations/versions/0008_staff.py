"""staff side: away dates and delegate, server-side staff sessions, single-use sign-in links;
register: religion, sexual orientation and the person's own preferences (carer: 0005)

Revision ID: 0008
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff') as b:
        b.add_column(sa.Column('away_from', sa.Date(), nullable=True))
        b.add_column(sa.Column('away_to', sa.Date(), nullable=True))
        b.add_column(sa.Column('away_delegate', sa.String(length=320), nullable=True))
    with op.batch_alter_table('people') as b:
        b.add_column(sa.Column('religion', sa.String(length=40), nullable=True))
        b.add_column(sa.Column('sexual_orientation', sa.String(length=40), nullable=True))
        b.add_column(sa.Column('access_needs', sa.Text(), nullable=True))
        b.add_column(sa.Column('availability_note', sa.Text(), nullable=True))
        b.add_column(sa.Column('preferred_format', sa.String(length=40), nullable=True))
    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_email', sa.String(length=320), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')))
    op.create_index(op.f('ix_staff_sessions_staff_email'), 'staff_sessions', ['staff_email'], unique=False)
    op.create_table('staff_sign_in_links',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_email', sa.String(length=320), nullable=False),
    sa.Column('browser', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sign_in_links')))


def downgrade() -> None:
    op.drop_table('staff_sign_in_links')
    op.drop_index(op.f('ix_staff_sessions_staff_email'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
    with op.batch_alter_table('people') as b:
        for c in ('preferred_format', 'availability_note', 'access_needs', 'sexual_orientation', 'religion'):
            b.drop_column(c)
    with op.batch_alter_table('staff') as b:
        for c in ('away_delegate', 'away_to', 'away_from'):
            b.drop_column(c)
