"""Sectors offered when creating a client folder: the 21 sections of the French NAF rév. 2 (= NACE rév. 2)."""
from django.utils.translation import gettext_lazy as _

NAF_SECTIONS = [
    ("A", _("Agriculture, sylviculture et pêche")),
    ("B", _("Industries extractives")),
    ("C", _("Industrie manufacturière")),
    ("D", _("Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné")),
    ("E", _("Production et distribution d'eau ; assainissement, gestion des déchets et dépollution")),
    ("F", _("Construction")),
    ("G", _("Commerce ; réparation d'automobiles et de motocycles")),
    ("H", _("Transports et entreposage")),
    ("I", _("Hébergement et restauration")),
    ("J", _("Information et communication")),
    ("K", _("Activités financières et d'assurance")),
    ("L", _("Activités immobilières")),
    ("M", _("Activités spécialisées, scientifiques et techniques")),
    ("N", _("Activités de services administratifs et de soutien")),
    ("O", _("Administration publique")),
    ("P", _("Enseignement")),
    ("Q", _("Santé humaine et action sociale")),
    ("R", _("Arts, spectacles et activités récréatives")),
    ("S", _("Autres activités de services")),
    ("T", _("Activités des ménages en tant qu'employeurs")),
    ("U", _("Activités extra-territoriales")),
]
