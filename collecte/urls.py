from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from collecte.accounts import views as accounts
from collecte.api.urls import api
from collecte.web.views import (banking, counterparties, documents, firm, folders, forecast, health, invitations,
                                invoice_entry, invoices, members, messages, outbox, wizard)
from collecte.web.views import imap as imap_views

auth_patterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html"), name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"), name="password_reset_complete"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", accounts.revoke_token, name="token-revoke"),
]

web_patterns = [
    path("", folders.home, name="home"),
    path("clients/", folders.folder_list, name="folder-list"),
    path("clients/new/", wizard.start, name="folder-wizard-start"),
    path("clients/new/<slug:step>/", wizard.step, name="folder-wizard"),
    path("folders/<int:folder_id>/", folders.folder_detail, name="folder-detail"),
    path("folders/<int:folder_id>/settings/", folders.folder_settings, name="folder-settings"),
    path("folders/<int:folder_id>/addresses/<int:address_id>/regenerate/", folders.regenerate_address,
         name="address-regenerate"),
    path("folders/<int:folder_id>/users/", members.member_list, name="member-list"),
    path("folders/<int:folder_id>/users/add/", members.member_add, name="member-add"),
    path("folders/<int:folder_id>/users/<int:member_id>/", members.member_manage, name="member-manage"),
    path("folders/<int:folder_id>/users/<int:member_id>/remove/", members.member_remove, name="member-remove"),
    path("folders/<int:folder_id>/users/<int:member_id>/invite/", members.member_reinvite, name="member-reinvite"),
    path("invitations/<int:invitation_id>/revoke/", members.invitation_revoke, name="invitation-revoke"),
    path("invitations/<str:token>/", invitations.accept, name="invitation-accept"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("firm/", firm.firm_page, name="firm"),
    path("healthz", health.healthz, name="healthz"),
    path("folders/<int:folder_id>/messages/", messages.message_log, name="folder-messages"),
    path("folders/<int:folder_id>/upload/", documents.upload, name="folder-upload"),
    path("folders/<int:folder_id>/upload/done/", documents.upload_done, name="upload-done"),
    path("messages/<int:message_id>/", messages.message_detail, name="message-detail"),
    path("messages/<int:message_id>/raw/", messages.message_raw, name="message-raw"),
    path("messages/<int:message_id>/retry/", messages.message_retry, name="message-retry"),
    path("messages/<int:message_id>/release/", messages.message_release, name="message-release"),
    path("documents/<int:document_id>/file/", documents.document_file, name="document-file"),
    path("documents/<int:document_id>/unlock/", documents.document_unlock, name="document-unlock"),
    path("documents/<int:document_id>/correct/", documents.document_correct, name="document-correct"),
    path("folders/<int:folder_id>/review/", invoices.review_queue, name="review-queue"),
    path("folders/<int:folder_id>/invoices/", invoices.invoice_list, name="invoice-list"),
    path("folders/<int:folder_id>/invoices/new/", invoice_entry.invoice_new, name="invoice-new"),
    path("folders/<int:folder_id>/invoices/import/", invoice_entry.invoice_import, name="invoice-import"),
    path("folders/<int:folder_id>/invoices/attach/", invoice_entry.invoice_attach, name="invoice-attach"),
    path("folders/<int:folder_id>/counterparties/", counterparties.counterparty_list, name="counterparty-list"),
    path("folders/<int:folder_id>/forecast/", forecast.forecast_page, name="folder-forecast"),
    path("folders/<int:folder_id>/bank/", banking.bank_accounts, name="bank-accounts"),
    path("bank-accounts/<int:account_id>/", banking.bank_account, name="bank-account"),
    path("folders/<int:folder_id>/counterparties/options/", invoices.counterparty_options,
         name="counterparty-options"),
    path("counterparties/<int:counterparty_id>/", counterparties.counterparty_detail, name="counterparty-detail"),
    path("invoices/<int:invoice_id>/review/", invoices.invoice_review, name="invoice-review"),
    path("invoices/<int:invoice_id>/duplicate/", invoices.invoice_duplicate, name="invoice-duplicate"),
    path("invoices/<int:invoice_id>/delete/", invoices.invoice_delete, name="invoice-delete"),
    path("invoices/<int:invoice_id>/reopen/", invoices.invoice_reopen, name="invoice-reopen"),
    path("documents/<int:document_id>/pages/<int:number>.png", invoices.document_page, name="document-page"),
    path("folders/<int:folder_id>/imap/", imap_views.imap_list, name="imap-list"),
    path("folders/<int:folder_id>/imap/add/", imap_views.imap_add, name="imap-add"),
    path("folders/<int:folder_id>/imap/<int:mailbox_id>/", imap_views.imap_edit, name="imap-edit"),
    path("folders/<int:folder_id>/imap/<int:mailbox_id>/test/", imap_views.imap_test, name="imap-test"),
    path("folders/<int:folder_id>/imap/<int:mailbox_id>/poll/", imap_views.imap_poll, name="imap-poll"),
    path("folders/<int:folder_id>/imap/<int:mailbox_id>/delete/", imap_views.imap_delete, name="imap-delete"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    *auth_patterns,
    *web_patterns,
]
