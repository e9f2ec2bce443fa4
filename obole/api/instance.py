"""What a Mastodon app or a crawler reads first: the instance (v1 and v2) and nodeinfo.

Mastodon apps decide from these what they may offer (pictures but no video,
polls), how long a post may be, and whether sign-up is open; the fee is in
the description and the rules, so a member sees it in the app before joining.
The server speaks the Mastodon API of 4.3 and says so in `version`, the way
other compatible servers do.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from obole.accounts.models import DISPLAY_NAME_MAX_LENGTH, NOTE_MAX_LENGTH, Account
from obole.api.endpoints import endpoint
from obole.media.images import FORMATS, MATRIX_LIMIT
from obole.media.models import DESCRIPTION_MAX
from obole.media.services import MAX_PER_STATUS
from obole.membership.plans import plan_for
from obole.posts import polls

TITLE = "Obole"
MASTODON_API = "4.3.0"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.0"
# Counting is not free on a large network: the numbers may be ten minutes old.
STATS_SECONDS = 600


def obole_version() -> str:
    try:
        return package_version("obole")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0.0.0"


def version_string() -> str:
    return f"{MASTODON_API} (compatible; Obole {obole_version()})"


def _count_stats() -> dict[str, int]:
    now = timezone.now()
    accounts = Account.objects.filter(is_active=True)
    return {
        "user_count": accounts.count(),
        # The posts services keep each account's count; adding them up reads one row per
        # account instead of one per status, as Mastodon does.
        "status_count": Account.objects.aggregate(total=Sum("statuses_count"))["total"] or 0,
        # Obole does not federate: it knows no other domain.
        "domain_count": 0,
        "active_month": accounts.filter(last_login__gte=now - timedelta(days=30)).count(),
        "active_halfyear": accounts.filter(last_login__gte=now - timedelta(days=180)).count(),
    }


STATS_KEY = "obole:instance-stats"


def instance_stats() -> dict[str, int]:
    """Users, posts, known domains and active users; shared by the instance and nodeinfo."""
    return cache.get_or_set(STATS_KEY, _count_stats, STATS_SECONDS)


def fee_text() -> str:
    text = f"Posting needs a paid membership: {plan_for()}"
    if settings.OBOLE_FEE_BY_COUNTRY:
        text += " (the price differs in some countries)"
    return text


def description() -> str:
    return (
        f"A microblogging server where every account that writes pays a small fee, so that a farm of "
        f"bots costs real money. {fee_text()}. Reading is free."
    )


def rules() -> list[dict]:
    per_card = settings.OBOLE_ACCOUNTS_PER_CARD
    cards = (
        "Each account needs a payment card of its own."
        if per_card == 1
        else f"One payment card may pay for at most {per_card} accounts."
    )
    return [
        {
            "id": "1",
            "text": f"{fee_text()}.",
            "hint": "Reading is free. Posting, replying, reposting, liking and following need it.",
            "translations": {},
        },
        {"id": "2", "text": cards, "hint": "Cards of banned accounts cannot pay again.", "translations": {}},
    ]


def _limits() -> dict:
    """Mastodon's configuration limits: text and pictures (obole.media), no video or audio."""
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": settings.OBOLE_MAX_STATUS_CHARS,
            "max_media_attachments": MAX_PER_STATUS,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": sorted(FORMATS.values()),
            "description_limit": DESCRIPTION_MAX,
            "image_size_limit": settings.OBOLE_MEDIA_MAX_BYTES,
            "image_matrix_limit": MATRIX_LIMIT,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": polls.MAX_OPTIONS,
            "max_characters_per_option": polls.MAX_OPTION_CHARS,
            "min_expiration": polls.MIN_EXPIRATION,
            "max_expiration": polls.MAX_EXPIRATION,
        },
    }


def _streaming(request: HttpRequest) -> str:
    """The streaming server's address (OBOLE_STREAMING_URL; obole.streaming)."""
    return settings.OBOLE_STREAMING_URL


def _contact() -> dict:
    """{"email": OBOLE_CONTACT_EMAIL}, or nothing: an empty string is not an address, and an app
    that shows "Contact: " with nothing after it helps nobody. Set the variable in production."""
    return {"email": settings.OBOLE_CONTACT_EMAIL} if settings.OBOLE_CONTACT_EMAIL else {}


@endpoint(("GET",))
def v1(request: HttpRequest) -> JsonResponse:
    stats = instance_stats()
    return JsonResponse(
        {
            "uri": request.get_host(),
            "title": TITLE,
            "short_description": description(),
            "description": description(),
            **_contact(),
            "version": version_string(),
            "urls": {"streaming_api": _streaming(request)},
            "stats": {key: stats[key] for key in ("user_count", "status_count", "domain_count")},
            "thumbnail": request.build_absolute_uri(static("obole/instance-thumbnail.png")),
            "languages": ["en"],
            "registrations": settings.OBOLE_REGISTRATION_OPEN,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": _limits(),
            "contact_account": None,
            "rules": rules(),
        }
    )


@endpoint(("GET",))
def v2(request: HttpRequest) -> JsonResponse:
    home = request.build_absolute_uri("/")
    return JsonResponse(
        {
            "domain": request.get_host(),
            "title": TITLE,
            "version": version_string(),
            "source_url": home,
            "description": description(),
            "usage": {"users": {"active_month": instance_stats()["active_month"]}},
            "thumbnail": {
                "url": request.build_absolute_uri(static("obole/instance-thumbnail.png")),
                "blurhash": None,
                "versions": None,
            },
            "icon": [],
            "languages": ["en"],
            "configuration": {
                **_limits(),
                "accounts": {
                    **_limits()["accounts"],
                    "max_display_name_length": DISPLAY_NAME_MAX_LENGTH,
                    "max_note_length": NOTE_MAX_LENGTH,
                },
                "urls": {"streaming": _streaming(request), "status": None, "about": home},
                "translation": {"enabled": False},
            },
            "registrations": {
                "enabled": settings.OBOLE_REGISTRATION_OPEN,
                "approval_required": False,
                "reason_required": False,
                "message": None,
                "url": None,
            },
            "api_versions": {"mastodon": 2},
            "contact": {**_contact(), "account": None},
            "rules": rules(),
        }
    )


@endpoint(("GET",))
def instance_rules(request: HttpRequest) -> JsonResponse:
    return JsonResponse(rules(), safe=False)


@endpoint(("GET",))
def nodeinfo_links(request: HttpRequest) -> JsonResponse:
    href = request.build_absolute_uri(reverse("nodeinfo"))
    return JsonResponse({"links": [{"rel": NODEINFO_SCHEMA, "href": href}]})


@endpoint(("GET",))
def nodeinfo(request: HttpRequest) -> JsonResponse:
    stats = instance_stats()
    return JsonResponse(
        {
            "version": "2.0",
            "software": {"name": "obole", "version": obole_version()},
            # Obole speaks no federation protocol yet.
            "protocols": [],
            "services": {"outbound": [], "inbound": []},
            "usage": {
                "users": {
                    "total": stats["user_count"],
                    "activeMonth": stats["active_month"],
                    "activeHalfyear": stats["active_halfyear"],
                },
                "localPosts": stats["status_count"],
            },
            "openRegistrations": settings.OBOLE_REGISTRATION_OPEN,
            "metadata": {"nodeName": TITLE, "nodeDescription": description()},
        },
        content_type=f'application/json; profile="{NODEINFO_SCHEMA}#"',
    )
