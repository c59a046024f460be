"""The engine's reads in index order: equality + range + sort answered from a compound MongoDB index's SQLite index.

mongoeco makes each ordered MongoDB index a SQLite expression index on its `documents` table: db_name, coll_name,
then per key its tag `COALESCE(json_extract(document, '$.f."$mongoeco".type'), '')` and its value
`COALESCE(json_extract(document, '$.f."$mongoeco".value'), json_extract(document, '$.f'))` (DESC for -1). Its planner
reads one only for a single equality or range on a single-field index with no sort; any other query evaluates its
JSON predicate on every document of the collection, sorts them by BSON type rank then value in a temporary B-tree,
and first evaluates the predicate over the collection once more per sort field (is a sorted value an array or an
object?).

Here a query whose string or boolean equalities are an index's leading keys, whose sort (ending in `_id`, so there
are no ties) is the index's next keys, or (a count) whose range is on the next key, is read from that index: the
WHERE adds conditions in the index's expressions that mongoeco's predicate implies, so SQLite seeks the index, and
the ORDER BY names the index's columns, so rows come out in index order with no sort. That is done only where the
answer is provably mongoeco's, checked at each query by a few seeks of the index (no document read), and only in a
collection with no user "$mongoeco" key (a fact the engine keeps, see engine.py), where the index expressions read
each value as what it is:
- `tag = '' AND value = ?` for an equality on a string, in a collection holding no array at that key (mongoeco's own
  fact): a text equal to the string is exactly that when the string does not start like JSON ("{", "[");
- `tag = '' AND value = 1` (or 0) for an equality on a boolean, in such a collection: a boolean is stored as 1 or 0,
  so the seek also reads the numbers 1 and 0, and mongoeco's own condition is kept to tell them apart;
- the index order is mongoeco's order when, among the documents the equalities select, each sort key holds one
  kind of value: all datetimes (one tag, so one rank, then the same value order), or all JSON numbers (no null,
  missing, text, object, array, or boolean; a boolean is stored as 0 or 1, so only documents at 0 and 1 are read to
  tell), and when the collection's `_id`s are all ObjectIds or all strings (their storage keys, which name the type,
  all start alike: seen from the smallest and the largest key);
- `tag = ? AND value > ?` (etc.) for a range on that key with a bound of that kind: there mongoeco's comparison by
  type rank reduces to exactly this.
A condition so written replaces mongoeco's (counts then read the index alone); every other condition is mongoeco's
own SQL, kept whole. Anything else is left to mongoeco. A find without a sort keeps mongoeco's plan (and order).
"""

import re

from .namespaces import namespace_sql

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def ordered_reads_class():
    """Return the mixin that reads mongoeco's compound indexes in order (a base before SQLiteEngine)."""
    import math
    import threading
    from datetime import datetime

    from mongoeco.core.query_plan import (
        AndCondition,
        EqualsCondition,
        GreaterThanCondition,
        GreaterThanOrEqualCondition,
        LessThanCondition,
        LessThanOrEqualCondition,
    )
    from mongoeco.engines.sqlite_query import (
        _normalize_comparable_value,
        index_expressions_sql,
        json_path_for_field,
    )
    from mongoeco.types import ObjectId

    range_sql = {GreaterThanCondition: ">", GreaterThanOrEqualCondition: ">=", LessThanCondition: "<",
                 LessThanOrEqualCondition: "<="}

    class OrderedReads:
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._counting = threading.local()
            # The storage key of an ObjectId or a string _id up to its value: the same for every _id of that type,
            # unlike any other type's.
            self._id_key_prefixes = tuple(prefix for prefix in (self._key_prefix(ObjectId()),
                                                                self._key_prefix("0f")) if prefix)

        def _key_prefix(self, probe):
            key = self._storage_key(probe)
            return key[:key.index(str(probe))] if str(probe) in key else None

        # --- mongoeco's hooks ---------------------------------------------------------------------------------

        def _build_scalar_sort_select_sql(self, db_name, coll_name, plan, *, select_clause, sort, skip, limit, hint):
            # mongoeco asks this first for every SQL read (its own single-field-sort shortcut); None: its usual SQL.
            if hint is None and (sort or getattr(self._counting, "on", False)):
                read = self._ordered_read(db_name, coll_name, plan, sort)
                if read is not None:
                    return self._ordered_select(db_name, coll_name, read, select_clause, skip, limit)
            return super()._build_scalar_sort_select_sql(
                db_name, coll_name, plan, select_clause=select_clause, sort=sort, skip=skip, limit=limit, hint=hint)

        def _sort_requires_python(self, db_name, coll_name, plan, sort):
            # mongoeco's last check evaluates the filter over the collection once per sort field, looking for an
            # array or an object among the sorted values; the index read has shown there is none.
            if sort and self._ordered_read(db_name, coll_name, plan, sort) is not None and not (
                    self._plan_has_array_traversing_paths(db_name, coll_name, plan)
                    or any(self._field_traverses_array_in_collection(db_name, coll_name, field)
                           or self._field_contains_tagged_bytes_in_collection(db_name, coll_name, field)
                           or self._field_contains_tagged_undefined_in_collection(db_name, coll_name, field)
                           for field, _ in sort)):
                return False
            return super()._sort_requires_python(db_name, coll_name, plan, sort)

        def _count_matching_documents_sync(self, *args, **kwargs):
            # A count has no order to keep: it may read whichever index its equalities and range lead.
            self._counting.on = True
            try:
                return super()._count_matching_documents_sync(*args, **kwargs)
            finally:
                self._counting.on = False

        # --- the plan -----------------------------------------------------------------------------------------

        def _ordered_read(self, db_name, coll_name, plan, sort):
            """Return (physical index, [(sql, params)], clauses left to mongoeco, ORDER BY) or None."""
            wanted = list(sort or ())
            if wanted and (wanted[-1][0] != "_id" or len({field for field, _ in wanted}) != len(wanted)
                           or not all(type(direction) is int and direction in (1, -1) for _, direction in wanted)):
                return None  # without `_id` last, ties would come out in whichever order each plan reads them
            clauses = plan.clauses if isinstance(plan, AndCondition) else (plan,)
            if self._holds_foreign_marker(db_name, coll_name):
                return None
            best = None
            for index in self._load_indexes(db_name, coll_name):
                candidate = self._match_index(db_name, coll_name, index, clauses, wanted)
                if candidate is not None and (best is None or candidate[0] > best[0]):
                    best = candidate
            return None if best is None else best[1]

        def _match_index(self, db_name, coll_name, index, clauses, wanted):
            keys = list(index.get("key") or ())
            physical = index.get("physical_name")
            if not physical or index.get("hidden") or not keys or not all(
                    isinstance(field, str) and _FIELD.match(field) and type(direction) is int
                    and direction in (1, -1) for field, direction in keys):
                return None
            equal = {}  # leading key -> the equality clause it seeks
            for field, _ in keys:
                clause = next((c for c in clauses if type(c) is EqualsCondition and c.field == field
                               and _seekable(c.value)), None)
                if clause is None or field == "_id":
                    break
                equal[field] = clause
            rest = keys[len(equal):]
            if wanted:
                ways = [d for _, d in rest[:len(wanted)]]
                if [f for f, _ in rest[:len(wanted)]] != [f for f, _ in wanted] or not (
                        ways == [d for _, d in wanted] or [-d for d in ways] == [d for _, d in wanted]):
                    return None
            if any(self._field_is_top_level_array_in_collection(db_name, coll_name, field) for field in equal):
                return None
            conditions = []
            for field, clause in equal.items():
                tag, value = index_expressions_sql(field)
                # A boolean is stored as 1 or 0, as the numbers 1 and 0 are: the seek reads both and mongoeco's own
                # condition, kept, tells them apart.
                conditions.append((f"{tag} = '' AND {value} = ?", [_seek_value(clause.value)]))
            conn, quoted = self._require_connection(), self._quote_identifier(str(physical))
            scope = (f"FROM documents INDEXED BY {quoted} WHERE {namespace_sql(db_name, coll_name)}"
                     + "".join(f" AND {sql}" for sql, _ in conditions),
                     [p for _, params in conditions for p in params])
            answered = [clause for clause in equal.values() if type(clause.value) is str]
            after = rest[0][0] if rest and rest[0][0] != "_id" else None
            bounded = [c for c in clauses if type(c) in range_sql and c.field == after]
            if not (wanted or equal or bounded):
                return None  # a count this index cannot narrow
            kind = self._kind(conn, scope, after) if after is not None and (wanted or bounded) else None
            bounds = [_bound(kind, clause.value) for clause in bounded]
            if bounded and None not in bounds:
                tag, value = index_expressions_sql(after)
                for clause, (bound_tag, bound) in zip(bounded, bounds, strict=True):
                    conditions.append((f"{tag} = ? AND {value} {range_sql[type(clause)]} ?", [bound_tag, bound]))
                answered += bounded
            order = []
            for position, (field, direction) in enumerate(wanted):
                if field == "_id":
                    if not self._ids_of_one_type(conn, db_name, coll_name):
                        return None
                elif (kind if position == 0 else self._kind(conn, scope, field)) is None:
                    return None  # a later key is checked over the whole scope: one kind there is one kind in each tie
                tag, value = index_expressions_sql(field)
                way = "ASC" if direction == 1 else "DESC"
                # A tag held equal by a range condition is left out: SQLite then no longer sees the index's order.
                order.append(f"{value} {way}" if field == after and bounded and None not in bounds
                             else f"{tag} {way}, {value} {way}")
            if not wanted and not conditions:
                return None
            left = [c for c in clauses if not any(c is a for a in answered)]
            score = 2 * len(equal) + bool(bounded and None not in bounds)
            return score, (str(physical), conditions, left, ("ORDER BY " + ", ".join(order)) if order else "")

        def _kind(self, conn, scope, field):
            """Return "datetime", "number" or "empty" when every value of `field` in the scope is of it, else None."""
            tag, value = index_expressions_sql(field)
            sql, params = scope
            low, high = conn.execute(f"SELECT (SELECT MIN({tag}) {sql}), (SELECT MAX({tag}) {sql})",
                                     params * 2).fetchone()
            if low is None:
                return "empty"
            if low != high or low not in ("datetime", ""):
                return None
            if low == "datetime":
                return "datetime"
            top = conn.execute(f"SELECT MAX({value}) {sql} AND {tag} = ''", params).fetchone()[0]
            if type(top) not in (int, float):
                return None  # a text (or an object or array, stored as JSON text) sorts above every number
            if conn.execute(f"SELECT 1 {sql} AND {tag} = '' AND {value} IS NULL LIMIT 1", params).fetchone():
                return None  # missing or null
            if conn.execute(f"SELECT 1 {sql} AND {tag} = '' AND {value} IN (0, 1) "
                            "AND json_type(document, ?) IN ('true', 'false') LIMIT 1",
                            [*params, json_path_for_field(field)]).fetchone():
                return None  # a boolean
            return "number"

        def _ids_of_one_type(self, conn, db_name, coll_name):
            """Return whether the collection's `_id`s are all ObjectIds or all strings."""
            scope = "FROM documents WHERE db_name = ? AND coll_name = ?"
            low, high = conn.execute(f"SELECT (SELECT MIN(storage_key) {scope}), (SELECT MAX(storage_key) {scope})",
                                     (db_name, coll_name) * 2).fetchone()
            # Every key between two that start alike starts alike too.
            return low is None or any(low.startswith(prefix) and high.startswith(prefix)
                                      for prefix in self._id_key_prefixes)

        def _ordered_select(self, db_name, coll_name, read, select_clause, skip, limit):
            physical, conditions, left, order_sql = read
            fragments = [self._translate_query_plan_with_multikey(db_name, coll_name, clause) for clause in left]
            return self._build_select_statement_with_custom_order(
                select_clause=select_clause,
                from_clause=f"documents INDEXED BY {self._quote_identifier(physical)}",
                namespace_sql=namespace_sql(db_name, coll_name) + "".join(f" AND {sql}" for sql, _ in conditions),
                namespace_params=tuple(p for _, params in conditions for p in params),
                where_fragment=(" AND ".join(f"({sql})" for sql, _ in fragments) or "1 = 1",
                                [p for _, params in fragments for p in params]),
                order_sql=f" {order_sql}" if order_sql else "",
                skip=skip,
                limit=limit,
            )

    def _seekable(value):
        """Return whether an equality to `value` can seek an index (a string not read as JSON, or a boolean)."""
        return type(value) is bool or (type(value) is str and not value.startswith(("{", "[")))

    def _seek_value(value):
        return int(value) if type(value) is bool else value

    def _bound(kind, value):
        """Return (tag, comparable) of a range bound on a key of `kind`, or None if the bound is of another kind."""
        if kind == "number" and type(value) in (int, float) and not (type(value) is float and math.isnan(value)):
            return "", value
        if kind == "datetime" and isinstance(value, datetime):
            tag, comparable = _normalize_comparable_value(value)
            return (tag, comparable) if tag == "datetime" else None
        return None

    return OrderedReads
