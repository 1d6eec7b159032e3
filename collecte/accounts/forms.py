from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import ratelimit


class EmailLoginForm(AuthenticationForm):
    """Email and password, with a rate limit on failures."""

    username = forms.EmailField(label=_("Adresse email"), widget=forms.EmailInput(attrs={"autofocus": True,
                                                                                          "autocomplete": "email"}))
    error_messages = {
        "invalid_login": _("Email ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé."),
        "rate_limited": _("Trop de tentatives de connexion. Réessayez dans quelques minutes, ou réinitialisez "
                          "votre mot de passe."),
    }

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        password = self.cleaned_data.get("password")
        ip = ratelimit.client_ip(self.request) if self.request else ""
        if email and password:
            if ratelimit.is_blocked(email, ip):
                raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
            self.user_cache = authenticate(self.request, username=email, password=password)
            if self.user_cache is None:
                ratelimit.record_failure(email, ip)
                raise self.get_invalid_login_error()
            ratelimit.clear(email)
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
