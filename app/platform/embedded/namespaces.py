"""How the server's SQL names one collection's documents where a bound parameter will not do."""


def namespace_sql(db_name, coll_name):
    """Return the SQL condition selecting one collection's documents, its names written out as SQL literals.

    Each collection's expression indexes are partial indexes over exactly this condition: SQLite can prove a query
    reads only what such an index holds when the query names the collection the same way, which a read that insists
    on an index (INDEXED BY) must, since that proof is made before any parameter is bound.
    """
    return f"db_name = {_literal(db_name)} AND coll_name = {_literal(coll_name)}"


def _literal(text):
    return "'" + str(text).replace("'", "''") + "'"
