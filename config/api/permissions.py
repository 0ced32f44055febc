"""Default API permission: a signed-in user with an active membership of a tenant.

DRF authenticates inside the view (token or session), after the middleware has run, so this is
also where an API request gets its tenant context.
"""

from rest_framework.permissions import BasePermission

from pcns.tenancy import activate_for_request


class IsTenantMember(BasePermission):
    message = "Sign in with an account that belongs to a team or organisation."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        membership = activate_for_request(request._request, user)
        request.membership = membership
        return membership is not None
