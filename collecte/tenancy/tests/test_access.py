"""Who sees which folder, and what they may do there: the one access module every view goes through."""
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from collecte.tenancy import access, actions
from collecte.tenancy.models import FolderMember, Membership


def names(queryset):
    return sorted(f.name for f in queryset)


def test_it_shows_the_owner_every_folder_of_the_firm(world):
    assert names(access.visible_folders(world.owner)) == ["Boulangerie Martin", "Garage du Centre"]


def test_it_shows_a_collaborator_only_the_assigned_folders(world):
    assert names(access.visible_folders(world.collaborator)) == ["Boulangerie Martin"]


def test_it_shows_an_unassigned_collaborator_nothing(world):
    assert names(access.visible_folders(world.unassigned)) == []


@pytest.mark.parametrize("persona", ["admin", "approver", "standard"])
def test_it_shows_folder_users_only_their_folder(world, persona):
    assert names(access.visible_folders(getattr(world, persona))) == ["Boulangerie Martin"]


def test_it_shows_the_outsider_none_of_the_firms_folders(world):
    assert names(access.visible_folders(world.outsider)) == ["Beta Client"]


def test_it_shows_anonymous_and_inactive_users_nothing(world):
    assert not access.visible_folders(AnonymousUser()).exists()
    world.admin.is_active = False
    world.admin.save()
    assert not access.visible_folders(world.admin).exists()
    assert access.folder_access(world.admin, world.folder) is None


def test_it_lists_a_folder_once_for_someone_who_is_both_staff_and_member(world):
    FolderMember.objects.create(folder=world.folder, user=world.owner, role="standard")
    assert names(access.visible_folders(world.owner)) == ["Boulangerie Martin", "Garage du Centre"]


def test_it_gives_no_access_to_the_outsider_or_unassigned_collaborator(world):
    assert access.folder_access(world.outsider, world.folder) is None
    assert access.folder_access(world.unassigned, world.folder) is None
    assert access.folder_access(world.collaborator, world.other_folder) is None
    assert access.folder_access(world.admin, world.other_folder) is None
    assert access.folder_access(world.owner, world.outsider_folder) is None


@pytest.mark.parametrize("persona, can_manage, can_see_all, is_owner", [
    ("owner", True, True, True),
    ("collaborator", True, True, False),
    ("admin", True, True, False),
    ("approver", False, True, False),
    ("standard", False, False, False),
])
def test_it_grants_rights_per_role(world, persona, can_manage, can_see_all, is_owner):
    result = access.folder_access(getattr(world, persona), world.folder)
    assert result is not None
    assert result.can_manage is can_manage
    assert result.can_see_all_documents is can_see_all
    assert result.can_approve_expenses is can_see_all
    assert result.is_firm_owner is is_owner


def test_it_labels_the_role_in_french(world):
    assert access.folder_access(world.owner, world.folder).role_label == "Responsable du cabinet"
    assert access.folder_access(world.collaborator, world.folder).role_label == "Collaborateur"
    assert access.folder_access(world.approver, world.folder).role_label == "Approbateur de dépenses"


def test_it_takes_access_away_from_a_removed_member(world):
    actions.remove_member(world.admin_member)
    assert access.folder_access(world.admin, world.folder) is None
    assert not access.visible_folders(world.admin).exists()
    assert not access.manageable_folders(world.admin).exists()
    assert FolderMember.objects.filter(pk=world.admin_member.pk).exists()


def test_it_takes_access_away_from_a_collaborator_no_longer_assigned(world):
    world.folder.collaborators.remove(world.collab_membership)
    assert access.folder_access(world.collaborator, world.folder) is None


def test_it_gives_a_collaborator_promoted_to_owner_every_folder(world):
    world.collab_membership.role = Membership.Role.OWNER
    world.collab_membership.save()
    assert names(access.visible_folders(world.collaborator)) == ["Boulangerie Martin", "Garage du Centre"]


def test_it_raises_404_for_outsiders_and_403_for_lower_roles_asking_to_manage(world):
    with pytest.raises(Http404):
        access.get_folder_access(world.outsider, world.folder.pk)
    with pytest.raises(Http404):
        access.get_folder_access(world.unassigned, world.folder.pk)
    with pytest.raises(Http404):
        access.get_folder_access(world.owner, 999999)
    with pytest.raises(PermissionDenied):
        access.get_folder_access(world.standard, world.folder.pk, manage=True)
    with pytest.raises(PermissionDenied):
        access.get_folder_access(world.approver, world.folder.pk, manage=True)
    assert access.get_folder_access(world.admin, world.folder.pk, manage=True).member == world.admin_member


def test_it_finds_folder_users_only_within_the_managed_folder(world):
    outsider_member = FolderMember.objects.create(folder=world.outsider_folder, user=world.standard)
    with pytest.raises(Http404):
        access.get_member_for_manager(world.owner, world.folder.pk, outsider_member.pk)
    with pytest.raises(Http404):
        access.get_member_for_manager(world.outsider, world.outsider_folder.pk, world.admin_member.pk)
    _access, member = access.get_member_for_manager(world.admin, world.folder.pk, world.standard_member.pk)
    assert member == world.standard_member


def test_it_lists_manageable_folders_per_persona(world):
    assert names(access.manageable_folders(world.owner)) == ["Boulangerie Martin", "Garage du Centre"]
    assert names(access.manageable_folders(world.collaborator)) == ["Boulangerie Martin"]
    assert names(access.manageable_folders(world.admin)) == ["Boulangerie Martin"]
    assert names(access.manageable_folders(world.approver)) == []
    assert names(access.manageable_folders(world.standard)) == []
    assert names(access.manageable_folders(world.unassigned)) == []


def test_it_requires_firm_staff_to_create_folders(world):
    assert access.require_firm_staff(world.owner) == world.owner_membership
    assert access.require_firm_staff(world.unassigned) == world.unassigned_membership
    for persona in (world.admin, world.approver, world.standard):
        with pytest.raises(Http404):
            access.require_firm_staff(persona)
