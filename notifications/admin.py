from django.contrib import admin

from notifications.models import Milestone, Notification, Preference


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["membership", "digest", "milestones", "each_verified", "language"]
    raw_id_fields = ["membership"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["letter", "count", "is_goal", "reached_at"]
    raw_id_fields = ["letter"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "membership", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["membership", "milestone", "signature"]
    readonly_fields = ["counts", "last_error"]
