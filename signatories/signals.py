"""Events that signatories announces to the apps above it, which it must not import.

Sent after the transaction commits; receivers are connected in the ``ready()`` of the
app that listens (embeds draws a share card at milestones, for instance).
"""

from django.dispatch import Signal

# A confirmation moved the public count. Arguments: letter_id, and total, the new count,
# or None when it was not known without a read (the receiver reads it if it needs it).
count_increased = Signal()
