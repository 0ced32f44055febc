"""Django admin for tenant administrators, scoped to their own tenant.

Objects of another tenant are invisible (the queryset is scoped and row-level security backs it)
and their URLs answer 404. Every save and delete writes an AuditEvent in the same transaction;
Django's own admin LogEntry is not written, since it would copy object names out of the tenant.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.limits import NoControlCharacters
from pcns import permissions
from pcns.accounts import throttle, two_factor
from pcns.accounts.invitations import NotInvitable, invitation_send
from pcns.accounts.staff_forms import StaffChangeForm, StaffCreationForm
from pcns.models import (
    AuditEvent,
    IntakePause,
    Membership,
    Organisation,
    OrganisationKind,
    Team,
    TeamMembership,
    Tenant,
    User,
)
from pcns.services import audited_delete, audited_save, membership_sync_staff_flag

admin.site.site_header = "Community mental health: administration"
admin.site.site_title = "Administration"
admin.site.index_title = "Your place's organisations, teams and staff"


class NoLogEntryMixin:
    """No Django LogEntry (AuditEvent replaces it), and 404 for objects out of scope before
    any permission check, so another tenant's ids look exactly like missing ones."""

    def _object_or_404(self, request, object_id):
        if object_id and self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def log_addition(self, *args, **kwargs):
        return None

    def log_change(self, *args, **kwargs):
        return None

    def log_deletion(self, *args, **kwargs):
        return None

    def log_deletions(self, *args, **kwargs):
        return None


def _request_tenant_id(request):
    tenant = getattr(request, "tenant", None)
    return tenant.pk if tenant else None


def _save_audited_formset(request, formset) -> list:
    """Save an inline formset row by row through the audited services."""
    saved = formset.save(commit=False)
    for obj in formset.deleted_objects:
        audited_delete(instance=obj, actor=request.user)
    for obj in saved:
        if obj._state.adding:
            obj.tenant_id = _request_tenant_id(request)
        audited_save(instance=obj, actor=request.user, changed=[
            f.name for f in obj._meta.concrete_fields if f.name not in {"id", "tenant"}
        ])
    formset.save_m2m()
    return saved


class TypedTextMixin:
    """Every typed text of the admin refuses control characters, as the service's own forms
    do (a TextField's length limit comes with the model field)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.CharField) and not isinstance(field.widget,
                                                                 forms.PasswordInput):
            field.validators.append(NoControlCharacters(
                str(field.label), multiline=isinstance(db_field, models.TextField)))
        return field


def tenant_choices(related, request):
    """What a choice list of ``related`` may offer in the admin: the request's tenant's rows.

    Users belong to no tenant themselves (one sign-in, one membership), so they are offered only
    through a membership of this tenant; any other model that is not tenant-owned offers
    nothing, so a new relation cannot silently open a list of every tenant's rows.
    """
    tenant_id = _request_tenant_id(request)
    if related is Tenant:
        return Tenant.objects.filter(pk=tenant_id)
    if related is User:
        return User.objects.filter(membership__tenant_id=tenant_id)
    if any(f.name == "tenant" for f in related._meta.fields):
        return related._default_manager.filter(tenant_id=tenant_id)
    return related._default_manager.none()


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a relation that offers only the tenant's rows (Django's own lists every
    row of the related table, and users are not tenant-owned)."""

    def field_choices(self, field, request, model_admin):
        return sorted(((obj.pk, str(obj)) for obj in tenant_choices(field.related_model, request)),
                      key=lambda choice: choice[1].lower())


class TenantAccessMixin(TypedTextMixin):
    """Shared by model admins and inlines: tenant administrators only, rows and choices of the
    request's tenant only."""

    def _allowed(self, request) -> bool:
        return permissions.can_administer_tenant(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(tenant_id=_request_tenant_id(request))

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):  # inlines also pass the parent object
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = tenant_choices(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = tenant_choices(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class TenantScopedAdmin(TenantAccessMixin, NoLogEntryMixin, admin.ModelAdmin):
    """Base for tenant-owned models: scoped queryset, role-based access, audited writes."""

    def has_module_permission(self, request):
        return self._allowed(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not any(field.name == "tenant" for field in self.model._meta.fields):
            return form  # the tenant itself
        tenant_id = _request_tenant_id(request)

        class TenantForm(form):
            """Checks the model's rules that include the tenant (a team's name is unique in
            its tenant) as form errors: the tenant is not a field of the form, so Django's
            ModelForm would leave them out and the database would refuse the save (a 500)."""

            def _post_clean(self):
                if self.instance.tenant_id is None:
                    self.instance.tenant_id = tenant_id
                super()._post_clean()

            def _get_validation_exclusions(self):
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("tenant")
                return exclusions

        return TenantForm

    def get_list_filter(self, request):
        """Filters on relations offer the tenant's rows only, whatever a subclass lists."""
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, TenantRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def save_model(self, request, obj, form, change):
        if not change:
            obj.tenant_id = _request_tenant_id(request)
        changed = form.changed_data if change else None
        audited_save(instance=obj, actor=request.user, changed=changed)

    def delete_model(self, request, obj):
        audited_delete(instance=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audited_delete(instance=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        _save_audited_formset(request, formset)


class TenantScopedInline(TenantAccessMixin, admin.TabularInline):
    extra = 0


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """A tenant administrator may rename their own place; places are never added or deleted
    here (the platform team creates them)."""

    list_display = ["name", "slug"]
    readonly_fields = ["slug", "created_at"]

    def get_queryset(self, request):
        return Tenant.objects.filter(pk=_request_tenant_id(request))

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IntakePauseInline(TenantScopedInline):
    model = IntakePause
    fields = ["starts_on", "ends_on", "reason"]


@admin.register(Organisation)
class OrganisationAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "ods_code", "parent", "go_live_date"]
    list_filter = ["kind"]
    search_fields = ["name", "ods_code"]
    fields = ["name", "kind", "ods_code", "parent", "go_live_date"]
    inlines = [IntakePauseInline]

    def get_inlines(self, request, obj):
        return [IntakePauseInline] if obj and obj.kind == OrganisationKind.PCN else []


@admin.register(Team)
class TeamAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "host", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    fields = ["name", "kind", "host", "is_active"]


class TeamMembershipInline(TenantScopedInline):
    model = TeamMembership
    fields = ["team"]
    verbose_name = "team"
    verbose_name_plural = "teams"


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "role", "employer", "honorary_contract", "wte", "is_active"]
    list_filter = ["role", "honorary_contract", "is_active"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    fields = ["user", "role", "employer", "honorary_contract", "wte", "is_active"]
    inlines = [TeamMembershipInline]
    list_select_related = ["user", "employer"]

    # A membership's user is made with it on the staff account page (or by an import or an
    # invitation), never chosen from a list: users are not tenant-owned, and row-level security
    # hides other tenants' memberships, so "users without a membership" would list theirs too.
    readonly_fields = ["user"]

    def has_add_permission(self, request, *args):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        membership_sync_staff_flag(membership=obj)


class MembershipInline(TenantAccessMixin, admin.StackedInline):
    model = Membership
    fields = ["role", "employer", "honorary_contract", "wte", "is_active"]
    min_num = 1
    max_num = 1
    can_delete = False

    def has_delete_permission(self, request, obj=None):
        return False


class HiddenAdmin(admin.ModelAdmin):
    """Registered first so django-otp's own device admin (which would list every tenant's
    users) is not: devices are managed from the account page and the user actions below."""

    def has_module_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(TOTPDevice, HiddenAdmin)
admin.site.register(StaticDevice, HiddenAdmin)


@admin.register(User)
class UserAdmin(TypedTextMixin, NoLogEntryMixin, DjangoUserAdmin):
    """Staff accounts of this tenant. Tenant admins see only people with a membership here.

    Tenant administrators never set or see a password: a new account gets none and its owner
    is emailed an invitation to set one (pcns.accounts.invitations). Only a platform superuser,
    outside any tenant, has Django's password fields.
    """

    ordering = ["last_name", "first_name"]
    list_display = ["email", "first_name", "last_name", "is_active", "password_set", "two_factor"]
    search_fields = ["email", "first_name", "last_name"]
    list_filter = ["is_active"]
    form = StaffChangeForm
    add_form = StaffCreationForm
    fieldsets = [
        (None, {"fields": ["email"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name"]}),
    ]
    platform_fieldsets = [(None, {"fields": ["email", "password"]}), *fieldsets[1:]]
    platform_add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "first_name", "last_name", "password1", "password2"]}),
    ]
    inlines = [MembershipInline]
    actions = ["send_invitations", "reset_two_factor", "lift_sign_in_lockout"]

    @staticmethod
    def _platform(request) -> bool:
        return getattr(request, "tenant", None) is None

    @admin.display(boolean=True, description="Password set")
    def password_set(self, obj) -> bool:
        return obj.has_usable_password()

    def get_fieldsets(self, request, obj=None):
        if self._platform(request):
            return self.platform_add_fieldsets if obj is None else self.platform_fieldsets
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if self._platform(request):
            kwargs["form"] = AdminUserCreationForm if obj is None else UserChangeForm
        return super().get_form(request, obj, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        if not self._platform(request):
            raise Http404
        return super().user_change_password(request, id, form_url)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self._platform(request):
            actions.pop("send_invitations", None)
        return actions

    @admin.action(description="Send invitations to selected staff")
    def send_invitations(self, request, queryset):
        sent = skipped = 0
        for user in queryset.select_related("membership"):
            if user.has_usable_password() or not (user.is_active and user.membership.is_active):
                skipped += 1
                continue
            invitation_send(user=user, actor=request.user)
            sent += 1
        if sent:
            self.message_user(request, f"Invitation emailed to {sent} member"
                              f"{'' if sent == 1 else 's'} of staff. Earlier links no longer "
                              "work.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} not invited: they have already set a password, "
                              "or their account is inactive. Anyone who has forgotten their "
                              "password can reset it from the sign-in page.", messages.WARNING)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(
            two_factor_on=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        if request.user.is_superuser and getattr(request, "tenant", None) is None:
            return queryset
        tenant = getattr(request, "tenant", None)
        return queryset.filter(membership__tenant_id=tenant.pk if tenant else None)

    @admin.display(boolean=True, description="two-factor sign-in")
    def two_factor(self, obj) -> bool:
        return getattr(obj, "two_factor_on", False)

    @admin.action(description="Reset two-factor sign-in (they set it up again next time)")
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor.turn_off(user=user, actor=request.user,
                                note="two-factor sign-in reset by an administrator")
        self.message_user(request, f"Two-factor sign-in reset for {len(queryset)} people.",
                          messages.SUCCESS)

    @admin.action(description="Lift sign-in lockout")
    def lift_sign_in_lockout(self, request, queryset):
        lifted = 0
        for user in queryset:
            if throttle.account_locked(user_id=user.pk):
                two_factor.lift_lockout(user=user, actor=request.user)
                lifted += 1
        self.message_user(request, f"Sign-in lockout lifted for {lifted} people.",
                          messages.SUCCESS)

    def has_module_permission(self, request):
        return request.user.is_superuser or permissions.can_administer_tenant(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_module_permission
    has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if getattr(request, "tenant", None) is None:
            super().save_model(request, obj, form, change)
            return
        audited_save(
            instance=obj, actor=request.user, changed=form.changed_data if change else None
        )

    def save_formset(self, request, form, formset, change):
        for membership in _save_audited_formset(request, formset):
            membership_sync_staff_flag(membership=membership)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not self._platform(request):
            # The membership (and so the tenant) exists now: the new account can be invited.
            try:
                invitation_send(user=form.instance, actor=request.user)
            except NotInvitable:
                self.message_user(request, "No invitation was sent, because the account is not "
                                  "active. Make it active, then use \u201cSend invitations to "
                                  "selected staff\u201d on the staff list.", messages.WARNING)
                return
            self.message_user(request, f"An invitation to set a password has been emailed to "
                              f"{form.instance.email}.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["at", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type", "actor"]
    search_fields = ["target_id", "actor_label"]
    date_hierarchy = "at"
    readonly_fields = ["at", "actor", "actor_label", "action", "target_type", "target_id",
                       "fields", "note"]

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_audit_log(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

# Single sign-on set-up lives beside its code.
from pcns.accounts import oidc_admin  # noqa: E402, F401
