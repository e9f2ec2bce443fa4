"""From what a member typed to the HTML a client shows.

Members type plain text. URLs become links, @username becomes a link to the
profile, #tag to the tag's timeline, line breaks become <br> and blank lines
paragraphs. The text is escaped piece by piece while the links are built, and
the result is passed through nh3 (the maintained ammonia sanitiser) with a
short list of allowed tags, so that no markup a member typed survives even if
the link-building code has a bug.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

import nh3

# @name, #tag and http(s) URLs, in one pass so that they never overlap.
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?<![\w/@])@(?P<mention>[A-Za-z0-9_]{1,30})(?![\w@])"
    r"|(?<![\w/&#])#(?P<tag>\w{1,100})(?!\w)",
    re.UNICODE,
)
_ALLOWED_TAGS = {"p", "br", "a", "span"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "class", "target"}, "span": {"class"}}


@dataclass
class Parsed:
    html: str
    mentions: list[str] = field(default_factory=list)  # usernames as typed, each once
    tags: list[str] = field(default_factory=list)  # lower-case tag names, each once


def hashtags(text: str) -> list[str]:
    return list(dict.fromkeys(m["tag"].lower() for m in _TOKEN.finditer(text) if m["tag"]))


def mentioned_usernames(text: str) -> list[str]:
    return list(dict.fromkeys(m["mention"] for m in _TOKEN.finditer(text) if m["mention"]))


def render(text: str, base_url: str, known: dict[str, str] | None = None) -> Parsed:
    """HTML for `text`. `known` maps lower-cased usernames that exist to their canonical
    spelling; only those become mention links (an unknown @name stays text)."""
    known = known or {}
    paragraphs = re.split(r"\n{2,}", text.strip())
    parsed = Parsed(html="")
    parts = []
    for paragraph in paragraphs:
        lines = [_render_line(line, base_url, known, parsed) for line in paragraph.split("\n")]
        parts.append("<p>" + "<br>".join(lines) + "</p>")
    parsed.html = clean("".join(parts))
    parsed.mentions = list(dict.fromkeys(parsed.mentions))
    parsed.tags = list(dict.fromkeys(parsed.tags))
    return parsed


def _render_line(line: str, base_url: str, known: dict[str, str], parsed: Parsed) -> str:
    out = []
    position = 0
    for match in _TOKEN.finditer(line):
        out.append(html.escape(line[position : match.start()], quote=False))
        position = match.end()
        if match["url"]:
            url = match["url"]
            out.append(f'<a href="{html.escape(url)}" target="_blank">{html.escape(url, quote=False)}</a>')
        elif match["mention"]:
            username = known.get(match["mention"].lower())
            if username is None:
                out.append(html.escape(match.group(0), quote=False))
                continue
            parsed.mentions.append(username)
            out.append(
                f'<span class="h-card"><a href="{base_url}/@{username}" class="u-url mention">'
                f"@<span>{username}</span></a></span>"
            )
        else:
            tag = match["tag"]
            parsed.tags.append(tag.lower())
            href = f"{base_url}/tags/{tag.lower()}"
            out.append(f'<a href="{href}" class="mention hashtag">#<span>{html.escape(tag)}</span></a>')
    out.append(html.escape(line[position:], quote=False))
    return "".join(out)


def clean(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )


@functools.lru_cache(maxsize=4096)
def plain_to_html(text: str) -> str:
    """A bio or other plain text as safe HTML paragraphs, with no links made."""
    if not text.strip():
        return ""
    paragraphs = re.split(r"\n{2,}", text.strip())
    return clean(
        "".join("<p>" + "<br>".join(html.escape(p, quote=False).split("\n")) + "</p>" for p in paragraphs)
    )
