"""The one settings module. Every knob is an OBOLE_* environment variable.

The embedded default needs none of them: SQLite in the data directory, the
sandbox payment provider, generated secrets kept in the data directory.
`OBOLE_PRODUCTION=true` switches to the strict posture: secrets must come from
the environment, cookies are secure, and the server refuses to start otherwise.
A malformed value stops start-up with a message that names the variable.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url

from obole.lib.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_list,
    env_networks,
    env_str,
)
from obole.lib.files import keep_sqlite_private
from obole.lib.money import parse_amount, valid_currency
from obole.lib.rules import NAMES as RULE_NAMES
from obole.lib.rules import RuleError, parse_rules
from obole.lib.storage import media_storage

PRODUCTION = env_bool("OBOLE_PRODUCTION", False)
DEBUG = env_bool("OBOLE_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ConfigError("OBOLE_DEBUG must be off when OBOLE_PRODUCTION is on")

DATA_DIR = Path(
    env_str(
        "OBOLE_DATA_DIR",
        str(Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "obole"),
    )
).expanduser()


def _persistent_secret(variable: str, filename: str) -> str:
    """A secret from the environment; in the embedded default, generated once and kept."""
    value = env_str(variable)
    if value:
        if len(value) < 32:
            raise ConfigError(f"{variable} must be at least 32 characters long")
        return value
    if PRODUCTION:
        raise ConfigError(f"{variable} must be set when OBOLE_PRODUCTION is on")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / filename
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    # Create with 0600 from the start; never widen an existing file's permissions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


SECRET_KEY = _persistent_secret("OBOLE_SECRET_KEY", "secret_key")
# Keys the HMAC of card numbers. Separate from SECRET_KEY so that rotating the
# session secret does not forget which cards are already in use or blocklisted.
OBOLE_FINGERPRINT_KEY = _persistent_secret("OBOLE_FINGERPRINT_KEY", "fingerprint_key")

ALLOWED_HOSTS = env_list("OBOLE_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigError("OBOLE_ALLOWED_HOSTS must name the server's host names in production")
CSRF_TRUSTED_ORIGINS = env_list("OBOLE_CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (obole.lib.addresses); empty =
# none, and every request's address is its TCP peer.
OBOLE_TRUSTED_PROXIES = env_networks("OBOLE_TRUSTED_PROXIES")
# The address members reach the server at. Links inside posts are made with it
# when they are written, so set it before the first post.
OBOLE_BASE_URL = env_str(
    "OBOLE_BASE_URL",
    f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000",
).rstrip("/")
if not OBOLE_BASE_URL.startswith(("http://", "https://")):
    raise ConfigError("OBOLE_BASE_URL must look like https://obole.example")


# Where apps and pages reach the streaming server (obole.streaming, `obole streaming`): ws:// or
# wss://, no path. By default the base URL's host on the next port (what `obole serve` starts:
# http://127.0.0.1:8000 gives ws://127.0.0.1:8001); with no port in the base URL, the same
# origin, for a proxy that routes /api/v1/streaming to the streaming server.
def _streaming_url(base: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    if parts.port is None:
        return f"{scheme}://{parts.netloc}"
    return f"{scheme}://{parts.netloc.rsplit(':', 1)[0]}:{parts.port + 1}"


OBOLE_STREAMING_URL = env_str("OBOLE_STREAMING_URL", _streaming_url(OBOLE_BASE_URL)).rstrip("/")
if not OBOLE_STREAMING_URL.startswith(("ws://", "wss://")) or OBOLE_STREAMING_URL.count("/") != 2:
    raise ConfigError("OBOLE_STREAMING_URL must look like wss://obole.example (no path)")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "oauth2_provider",
    "huey.contrib.djhuey",
    "obole.accounts",
    "obole.membership",
    "obole.posts",
    "obole.media",
    "obole.api",
    "obole.web",
    "obole.trust",
    "obole.economics",
    "obole.streaming",
]

MIDDLEWARE = [
    # First, so that preflights and every answer of the API carry the CORS headers.
    "obole.api.cors.CorsMiddleware",
    # Before anything reads the path or a form: NUL bytes and lone surrogates answer 400 here.
    "obole.api.edge.InputGuard",
    "django.middleware.security.SecurityMiddleware",
    # Refuses multipart bodies larger than four pictures before anything reads them.
    "obole.media.middleware.UploadLimit",
    # /api/ requests leave the stack here: they carry tokens, not sessions (see the module).
    "obole.api.fastpath.ApiFastPath",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy of the pages: CONTENT_SECURITY_POLICY at the end of this file.
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "obole.urls"
WSGI_APPLICATION = "obole.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "obole.web.context.obole",
            ],
        },
    },
]

# --- Storage ---------------------------------------------------------------

DATABASE_URL = env_str("OBOLE_DATABASE_URL", f"sqlite:///{DATA_DIR / 'obole.sqlite3'}")
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
except Exception as error:  # dj-database-url raises several types for bad URLs
    raise ConfigError(
        f"OBOLE_DATABASE_URL must look like sqlite:///path or postgres://user@host/db ({error})"
    ) from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with each statement's placeholders converted once (see the module).
    _database["ENGINE"] = "obole.lib.sqlite"
    _database["CONN_MAX_AGE"] = 0 if _database["NAME"] == ":memory:" else 600
    _database["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two
        # writers queue on busy_timeout instead of failing with "database is locked"
        # half-way through; WAL lets readers carry on while one process writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if _database["NAME"] != ":memory:":
        keep_sqlite_private(Path(_database["NAME"]))  # it holds sessions: 0600, like the secrets
        _database["TEST"] = {"NAME": str(Path(_database["NAME"]).with_name("test-obole.sqlite3"))}
elif _database["ENGINE"] not in ("django.db.backends.postgresql",):
    raise ConfigError("OBOLE_DATABASE_URL must be a sqlite:// or postgres:// URL")
DATABASES = {"default": _database}
# PostgreSQL: the few hand-written hot queries (obole.lib.rawrows) run as prepared statements.
# Turn off behind a pooler that cannot carry them (PgBouncer before 1.21 in transaction mode).
OBOLE_DATABASE_PREPARE = env_bool("OBOLE_DATABASE_PREPARE", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work ------------------------------------------------------
# Huey runs the tasks (`obole worker`; `obole serve` starts one in the embedded
# default). Its queue lives in a SQLite file in the data directory, or in Redis
# when OBOLE_REDIS_URL is set, which is what several worker machines share.
# The database rows stay the record of the work (a due membership is due
# whether or not a message about it survives), so a lost queue loses nothing.

OBOLE_REDIS_URL = env_str("OBOLE_REDIS_URL")
if OBOLE_REDIS_URL:
    if not OBOLE_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("OBOLE_REDIS_URL must look like redis://host:6379/0")
    from huey import RedisHuey

    HUEY = RedisHuey("obole", url=OBOLE_REDIS_URL)
else:
    from huey import SqliteHuey

    keep_sqlite_private(DATA_DIR / "tasks.sqlite3")
    HUEY = SqliteHuey("obole", filename=str(DATA_DIR / "tasks.sqlite3"))
# The cache holds rate-limit counters: shared in Redis when there is one,
# else in each process's memory.
if OBOLE_REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": OBOLE_REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How often the worker runs billing (renewals, dunning retries, expiry); 0 = never
# (then run `obole billing run` from cron).
OBOLE_BILLING_EVERY_MINUTES = env_int("OBOLE_BILLING_EVERY_MINUTES", 10, minimum=0, maximum=1440)
# Charges a billing run keeps in flight at once: about 100 requests/s (Stripe's
# default live-mode rate limit) at ~300 ms a charge (docs/scaling.md).
OBOLE_BILLING_CONCURRENCY = env_int("OBOLE_BILLING_CONCURRENCY", 30, minimum=1, maximum=500)
# Home timelines (obole.posts.fanout): an account with more followers than this is not
# fanned out on write; its posts are merged into its followers' home timelines when read.
# In Redis a fan-out is one cheap push per follower; in the database each follower's
# timeline is its own index page to write (a post to 7,340 followers wrote ~30 MB to
# SQLite's log and held the write lock meanwhile: bench/RESULTS.md), hence a lower default.
OBOLE_FANOUT_MAX_FOLLOWERS = env_int(
    "OBOLE_FANOUT_MAX_FOLLOWERS", 10_000 if OBOLE_REDIS_URL else 1_000, minimum=0, maximum=10**9
)
# How many status ids the Redis store keeps per home timeline (older pages come from the database).
OBOLE_TIMELINE_LENGTH = env_int("OBOLE_TIMELINE_LENGTH", 400, minimum=20, maximum=100_000)

# --- Accounts and sessions ---------------------------------------------------

AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["obole.accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "membership"
LOGOUT_REDIRECT_URL = "landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins (web form and the OAuth password grant) allowed per 15 minutes
# before the next attempt is refused with 429 (obole.accounts.login_limits); 0 = no limit.
OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME = env_int("OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME", 10, minimum=0)
OBOLE_LOGIN_FAILURES_PER_IP = env_int("OBOLE_LOGIN_FAILURES_PER_IP", 50, minimum=0)
# Across all addresses: slows a password guessed from many machines, at the cost
# that a determined attacker can hold one account's sign-in shut for a while.
OBOLE_LOGIN_FAILURES_PER_USERNAME = env_int("OBOLE_LOGIN_FAILURES_PER_USERNAME", 100, minimum=0)
OBOLE_REGISTRATION_OPEN = env_bool("OBOLE_REGISTRATION_OPEN", True)
OBOLE_EMAIL_CONFIRMATION = env_bool("OBOLE_EMAIL_CONFIRMATION", False)
# Published by the instance endpoints as the address to write to about this server.
OBOLE_CONTACT_EMAIL = env_str("OBOLE_CONTACT_EMAIL")
if OBOLE_CONTACT_EMAIL and "@" not in OBOLE_CONTACT_EMAIL:
    raise ConfigError("OBOLE_CONTACT_EMAIL must be an email address such as admin@obole.example")
DEFAULT_FROM_EMAIL = env_str("OBOLE_EMAIL_FROM", "Obole <noreply@localhost>")
_smtp = env_str("OBOLE_SMTP_URL")
if _smtp:
    from urllib.parse import unquote, urlsplit

    _parts = urlsplit(_smtp)
    if _parts.scheme not in ("smtp", "smtps") or not _parts.hostname:
        raise ConfigError("OBOLE_SMTP_URL must look like smtp://user:password@host:587")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _parts.hostname
    EMAIL_PORT = _parts.port or (465 if _parts.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_parts.username or "")
    EMAIL_HOST_PASSWORD = unquote(_parts.password or "")
    EMAIL_USE_SSL = _parts.scheme == "smtps"
    EMAIL_USE_TLS = _parts.scheme == "smtp" and EMAIL_PORT == 587
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A web session lasts two weeks from sign-in (Django's default, said out loud) and
# survives closing the browser: people use Obole from their own devices. Changing
# the password ends every other session; deleting the account ends them all.
SESSION_COOKIE_AGE = 14 * 24 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("OBOLE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("OBOLE_HSTS_SECONDS", 31_536_000, minimum=0)
SILENCED_SYSTEM_CHECKS = [
    # HSTS for subdomains and preloading are the operator's decision about their domain.
    "security.W005",
    "security.W021",
    # Mastodon clients rely on these: the password grant, http://localhost and
    # custom-scheme redirect URIs of native apps, and authorization without PKCE.
    "oauth2_provider.W002",
    "oauth2_provider.W008",
    "oauth2_provider.W010",
]

# API bodies are small JSON or form documents; anything bigger is refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("OBOLE_MAX_BODY_BYTES", 1_048_576, minimum=1024)

# Mastodon's sub-scopes: "read:<thing>" and "write:<thing>".
_SCOPE_THINGS = {
    "read": "accounts blocks bookmarks favourites filters follows lists mutes notifications search statuses",
    "write": "accounts blocks bookmarks conversations favourites filters follows lists media mutes "
    "notifications reports statuses",
}
OAUTH2_PROVIDER = {
    # Mastodon's scopes and sub-scopes; an app may ask for any of them. A family
    # ("read") covers its sub-scopes, and "follow" covers read/write of follows,
    # blocks and mutes (obole.api.auth.grants).
    "SCOPES": {
        "read": "Read your account, posts and timelines",
        "write": "Post and change things on your behalf",
        "follow": "Follow, block and mute accounts",
        "push": "Receive push notifications",
        **{f"read:{thing}": f"Read your {thing}" for thing in _SCOPE_THINGS["read"].split()},
        **{f"write:{thing}": f"Change your {thing}" for thing in _SCOPE_THINGS["write"].split()},
        # Mastodon's moderation scopes; only staff accounts may use them (obole/trust/admin_api.py).
        "admin:read": "Read moderation data (staff only)",
        "admin:write": "Act on reports and accounts (staff only)",
        **{
            f"admin:{rw}:{thing}": f"Moderation: {thing}"
            for rw in ("read", "write")
            for thing in ("accounts", "reports")
        },
    },
    # Any app may use the authorization code, password and client credentials
    # grants, and never more scopes than it registered.
    "OAUTH2_VALIDATOR_CLASS": "obole.api.oauth.MastodonValidator",
    "DEFAULT_SCOPES": ["read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OBOLE_TOKEN_LIFETIME_SECONDS", 60 * 60 * 24 * 365, minimum=60),
    # Keep only a checksum of each token at rest (RFC 9700), never the token itself.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "PKCE_REQUIRED": False,
    # Mastodon clients (Mastodon.py's log_in among them) still use the password grant.
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False,
    # What Mastodon does not offer either: implicit grant, "plain" PKCE, tokens in URLs.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}

# --- Posts -----------------------------------------------------------------

# Rate limits (obole.api.ratelimit), Mastodon's defaults; 0 turns one off.
OBOLE_RATE_LIMIT_REQUESTS = env_int("OBOLE_RATE_LIMIT_REQUESTS", 300, minimum=0)  # per token or IP, 5 min
OBOLE_RATE_LIMIT_POSTS = env_int("OBOLE_RATE_LIMIT_POSTS", 300, minimum=0)  # per account, 3 hours
OBOLE_RATE_LIMIT_FOLLOWS = env_int("OBOLE_RATE_LIMIT_FOLLOWS", 400, minimum=0)  # per account, 24 hours

# The longest status, counting every link as 23 characters as Mastodon does.
OBOLE_MAX_STATUS_CHARS = env_int("OBOLE_MAX_STATUS_CHARS", 500, minimum=1, maximum=100_000)

# --- Membership and billing ---------------------------------------------------

OBOLE_PAYMENT_PROVIDER = env_choice("OBOLE_PAYMENT_PROVIDER", "sandbox", ("sandbox", "stripe"))
OBOLE_FEE_CURRENCY = env_str("OBOLE_FEE_CURRENCY", "USD").upper()
if not valid_currency(OBOLE_FEE_CURRENCY):
    raise ConfigError(
        f"OBOLE_FEE_CURRENCY must be a three-letter code such as USD, not {OBOLE_FEE_CURRENCY!r}"
    )
try:
    OBOLE_FEE_AMOUNT = parse_amount(env_str("OBOLE_FEE_AMOUNT", "3.00"), OBOLE_FEE_CURRENCY)
except ValueError as error:
    raise ConfigError(f"OBOLE_FEE_AMOUNT must be an amount such as 3.00: {error}") from None
if OBOLE_FEE_AMOUNT <= 0:
    raise ConfigError("OBOLE_FEE_AMOUNT must be more than zero")
OBOLE_FEE_INTERVAL = env_choice("OBOLE_FEE_INTERVAL", "month", ("day", "week", "month", "year"))
# Per-country prices, e.g. "GB=2.50 GBP; IN=99 INR; JP=450 JPY". Parsed in membership.plans.
OBOLE_FEE_BY_COUNTRY = env_str("OBOLE_FEE_BY_COUNTRY")
OBOLE_ACCOUNTS_PER_CARD = env_int("OBOLE_ACCOUNTS_PER_CARD", 1, minimum=1)
# Days after a period ends on which a failed renewal is tried again; after the
# last one fails the membership lapses to read-only.
OBOLE_DUNNING_RETRY_DAYS = env_int_list("OBOLE_DUNNING_RETRY_DAYS", [1, 3, 5])
if sorted(set(OBOLE_DUNNING_RETRY_DAYS)) != OBOLE_DUNNING_RETRY_DAYS or 0 in OBOLE_DUNNING_RETRY_DAYS:
    raise ConfigError("OBOLE_DUNNING_RETRY_DAYS must be increasing day numbers above 0, such as 1,3,5")
# How long a past-due member may still write after the period ended.
OBOLE_GRACE_DAYS = env_int("OBOLE_GRACE_DAYS", 7, minimum=0)
# Failed payment attempts allowed per hour (0 = no limit), against card testing.
OBOLE_PAYMENT_FAILURES_PER_ACCOUNT = env_int("OBOLE_PAYMENT_FAILURES_PER_ACCOUNT", 5, minimum=0)
OBOLE_PAYMENT_FAILURES_PER_IP = env_int("OBOLE_PAYMENT_FAILURES_PER_IP", 20, minimum=0)
# Accounts that may be created from one IP address per hour (0 = no limit).
OBOLE_SIGNUPS_PER_IP = env_int("OBOLE_SIGNUPS_PER_IP", 10, minimum=0)
# Prepaid cards: accepted, accepted but sent to the moderation queue, or refused.
OBOLE_PREPAID_CARDS = env_choice("OBOLE_PREPAID_CARDS", "allow", ("allow", "review", "deny"))
# --- Trust and safety (obole/trust, docs/trust.md) ---------------------------
# Per-hour limits counted atomically (0 = no limit): sign-ups per /24 or /64,
# failed card attempts per network and per card fingerprint.
OBOLE_SIGNUPS_PER_NETWORK = env_int("OBOLE_SIGNUPS_PER_NETWORK", 30, minimum=0)
OBOLE_PAYMENT_FAILURES_PER_NETWORK = env_int("OBOLE_PAYMENT_FAILURES_PER_NETWORK", 40, minimum=0)
OBOLE_PAYMENT_FAILURES_PER_CARD = env_int("OBOLE_PAYMENT_FAILURES_PER_CARD", 5, minimum=0)
# Sign-ups with an address at a disposable-mail domain; a card issued in
# another country than the account's.
OBOLE_DISPOSABLE_EMAIL = env_choice("OBOLE_DISPOSABLE_EMAIL", "deny", ("allow", "review", "deny"))
OBOLE_CARD_COUNTRY_MISMATCH = env_choice("OBOLE_CARD_COUNTRY_MISMATCH", "review", ("allow", "review", "deny"))
# Radar-style rules, one per line or separated by ";" (obole/lib/rules.py).
OBOLE_TRUST_RULES = env_str("OBOLE_TRUST_RULES", "")
try:
    _trust_rules = parse_rules(OBOLE_TRUST_RULES, RULE_NAMES)
except RuleError as _error:
    raise ConfigError(f"OBOLE_TRUST_RULES: {_error}") from None
# Reports one account may file per hour.
OBOLE_REPORTS_PER_HOUR = env_int("OBOLE_REPORTS_PER_HOUR", 20, minimum=0)
# On a ban, refund the unused part of the paid period through the provider?
OBOLE_BAN_REFUND = env_choice("OBOLE_BAN_REFUND", "none", ("none", "unused"))
# Bot score (0-100) at which an account is sent to the queue, throttled, and
# has its new posts held for review (0 = never).
OBOLE_BOT_SCORE_QUEUE = env_int("OBOLE_BOT_SCORE_QUEUE", 40, minimum=0, maximum=100)
OBOLE_BOT_SCORE_THROTTLE = env_int("OBOLE_BOT_SCORE_THROTTLE", 60, minimum=0, maximum=100)
OBOLE_BOT_SCORE_HOLD = env_int("OBOLE_BOT_SCORE_HOLD", 80, minimum=0, maximum=100)
# Posts per hour a throttled account may make.
OBOLE_THROTTLED_POSTS_PER_HOUR = env_int("OBOLE_THROTTLED_POSTS_PER_HOUR", 10, minimum=1)
OBOLE_SANDBOX_WEBHOOK_SECRET = env_str(
    "OBOLE_SANDBOX_WEBHOOK_SECRET", "" if PRODUCTION else f"whsec_{SECRET_KEY[:32]}"
)
# Bench and test knobs of the sandbox provider, off by default (0) and never in
# production (the sandbox itself is refused there): a pretend network latency
# per charge, and a rate limit in requests per second past which it answers
# like Stripe's 429 with a Retry-After (counted per process).
OBOLE_SANDBOX_LATENCY_MS = env_int("OBOLE_SANDBOX_LATENCY_MS", 0, minimum=0, maximum=60_000)
OBOLE_SANDBOX_RATE_LIMIT = env_int("OBOLE_SANDBOX_RATE_LIMIT", 0, minimum=0, maximum=100_000)

# Stripe (docs/stripe.md). In the sandbox any Luhn-valid number "pays", which
# would void both the paywall and the one-card rule: production refuses it.
if PRODUCTION and OBOLE_PAYMENT_PROVIDER == "sandbox":
    raise ConfigError(
        "OBOLE_PAYMENT_PROVIDER=sandbox takes no real money and cannot run with OBOLE_PRODUCTION on; "
        "set OBOLE_PAYMENT_PROVIDER=stripe and the OBOLE_STRIPE_* keys (docs/stripe.md)"
    )
OBOLE_STRIPE_SECRET_KEY = env_str("OBOLE_STRIPE_SECRET_KEY")
OBOLE_STRIPE_PUBLISHABLE_KEY = env_str("OBOLE_STRIPE_PUBLISHABLE_KEY")
OBOLE_STRIPE_WEBHOOK_SECRET = env_str("OBOLE_STRIPE_WEBHOOK_SECRET")
# The API's address (the SDK's base_addresses) and Stripe.js's, for localstripe in tests and staging.
OBOLE_STRIPE_API_BASE = env_str("OBOLE_STRIPE_API_BASE", "https://api.stripe.com")
OBOLE_STRIPE_JS_URL = env_str("OBOLE_STRIPE_JS_URL", "https://js.stripe.com/v3/")
if OBOLE_PAYMENT_PROVIDER == "stripe":
    for _name, _prefixes in (
        ("OBOLE_STRIPE_SECRET_KEY", ("sk_", "rk_")),
        ("OBOLE_STRIPE_PUBLISHABLE_KEY", ("pk_",)),
        ("OBOLE_STRIPE_WEBHOOK_SECRET", ("whsec_",)),
    ):
        if not globals()[_name].startswith(_prefixes):
            raise ConfigError(f"{_name} must be set to a Stripe key starting with {' or '.join(_prefixes)}")
    for _name in ("OBOLE_STRIPE_API_BASE", "OBOLE_STRIPE_JS_URL"):
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", globals()[_name]):
            raise ConfigError(f"{_name} must be an http(s) URL such as https://api.stripe.com")

# --- The rest ---------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# --- Media (obole.media) ------------------------------------------------------
# Uploaded pictures: under the data directory, served by Obole, or in an
# S3-compatible bucket when OBOLE_MEDIA_S3_BUCKET is set (obole.lib.storage).
STORAGES["default"] = media_storage(DATA_DIR)
OBOLE_MEDIA_MAX_BYTES = env_int("OBOLE_MEDIA_MAX_BYTES", 16 * 1024 * 1024, minimum=1024)
# Pictures with more pixels are refused before they are decoded (decompression bombs).
OBOLE_MEDIA_MAX_PIXELS = env_int("OBOLE_MEDIA_MAX_PIXELS", 33_177_600, minimum=10_000, maximum=200_000_000)

# Collected at `obole serve`; tests and DEBUG read straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("OBOLE_LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Content-Security-Policy (obole/web/csp.py) -------------------------------
# Pages load scripts, styles and images from this server only. A feature that
# needs another origin adds it here, by directive, and nowhere else — e.g. a
# payment provider's script: CSP_EXTRA_SOURCES["script-src"].append(csp_source(URL, "OBOLE_…")).
# Keep this block last, so that it can use every setting above it.
from obole.web.csp import content_security_policy, csp_source  # noqa: E402, F401

CSP_EXTRA_SOURCES: dict[str, list[str]] = {"script-src": [], "frame-src": [], "connect-src": []}
if OBOLE_PAYMENT_PROVIDER == "stripe":
    # Stripe.js, the card frames it opens (and 3-D Secure's), and the API it calls (docs/stripe.md).
    _stripe_js = csp_source(OBOLE_STRIPE_JS_URL, "OBOLE_STRIPE_JS_URL")
    CSP_EXTRA_SOURCES["script-src"].append(_stripe_js)
    CSP_EXTRA_SOURCES["frame-src"] += [_stripe_js, "https://*.js.stripe.com", "https://hooks.stripe.com"]
    CSP_EXTRA_SOURCES["connect-src"].append(csp_source(OBOLE_STRIPE_API_BASE, "OBOLE_STRIPE_API_BASE"))
# The home page's live updates connect to the streaming server (obole/web/static/obole/live.js).
CSP_EXTRA_SOURCES["connect-src"].append(csp_source(OBOLE_STREAMING_URL, "OBOLE_STREAMING_URL"))
CONTENT_SECURITY_POLICY = content_security_policy(CSP_EXTRA_SOURCES)
