"""Lazy iteration over the API's paginated lists, in both of its styles (docs/api-contract.md#pagination).

* page style (``?page=&limit=`` -> ``meta:{page, limit, total, totalPages}``): runs, deployments,
  webhook request logs;
* offset style (``?offset=&limit=`` -> ``meta:{total, limit, offset}``): patterns.

A `Paginator` fetches nothing until it is iterated, then one page at a time. It stops when the meta says
the last page was read, when a page comes back short or empty (a safety net against a server whose
totals are wrong), or after `max_pages` pages (a guard against a server that never stops).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, Literal, TypeVar

from ._envelope import unwrap_list

__all__ = ["PageFetcher", "PaginationStyle", "Paginator"]

T = TypeVar("T")
PaginationStyle = Literal["page", "offset"]
# Called with the query parameters of one page; returns the decoded JSON body of the answer.
PageFetcher = Callable[[dict[str, Any]], Any]

MAX_PAGE_SIZE = 100  # the API's documented maximum `limit`


class Paginator(Generic[T]):
    """A lazy, re-iterable sequence of API objects spread over pages.

    ``for item in paginator`` yields items, fetching the next page only when the current one is used up;
    ``paginator.pages()`` yields whole pages (lists); ``paginator.to_list()`` loads everything, explicitly.
    Every new iteration starts again from the first page (and so sees fresh data).
    """

    def __init__(
        self,
        fetch: PageFetcher,
        parse: Callable[[Any], T],
        *,
        style: PaginationStyle,
        page_size: int = MAX_PAGE_SIZE,
        params: Mapping[str, Any] | None = None,
        list_key: str = "data",
        max_pages: int = 100_000,
    ) -> None:
        if style not in ("page", "offset"):
            raise ValueError(f"style must be 'page' or 'offset', got {style!r}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        self._fetch = fetch
        self._parse = parse
        self._style: PaginationStyle = style
        self._page_size = page_size
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._list_key = list_key
        self._max_pages = max_pages

    def __repr__(self) -> str:
        return f"Paginator(style={self._style!r}, page_size={self._page_size}, params={self._params!r})"

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page

    def pages(self) -> Iterator[list[T]]:
        """Yield one list of parsed items per page, fetching each page when it is asked for.

        An object seen on an earlier page is not yielded again: with offset paging, a create between
        two fetches shifts later items down by one, and the same object would otherwise come twice.
        """
        page_number, offset = 1, 0
        seen_ids: set[str] = set()
        for _ in range(self._max_pages):
            params = dict(self._params, limit=self._page_size)
            if self._style == "page":
                params["page"] = page_number
            else:
                params["offset"] = offset
            raw_items, meta = unwrap_list(self._fetch(params), self._list_key)
            if not raw_items:
                return
            fresh = [raw for raw in raw_items if _first_sighting(raw, seen_ids)]
            if fresh:
                yield [self._parse(raw) for raw in fresh]
            offset += len(raw_items)
            if self._is_last(meta, page_number, offset, len(raw_items)):
                return
            page_number += 1

    def to_list(self) -> list[T]:
        """Fetch every page and return all items (use iteration when the list may be large)."""
        return list(self)

    def first(self) -> T | None:
        """Return the first item, fetching only the first page; None when the list is empty."""
        return next(iter(self), None)

    def _is_last(self, meta: Mapping[str, Any], page_number: int, offset: int, count: int) -> bool:
        # Trust the meta first (either style's keys, whatever style we asked in), then fall back to a
        # short page, which can only be the last one.
        total_pages = _as_int(meta.get("totalPages"))
        if total_pages is not None:
            return page_number >= total_pages
        total = _as_int(meta.get("total"))
        if total is not None:
            if self._style == "offset":
                start = _as_int(meta.get("offset"))
                end = (start + count) if start is not None else offset
            else:
                end = offset
            return end >= total
        limit = _as_int(meta.get("limit")) or self._page_size
        return count < limit


def _first_sighting(raw: Any, seen_ids: set[str]) -> bool:
    object_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(object_id, str):
        return True  # nothing to recognise it by
    if object_id in seen_ids:
        return False
    seen_ids.add(object_id)
    return True


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
