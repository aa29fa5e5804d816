"""contact_email_lower: contacts are looked up by e-mail case-insensitively

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_contact_email_lower', 'contact', [sa.text('lower(email)')], unique=False)


def downgrade():
    op.drop_index('ix_contact_email_lower', table_name='contact')
