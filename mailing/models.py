from django.db import models


class SuppressedAddress(models.Model):
    """An address that asked never to be emailed again, honoured by every outgoing mail.

    Only a keyed hash of the normalised address is kept (mailing.addresses.address_hash):
    the list itself gives no one the addresses on it.
    """

    address_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "suppressed addresses"

    def __str__(self) -> str:
        return f"suppressed {self.address_hash[:12]}…"
