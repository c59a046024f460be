"""Words people search by: the `keywords` a document is found under, and the words of a query.

Search matches every query word against the start of a word of the document ("mad" finds "Madison Square Garden"),
case- and accent-insensitively. Rather than a `$text` index (the embedded MongoDB runs `$text` in Python over the whole
collection) or a regular expression per word, each document stores every prefix of each of its words, so a query is
one exact `$all` on a multikey-indexed array, which a real MongoDB answers from the index and the embedded one from
SQLite's JSON functions without a Python fallback.
"""

import re
import unicodedata

MAX_PREFIX = 15  # a query word longer than this matches on its first 15 letters
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"\w+")


def words(text):
    """Return the lowercase, accent-free words of a text, in order, without repeats."""
    folded = unicodedata.normalize("NFKD", text or "").casefold()
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return list(dict.fromkeys(_WORD.findall(plain)))


def keywords(*texts):
    """Return the sorted search keys of some texts: every prefix (up to MAX_PREFIX letters) of each of their words."""
    keys = set()
    for text in texts:
        for word in words(text):
            keys.update(word[:length] for length in range(1, min(len(word), MAX_PREFIX) + 1))
    return sorted(keys)


def query_terms(query):
    """Return the search keys a query must all match (its first MAX_QUERY_WORDS words, cut to MAX_PREFIX letters)."""
    return list(dict.fromkeys(word[:MAX_PREFIX] for word in words(query)[:MAX_QUERY_WORDS]))


def city_key(city):
    """Return a city's name as the city filter compares it: its words, lowercase and accent-free."""
    return " ".join(words(city))
