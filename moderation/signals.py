"""Events that moderation announces to the apps above it, which it must not import.

Sent after the transaction commits; receivers are connected in the ``ready()`` of the
app that listens (notifications emails the organizers who asked, for instance).
"""

from django.dispatch import Signal

# An organizer marked a signatory as verified who was not before. Arguments:
# signature_id, letter_id.
signatory_verified = Signal()
