"""`collecte demo [--json]`: a demo firm with two client folders and one user per role, created idempotently."""
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from collecte.accounts.models import ApiToken
from collecte.tenancy import actions
from collecte.tenancy.models import ClientFolder, Firm, FolderMember, Membership

User = get_user_model()
FIRM_NAME = "Cabinet Démo"
FOLDERS = [("Boulangerie Martin", "C"), ("Garage du Centre", "G")]
# The demo companies' own ids (valid check digits), so extraction knows which side of an invoice they are on.
COMPANY_IDS = [{"siren": "732829320", "vat_id": "FR44732829320", "iban": "FR7630006000011234567890189"},
               {"siren": "552100554", "vat_id": "FR96552100554", "iban": ""}]
# (role, email, password, first name, last name, folders by index)
PEOPLE = [
    ("owner", "owner@cabinet-demo.example", "demo-owner-2026", "Odile", "Roux", [0, 1]),
    ("collaborator", "collaborator@cabinet-demo.example", "demo-collab-2026", "Claire", "Lefèvre", [0]),
    ("admin", "admin@boulangerie-demo.example", "demo-admin-2026", "Alain", "Martin", [0]),
    ("approver", "approver@boulangerie-demo.example", "demo-approver-2026", "Agnès", "Petit", [0]),
    ("standard", "standard@boulangerie-demo.example", "demo-standard-2026", "Samuel", "Durand", [0]),
]
API_TOKEN_NAME = "demo"


class Command(BaseCommand):
    help = "Create (idempotently) a demo firm with two client folders and one user per role, and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the logins as one JSON object")

    def handle(self, *args, **options):
        with transaction.atomic():
            data = build_demo()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(data))


def build_demo():
    firm, _ = Firm.objects.get_or_create(name=FIRM_NAME)
    users = {role: _user(email, password, first, last) for role, email, password, first, last, _ in PEOPLE}
    owner = Membership.objects.get_or_create(firm=firm, user=users["owner"], defaults={"role": "owner"})[0]
    collaborator = Membership.objects.get_or_create(firm=firm, user=users["collaborator"],
                                                    defaults={"role": "collaborator"})[0]
    folders = []
    for name, sector in FOLDERS:
        folder = ClientFolder.objects.filter(firm=firm, name=name).first()
        folder = folder or actions.create_client_folder(owner, name, sector)
        ids = COMPANY_IDS[len(folders)]
        if not (folder.siren or folder.vat_id or folder.iban):  # never undo what someone set since
            ClientFolder.objects.filter(pk=folder.pk).update(**ids)
        folders.append(folder)
    folders[0].collaborators.add(collaborator)
    _sample_invoices(folders[0])
    for role in ("admin", "approver", "standard"):
        _folder_member(folders[0], users[role], role, owner.user)
    from collecte.ledger.demo import seed_ledger

    statement = seed_ledger(ClientFolder.objects.get(pk=folders[0].pk), users["admin"])
    out_users = []
    for role, email, password, *_rest, indexes in PEOPLE:
        user = users[role]
        ApiToken.objects.filter(user=user, name=API_TOKEN_NAME).delete()  # the previous run's token stops working
        _, raw = ApiToken.issue(user, API_TOKEN_NAME)
        out_users.append({"email": email, "password": password, "role": role,
                          "folder_ids": [folders[i].pk for i in indexes], "api_token": raw})
    return {
        "url": settings.BASE_URL,
        "users": out_users,
        "folders": [{"id": f.pk, "name": f.name, "addresses": {a.module: a.email for a in f.folder_addresses()},
                     **({"sample_statement": str(statement)} if f.pk == folders[0].pk else {})}
                    for f in folders],
    }


# Two supplier invoices waiting in the first folder's review queue, so that the review screen has something to show
# on a new machine. Drawn as text PDFs (collecte.lib.textpdf); read by the worker like any upload.
SAMPLES = [
    ("facture-PL-2026-0457.pdf", """Papeterie Lumière SARL
14 rue de la Paix, 75002 Paris
TVA intracom. : FR40303265045
IBAN : FR14 2004 1010 0505 0001 3M02 606

Facturé à : Boulangerie Martin

FACTURE
Facture n° : PL-2026-0457
Date de facture : 02/11/2026
Date d'échéance : 02/12/2026

Ramettes de papier A4 x 40          180,00 €
Cartouches d'encre x 6              234,00 €

Total HT : 414,00 €
TVA 20 % : 82,80 €
Total TTC : 496,80 €
"""),
    ("minoterie-F26-1187.pdf", """Minoterie du Val SAS
Moulin du Val, 21000 Dijon
TVA intracom. : FR96552100554

Facturé à : Boulangerie Martin

FACTURE
Facture n° : F26-1187
Date de facture : 05/11/2026
Conditions de paiement : 30 jours

Farine T65, 25 sacs de 25 kg        812,50 €

Total HT : 812,50 €
TVA 5,5 % : 44,69 €
Total TTC : 857,19 €
"""),
]


def _sample_invoices(folder):
    from collecte.intake.models import InboundMessage
    from collecte.intake.receive import accept_file
    from collecte.lib.textpdf import text_to_pdf

    if InboundMessage.objects.filter(folder=folder).exists():
        return  # never twice, and never into a folder someone already uses
    for filename, text in SAMPLES:
        accept_file(folder, "purchases", filename, text_to_pdf(text))


def _user(email, password, first, last):
    user = User.objects.filter(email=email).first() or User(email=email)
    user.first_name, user.last_name, user.is_active = first, last, True
    if not user.pk or not user.check_password(password):
        user.set_password(password)
    user.save()
    return user


def _folder_member(folder, user, role, added_by):
    member = FolderMember.objects.filter(folder=folder, user=user).first()
    if member is None:
        # The standard user may create expense reports, so that the approval flow can be tried from the demo.
        member = FolderMember.objects.create(folder=folder, user=user, role=role, added_by=added_by,
                                             employee_code=f"E-{role[:3].upper()}",
                                             can_self_submit_expenses=role == "standard")
    elif member.role != role or member.removed_at:
        member.role, member.removed_at = role, None
        member.save()
    if member.personal_address() is None:
        actions._create_address(folder, "personal", member)
    return member


def render_text(data):
    lines = ["", "collecte demo is ready.", f"  Open {data['url']}/ and log in with one of these:", ""]
    for u in data["users"]:
        lines.append(f"  {u['role']:<13} {u['email']:<36} password: {u['password']}")
    lines += ["", "  API tokens (Authorization: Bearer <token>), e.g. "
              f"curl -H 'Authorization: Bearer {data['users'][0]['api_token']}' {data['url']}/api/v1/folders", ""]
    for u in data["users"]:
        lines.append(f"  {u['role']:<13} {u['api_token']}")
    for f in data["folders"]:
        lines += ["", f"  Folder {f['id']} — {f['name']}:"]
        lines += [f"    {module:<16} {email}" for module, email in f["addresses"].items()]
    first = data["folders"][0]["addresses"]["purchases"]
    lines += ["", "  Send an invoice to a folder (the SMTP listener of `collecte serve`):",
              f"    swaks --server 127.0.0.1:{settings.SMTP_PORT} --to {first} --attach @facture.pdf",
              "", f"  A bank statement that pays the demo sale FA-2026-0042 (Banque → Compte courant → import it,",
              f"  then Rapprochement): {data['folders'][0]['sample_statement']}"]
    return "\n".join(lines) + "\n"
