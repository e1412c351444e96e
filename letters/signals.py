"""Events that letters announce to the apps above it, which it must not import.

Sent by the services after the transaction commits; receivers are connected in the
``ready()`` of the app that listens (embeds draws a share card, for instance).
"""

from django.dispatch import Signal

# A draft became public. Arguments: letter_id.
letter_published = Signal()
