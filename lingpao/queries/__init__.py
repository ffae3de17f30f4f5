"""The pages' queries on the served copy, one module per page, each made for one viewer (its scope
bound once) and enforcing that scope below the page; the downloads are served through them."""

from lingpao.queries.applications import Applications
from lingpao.queries.base import EMPTY, FILTER_COLUMNS, NO_FILTERS, OFF_LIST, Filters, Served
from lingpao.queries.citydesk import CityDesk
from lingpao.queries.clusters import Clusters
from lingpao.queries.progress import Progress
from lingpao.queries.quality import Quality
from lingpao.queries.rounds import Rounds
from lingpao.queries.shortlist import Shortlist

__all__ = [
    "EMPTY",
    "FILTER_COLUMNS",
    "OFF_LIST",
    "Applications",
    "NO_FILTERS",
    "CityDesk",
    "Clusters",
    "Filters",
    "Progress",
    "Quality",
    "Rounds",
    "Served",
    "Shortlist",
]
