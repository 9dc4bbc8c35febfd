"""Alembic environment shared by every package; each package keeps its own revisions.

Revisions live beside the models they migrate (``sharing/migrations/``,
``alerts/migrations/``, ...), each package on its own Alembic branch
(``branch_labels``), so packages add tables without editing one another's
history. `veille.db.upgrade` applies every branch's head.
"""
