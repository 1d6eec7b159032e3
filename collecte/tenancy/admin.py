from django.contrib import admin

from .models import ClientFolder, Firm, FolderMember, IntakeAddress, Invitation, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "base_currency", "language", "timezone", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class FolderMemberInline(admin.TabularInline):
    model = FolderMember
    fk_name = "folder"
    extra = 0
    autocomplete_fields = ["user"]
    exclude = ["added_by"]


class IntakeAddressInline(admin.TabularInline):
    model = IntakeAddress
    extra = 0
    fields = ["module", "member", "slug", "token", "created_at", "retired_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(ClientFolder)
class ClientFolderAdmin(admin.ModelAdmin):
    list_display = ["name", "firm", "sector", "base_currency", "created_at"]
    list_filter = ["firm"]
    search_fields = ["name", "firm__name"]
    filter_horizontal = ["collaborators", "forwarding_collaborators"]
    inlines = [FolderMemberInline, IntakeAddressInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "member", "created_at", "expires_at", "accepted_at", "revoked_at"]
    search_fields = ["email"]
    exclude = ["nonce"]
    readonly_fields = ["member", "email", "phone", "invited_by", "sent_at", "send_count", "accepted_at"]
