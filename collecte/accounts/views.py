from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collecte.web.forms import ApiTokenForm

from .forms import EmailLoginForm
from .models import ApiToken
from .passwords import send_password_link


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        send_password_link(form, self.request)
        return HttpResponseRedirect(self.get_success_url())


@login_required
def profile(request):
    form = ApiTokenForm()
    new_key = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _token, new_key = ApiToken.issue(request.user, form.cleaned_data["name"])
            form = ApiTokenForm()
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    # The key is rendered once, in this response only; it is never stored or shown again.
    return render(request, "accounts/profile.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def revoke_token(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.revoke()
    messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
    return redirect("profile")
