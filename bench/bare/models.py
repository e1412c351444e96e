from django.db import models


class Entry(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    comment = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Declared because the type checker reads the site's settings, where this app is not.
    objects: "models.Manager[Entry]" = models.Manager()

    class Meta:
        app_label = "bare"

    def __str__(self) -> str:
        return self.name
