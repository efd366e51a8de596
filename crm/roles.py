"""The three roles, as Django groups, and the checks views use to enforce them."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

MANAGERS = "Managers"
REPS = "Reps"
ADMINS = "Admins"
ALL_ROLES = (MANAGERS, REPS, ADMINS)


def has_role(user, *roles: str) -> bool:
    """Admins (and superusers) may do everything; others need one of the named groups."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    names = _group_names(user)
    return ADMINS in names or any(role in names for role in roles)


def is_manager(user) -> bool:
    return has_role(user, MANAGERS)


def is_admin(user) -> bool:
    return has_role(user)


def is_rep(user) -> bool:
    return user.is_authenticated and REPS in _group_names(user)


def _group_names(user) -> set[str]:
    cached = getattr(user, "_parley_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._parley_groups = cached
    return cached


def role_required(*roles: str) -> Callable:
    """Login first; then refuse (403) anyone who holds none of `roles` (Admins always pass)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def roles_context(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_manager": False, "is_rep": False, "is_admin": False}
    return {"is_manager": is_manager(user), "is_rep": is_rep(user), "is_admin": is_admin(user)}
