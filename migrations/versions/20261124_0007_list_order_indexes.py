"""lower-case name and e-mail indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 04:55:00

The agreement, partner and contact lists and the partner drop-downs are ordered by the lower-cased name and the
id; at 50,000 agreements, 100,000 partners and 300,000 contacts sorting every row for each page cost tens of
milliseconds per request. These expression indexes give the pages in order. Contacts are also found by their
lower-cased e-mail address (a user's own networks in the personal feed, the contact import): the last index
turns that scan of every contact into a lookup. They are written by hand and left out of autogenerate
comparisons (core.database.UNMANAGED_PREFIXES): SQLite cannot reflect expression indexes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = (("ix_agreement_name_fi_lower", "agreement", "name_fi", True),
           ("ix_partner_name_fi_lower", "partner", "name_fi", True), ("ix_contact_name_lower", "contact", "name", True),
           ("ix_contact_email_lower", "contact", "email", False))


def upgrade():
    for name, table, column, with_id in INDEXES:
        op.create_index(name, table, [sa.text(f"lower({column})")] + (["id"] if with_id else []), unique=False)


def downgrade():
    for name, table, _column, _with_id in reversed(INDEXES):
        op.drop_index(name, table_name=table)
