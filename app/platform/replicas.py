"""Replicas built from another context's events, applied strictly in version order."""

from . import uow
from .errors import EventNotReadyError


def apply_in_order(document_class, aggregate_id, version, fields, first_seen_ok=False):
    """Apply version `version` of an aggregate to its replica only after version-1; return whether it changed.

    With `first_seen_ok`, a replica that holds nothing of the aggregate yet starts from whichever version arrives
    first (for a context that began listening after the aggregate's first versions were relayed: events carry the
    whole state, and waiting for versions that will never come again would wait forever).
    """
    work = uow.current()
    collection = work.collection(document_class)
    values = {**fields, "version": version}
    if version == 0:
        return _start(collection, aggregate_id, values, work.session)  # else a redelivery of the first version
    result = collection.update_one({"_id": aggregate_id, "version": version - 1}, {"$set": values},
                                   session=work.session)
    if result.matched_count or (first_seen_ok and _start(collection, aggregate_id, values, work.session)):
        return True
    current = collection.find_one({"_id": aggregate_id}, {"version": 1}, session=work.session)
    if current is not None and current["version"] >= version:
        return False  # applied already
    raise EventNotReadyError(f"{document_class.__name__} {aggregate_id} is at "
                             f"{None if current is None else current['version']}, event is version {version}")


def _start(collection, aggregate_id, values, session):
    # An upsert, not an insert: a duplicate key error would abort the whole transaction on MongoDB.
    result = collection.update_one({"_id": aggregate_id}, {"$setOnInsert": values}, upsert=True, session=session)
    return result.upserted_id is not None
