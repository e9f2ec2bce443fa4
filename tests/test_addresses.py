"""The client's address behind trusted proxies, and the network it counts in."""

import pytest
from django.test import Client

from obole.lib.addresses import client_address, network_of, parse_networks
from obole.lib.env import ConfigError, env_networks

PROXY = parse_networks(["10.0.0.0/8", "::1"])


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.5", "198.51.100.7", []) == "203.0.113.5"


def test_a_trusted_proxy_is_believed():
    assert client_address("10.1.2.3", "198.51.100.7", PROXY) == "198.51.100.7"


def test_an_untrusted_peer_cannot_forge_the_header():
    assert client_address("203.0.113.5", "198.51.100.7", PROXY) == "203.0.113.5"


def test_entries_the_client_wrote_are_skipped():
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer.
    assert client_address("10.1.2.3", "1.2.3.4, 198.51.100.7", PROXY) == "198.51.100.7"


def test_chains_of_trusted_proxies_are_walked_from_the_right():
    assert client_address("10.1.2.3", "198.51.100.7, 10.9.9.9", PROXY) == "198.51.100.7"


def test_a_garbled_entry_stops_at_the_last_vouched_address():
    assert client_address("10.1.2.3", "nonsense", PROXY) == "10.1.2.3"


def test_ports_and_mapped_addresses_are_normalised():
    assert client_address("::ffff:203.0.113.5", None, []) == "203.0.113.5"
    assert client_address("10.0.0.1", "[2001:db8::1]:4711", PROXY) == "2001:db8::1"
    assert client_address("10.0.0.1", "192.0.2.9:4711", PROXY) == "192.0.2.9"
    assert client_address(None, None, []) is None


def test_networks_are_slash_24_and_slash_64():
    assert network_of("198.51.100.7") == "198.51.100.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert network_of("garbage") is None


def test_a_malformed_setting_names_the_variable():
    with pytest.raises(ConfigError, match="OBOLE_TRUSTED_PROXIES"):
        env_networks("OBOLE_TRUSTED_PROXIES", {"OBOLE_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"})
    assert [str(n) for n in env_networks("X", {"X": "10.0.0.0/8, ::1"})] == ["10.0.0.0/8", "::1/128"]


@pytest.mark.django_db
def test_sign_up_limits_count_the_forwarded_address(settings):
    """Behind a trusted proxy, a forged header from outside is ignored and the real client is counted."""
    from obole.accounts.models import Account

    settings.OBOLE_TRUSTED_PROXIES = parse_networks(["127.0.0.0/8"])
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="forged, 198.51.100.7")
    client.post(
        "/auth/sign_up",
        {"username": "proxied", "email": "p@example.org", "password": "a long pass phrase 77"},
    )
    assert Account.objects.get(username="proxied").signup_ip == "198.51.100.7"

    settings.OBOLE_TRUSTED_PROXIES = []
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")
    client.post(
        "/auth/sign_up",
        {"username": "direct", "email": "d@example.org", "password": "a long pass phrase 77"},
    )
    assert Account.objects.get(username="direct").signup_ip == "203.0.113.9"
