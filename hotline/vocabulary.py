"""The domain glossary as code: services, target groups, levels, roles… named in code, labelled in the UI's language."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    """What a person may do; each role includes the ones before it.

    A station account (a member of a station or organisation) comes first: it may
    reach only the station pages, where each order is checked against its unit.
    """

    STATION = "station"
    WORKER = "worker"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Return the role's place in the hierarchy (worker lowest)."""
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        """Return whether this role may do what `other` may."""
        return self.rank >= other.rank


class Service(StrEnum):
    """What a caller asks for."""

    INFO = "info"
    NEEDS = "needs"
    EMOTIONAL = "emotional"
    RESOURCES = "resources"
    CRISIS = "crisis"
    LISTENING = "listening"
    FAMILY = "family"


class Method(StrEnum):
    """The three social-work methods a referral may lead to."""

    CASE = "case"
    GROUP = "group"
    COMMUNITY = "community"


class TargetGroup(StrEnum):
    """Who the caller (or the person they call about) is."""

    ELDERLY_ALONE = "elderly_alone"
    ELDERLY_EMPTY_NEST = "elderly_empty_nest"
    ELDERLY_EXTREME_POVERTY = "elderly_extreme_poverty"
    CHILDREN_IN_DIFFICULTY = "children_in_difficulty"
    LEFT_BEHIND_CHILDREN = "left_behind_children"
    DISABILITY = "disability"
    DIBAO = "dibao"
    VETERANS = "veterans"
    BEREAVED_ONLY_CHILD = "bereaved_only_child"
    MIGRANTS = "migrants"
    OTHER = "other"


class CertificationLevel(StrEnum):
    """Social-work qualification levels, lowest first."""

    ASSISTANT = "assistant"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"


class StationTier(StrEnum):
    """The three tiers of the station network."""

    DISTRICT_CENTRE = "district_centre"
    STATION = "station"
    ROOM = "room"


class AreaLevel(StrEnum):
    """Levels of the division tree."""

    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


class ExpertSkill(StrEnum):
    """Skills of expert volunteers and workers, used to route and escalate."""

    LEGAL = "legal"
    PSYCHOLOGY = "psychology"
    SOCIAL_WORK = "social_work"
    MEDICAL = "medical"
    FAMILY_EDUCATION = "family_education"
    ELDER_CARE = "elder_care"
    CRISIS = "crisis"


class OrganisationKind(StrEnum):
    """The parties of the five-party linkage (五社联动) an organisation belongs to."""

    COMMUNITY = "community"
    SOCIAL_ORGANISATION = "social_organisation"
    CHARITY_RESOURCE = "charity_resource"
    VOLUNTEER_TEAM = "volunteer_team"


class VolunteerSkill(StrEnum):
    """What an ordinary community volunteer can do (experts' skills are ExpertSkill)."""

    HOME_VISIT = "home_visit"
    COMPANIONSHIP = "companionship"
    ERRANDS = "errands"
    TUTORING = "tutoring"
    ELDER_CARE = "elder_care"
    TRANSPORT = "transport"
    REPAIRS = "repairs"
    FIRST_AID = "first_aid"


class Risk(StrEnum):
    """Risk assessed at intake, lowest first."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    IMMINENT = "imminent"


_LABELS: tuple[tuple[StrEnum, object], ...] = (
    (Role.STATION, _l("Station member")),
    (Role.WORKER, _l("Duty worker")),
    (Role.SUPERVISOR, _l("Supervisor")),
    (Role.MANAGER, _l("Manager")),
    (Role.ADMIN, _l("Administrator")),
    (Service.INFO, _l("Information")),
    (Service.NEEDS, _l("Needs collection")),
    (Service.EMOTIONAL, _l("Emotional support")),
    (Service.RESOURCES, _l("Resource linking")),
    (Service.CRISIS, _l("Crisis intervention")),
    (Service.LISTENING, _l("Listening")),
    (Service.FAMILY, _l("Family education")),
    (Method.CASE, _l("Casework")),
    (Method.GROUP, _l("Group work")),
    (Method.COMMUNITY, _l("Community work")),
    (TargetGroup.ELDERLY_ALONE, _l("Elderly living alone")),
    (TargetGroup.ELDERLY_EMPTY_NEST, _l("Empty-nest elderly")),
    (TargetGroup.ELDERLY_EXTREME_POVERTY, _l("Elderly in extreme poverty")),
    (TargetGroup.CHILDREN_IN_DIFFICULTY, _l("Children in difficulty")),
    (TargetGroup.LEFT_BEHIND_CHILDREN, _l("Left-behind children")),
    (TargetGroup.DISABILITY, _l("People with disabilities")),
    (TargetGroup.DIBAO, _l("Dibao / low-income households")),
    (TargetGroup.VETERANS, _l("Veterans")),
    (TargetGroup.BEREAVED_ONLY_CHILD, _l("Families bereaved of their only child")),
    (TargetGroup.MIGRANTS, _l("Migrants")),
    (TargetGroup.OTHER, _l("Other")),
    (CertificationLevel.ASSISTANT, _l("Assistant social worker")),
    (CertificationLevel.INTERMEDIATE, _l("Social worker")),
    (CertificationLevel.SENIOR, _l("Senior social worker")),
    (StationTier.DISTRICT_CENTRE, _l("District social-work centre")),
    (StationTier.STATION, _l("Township / street social-work station")),
    (StationTier.ROOM, _l("Village / community social-work room")),
    (AreaLevel.PROVINCE, _l("Province")),
    (AreaLevel.CITY, _l("City")),
    (AreaLevel.DISTRICT, _l("District")),
    (AreaLevel.STREET, _l("Street / township")),
    (AreaLevel.COMMUNITY, _l("Community / village")),
    (ExpertSkill.LEGAL, _l("Legal")),
    (ExpertSkill.PSYCHOLOGY, _l("Psychology")),
    (ExpertSkill.SOCIAL_WORK, _l("Social work")),
    (ExpertSkill.MEDICAL, _l("Medical")),
    (ExpertSkill.FAMILY_EDUCATION, _l("Family education")),
    (ExpertSkill.ELDER_CARE, _l("Elder care")),
    (ExpertSkill.CRISIS, _l("Crisis")),
    (OrganisationKind.COMMUNITY, _l("Community")),
    (OrganisationKind.SOCIAL_ORGANISATION, _l("Social organisation")),
    (OrganisationKind.CHARITY_RESOURCE, _l("Charity resource")),
    (OrganisationKind.VOLUNTEER_TEAM, _l("Volunteer team")),
    (VolunteerSkill.HOME_VISIT, _l("Home visits")),
    (VolunteerSkill.COMPANIONSHIP, _l("Companionship")),
    (VolunteerSkill.ERRANDS, _l("Errands")),
    (VolunteerSkill.TUTORING, _l("Tutoring")),
    (VolunteerSkill.ELDER_CARE, _l("Elder care")),
    (VolunteerSkill.TRANSPORT, _l("Transport")),
    (VolunteerSkill.REPAIRS, _l("Home repairs")),
    (VolunteerSkill.FIRST_AID, _l("First aid")),
    (Risk.NONE, _l("None")),
    (Risk.LOW, _l("Low")),
    (Risk.MEDIUM, _l("Medium")),
    (Risk.HIGH, _l("High")),
    (Risk.IMMINENT, _l("Imminent")),
)


# Keyed by (enum, value): equal values in different enums (Service.CRISIS and
# ExpertSkill.CRISIS are both "crisis") keep their own labels.
LABELS: dict[tuple[type[StrEnum], str], object] = {(type(member), member.value): text for member, text in _LABELS}
del _LABELS
# A menu key may also lead to the expert volunteers on duty (hotline.telephony.forms.EXPERT):
# a service a call asks for, but not one an intake records, so not a member of Service.
LABELS[(Service, "expert")] = _l("Expert volunteer")


def label(value: StrEnum | str | None, enum: type[StrEnum] | None = None) -> str:
    """Return the UI label of a glossary value (the raw value when unknown)."""
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        text = LABELS.get((type(value), value.value))
    elif enum is not None:
        text = LABELS.get((enum, value))
    else:
        text = next((text for (_, raw), text in LABELS.items() if raw == value), None)
    return str(text) if text is not None else str(value)


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """Return (value, label) pairs for a form's select field."""
    return [(member.value, label(member)) for member in enum]


def skill_choices() -> list[tuple[str, str]]:
    """Return the expert skills, then the services no skill already names: one entry per name.

    A service and a skill with the same name (家庭教育, 危机介入) are offered once, as the skill,
    which is what experts and workers are matched on.
    """
    skills = choices(ExpertSkill)
    named = {name for _value, name in skills}
    return skills + [(value, name) for value, name in choices(Service) if name not in named]
