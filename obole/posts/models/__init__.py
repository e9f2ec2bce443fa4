from obole.posts.models.conversation import Conversation
from obole.posts.models.edit import StatusEdit
from obole.posts.models.fanout import PendingFanOut
from obole.posts.models.feed import HomeFeedEntry
from obole.posts.models.filter import Filter, FilterKeyword, FilterStatus
from obole.posts.models.interactions import Bookmark, Favourite
from obole.posts.models.lists import AccountList, ListMember
from obole.posts.models.notification import Notification
from obole.posts.models.pin import Pin
from obole.posts.models.poll import Poll, PollVote
from obole.posts.models.status import IdempotencyKey, Mention, Status, Visibility
from obole.posts.models.tag import StatusTag, Tag, TagFollow

__all__ = [
    "AccountList",
    "Bookmark",
    "Conversation",
    "Favourite",
    "Filter",
    "FilterKeyword",
    "FilterStatus",
    "HomeFeedEntry",
    "IdempotencyKey",
    "ListMember",
    "Mention",
    "Notification",
    "PendingFanOut",
    "Pin",
    "Poll",
    "PollVote",
    "Status",
    "StatusEdit",
    "StatusTag",
    "Tag",
    "TagFollow",
    "Visibility",
]
