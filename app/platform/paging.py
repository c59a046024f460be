"""Paged JSON lists: the total in `X-Total-Count` and the neighbouring pages in an RFC 8288 `Link` header."""

from urllib.parse import urlencode


def page_links(base_url, args, page, per_page, total):
    """Return the Link header value for a page of a list (rel="prev" and rel="next"), or None when it has neither."""
    last = max(1, -(-total // per_page))
    links = []
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    if page < last:
        links.append((page + 1, "next"))
    if not links:
        return None
    keep = [(k, v) for k, v in args.items(multi=True) if k not in ("page", "perPage")]
    return ", ".join(
        f'<{base_url}?{urlencode([*keep, ("page", number), ("perPage", per_page)])}>; rel="{rel}"'
        for number, rel in links)


def paging_headers(base_url, args, page, per_page, total):
    """Return the headers of a page of a list: X-Total-Count, and Link when there is a page before or after."""
    headers = {"X-Total-Count": str(total)}
    link = page_links(base_url, args, page, per_page, total)
    if link:
        headers["Link"] = link
    return headers
