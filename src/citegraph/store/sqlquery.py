"""Compile the dialect-neutral query model to parameterised SQL over the store's tables.

User text reaches SQL only as bound parameters: field names map through fixed tables to fixed
SQL fragments, and every value is a ``?``. Full-text predicates arrive already answered by the
search index (a work-id → score map per predicate) and enter SQL as one JSON parameter each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from citegraph import query as q

#: Work fields held in a ``works`` column, and the column.
COLUMN_FIELDS: dict[str, str] = {
    q.PUBLICATION_YEAR: "w.publication_year",
    q.PUBLICATION_DATE: "w.publication_date",
    q.TYPE: "w.type",
    q.TYPE_SOURCE: "w.type_source",
    q.LANGUAGE: "w.language",
    q.IS_OA: "w.is_oa",
    q.OA_STATUS: "w.oa_status",
    q.IS_RETRACTED: "w.is_retracted",
    q.IS_PARATEXT: "w.is_paratext",
    q.HAS_ABSTRACT: "w.has_abstract",
    q.CITED_BY_COUNT: "w.cited_by_count",
    q.REFERENCED_WORKS_COUNT: "w.referenced_works_count",
    q.AUTHORS_COUNT: "w.authors_count",
    q.PUBLISHER: "w.publisher",
    q.HAS_DOI: "w.has_doi",
    q.HAS_PMID: "w.has_pmid",
    q.HAS_PMCID: "w.has_pmcid",
    q.CREATED_DATE: "w.created_date",
    q.DEPOSITED_DATE: "w.deposited_date",
    q.INDEXED_DATE: "w.indexed_date",
    q.PRINT_DATE: "w.print_date",
    q.ONLINE_DATE: "w.online_date",
    q.MEMBER: "w.member",
    q.DOI_PREFIX: "w.doi_prefix",
    q.REFERENCE_VISIBILITY: "w.reference_visibility",
}

#: Multi-valued fields held in the ``facets`` table (the field name is stored as is).
FACET_FIELDS: frozenset[str] = frozenset({
    q.AUTHOR_ID, q.AUTHOR_ORCID, q.INSTITUTION_ID, q.INSTITUTION_ROR, q.COUNTRY_CODE, q.VENUE_ID, q.VENUE_ISSN,
    q.TOPIC_ID, q.PRIMARY_TOPIC_ID, q.CONCEPT_ID, q.KEYWORD, q.FUNDER_ID, q.CONTAINER_TITLE, q.FIELD_OF_STUDY,
    q.ISBN, q.LICENSE_URL, q.FUNDER_NAME, q.AFFILIATION_NAME, q.FULL_TEXT_TYPE, q.UPDATE_OF})

#: Has-flags: true when the work has a value in any of these facet fields (a flag is never unknown).
FLAG_FACETS: dict[str, tuple[str, ...]] = {
    q.HAS_ORCID: (q.AUTHOR_ORCID,),
    q.HAS_FUNDER: (q.FUNDER_ID, q.FUNDER_NAME),
    q.HAS_LICENSE: (q.LICENSE_URL,),
    q.HAS_FULL_TEXT: (q.FULL_TEXT_TYPE,),
    q.HAS_AFFILIATION: (q.INSTITUTION_ID, q.INSTITUTION_ROR, q.AFFILIATION_NAME),
    q.HAS_ROR_ID: (q.INSTITUTION_ROR,),
    q.IS_UPDATE: (q.UPDATE_OF,),
}


#: Sort keys and the expression each sorts by; missing values always sort last.
SORT_COLUMNS: dict[str, str] = {
    q.CITED_BY_COUNT: "w.cited_by_count",
    q.REFERENCED_WORKS_COUNT: "w.referenced_works_count",
    q.PUBLICATION_DATE: "w.publication_date",
    q.PUBLICATION_YEAR: "w.publication_year",
    q.CREATED_DATE: "w.created_date",
    q.DEPOSITED_DATE: "w.deposited_date",
    q.INDEXED_DATE: "w.indexed_date",
    q.PRINT_DATE: "w.print_date",
    q.ONLINE_DATE: "w.online_date",
    q.DISPLAY_NAME: "lower(w.title)",
    q.RELEVANCE: "coalesce(ts.score, 0.0)",
    q.WORK: "w.id",
}
#: Stand-ins for missing values so that NULLs sort last in either direction (and cursors hold no NULL).
_LAST_ASC = {"text": "\uffff", "int": 1 << 62}
_LAST_DESC = {"text": "", "int": -(1 << 62)}
_SORT_KIND = {q.PUBLICATION_DATE: "text", q.DISPLAY_NAME: "text", q.CREATED_DATE: "text", q.DEPOSITED_DATE: "text",
              q.INDEXED_DATE: "text", q.PRINT_DATE: "text", q.ONLINE_DATE: "text"}

#: Most groups one group-by answer holds: Crossref's facet `*` (OpenAlex's 200 is its page limit, checked there).
MAX_GROUPS = 1000

#: The works with any value of one facet field (the field is the parameter).
FACET_WORKS = ("SELECT f.work_id FROM facets f WHERE f.value_id IN (SELECT id FROM facet_values WHERE field = ?)")


def _any_facet_works(fields: int) -> str:
    """The works with any value of any of ``fields`` facet fields (the field names are the parameters)."""
    marks = ", ".join("?" * fields)
    return f"SELECT f.work_id FROM facets f WHERE f.value_id IN (SELECT id FROM facet_values WHERE field IN ({marks}))"


#: An id value as the facets table stores it.
def facet_value(value: object) -> str:
    """How a query value is written in the facets table: ``scheme:value`` for ids, lowercase keywords."""
    if isinstance(value, tuple):
        return f"{value[0]}:{value[1]}"
    return str(value).lower()


TextResolver = Callable[[q.Text], dict[int, float]]


@dataclass
class Compiled:
    """SQL pieces for one query."""

    where: str
    params: list[object]
    joins: str = ""
    join_params: list[object] = field(default_factory=list)


class Compiler:
    """Turns a Query into SQL; ``resolve_text`` answers Text predicates from the search index."""

    def __init__(self, resolve_text: TextResolver) -> None:
        self.resolve_text = resolve_text
        self.scores: dict[int, float] = {}

    def compile(self, query: q.Query) -> Compiled:
        params: list[object] = []
        parts = ["w.stub = 0"]
        if query.where is not None and query.where.parts:
            parts.append(self._pred(query.where, params))
        if query.text is not None:
            hits = self.resolve_text(q.Text(q.FULLTEXT_DEFAULT, query.text))
            self._score(hits)
            parts.append(f"w.id IN ({self.id_set(list(hits), params)})")
        out = Compiled(where=" AND ".join(parts), params=params)
        if self.scores:
            out.joins = f" LEFT JOIN ({self.score_rows(out.join_params)}) ts ON ts.k = w.id"
        else:
            out.joins = " LEFT JOIN (SELECT 0 AS k, 0.0 AS score) ts ON ts.k = w.id"
        return out

    def id_set(self, keys: list[int], params: list[object]) -> str:
        """A subquery of these work keys (one JSON parameter: a list of any length is one bound value)."""
        params.append(json.dumps(keys))
        return "SELECT value FROM json_each(?)"

    def score_rows(self, params: list[object]) -> str:
        """A subquery of (k, score) rows: each scored work key and its relevance."""
        params.append(json.dumps({str(k): v for k, v in self.scores.items()}))
        return "SELECT CAST(key AS INTEGER) AS k, value AS score FROM json_each(?)"

    def _score(self, hits: dict[int, float]) -> None:
        for key, score in hits.items():
            self.scores[key] = self.scores.get(key, 0.0) + score

    def _pred(self, p: q.Predicate, params: list[object]) -> str:
        if isinstance(p, q.And):
            return "(" + " AND ".join(self._pred(x, params) for x in p.parts) + ")" if p.parts else "true"
        if isinstance(p, q.Or):
            return "(" + " OR ".join(self._pred(x, params) for x in p.parts) + ")" if p.parts else "false"
        if isinstance(p, q.Text):
            hits = self.resolve_text(p)
            if not p.negate:
                self._score(hits)
            return ("w.id NOT IN" if p.negate else "w.id IN") + f" ({self.id_set(list(hits), params)})"
        if isinstance(p, q.Eq):
            sql = self._eq(p.field, p.values, params)
            return f"NOT coalesce({sql}, false)" if p.negate else sql
        if isinstance(p, q.Range):
            return self._range(p, params)
        if isinstance(p, q.IsNull):
            sql = self._null(p.field, params)
            return f"NOT ({sql})" if p.negate else sql
        raise q.QueryError(f"unsupported predicate {p!r}")

    # --- one field --------------------------------------------------------------------------------
    def _ids_subquery(self, values: tuple[object, ...], params: list[object]) -> str:
        rows = []
        for v in values:
            assert isinstance(v, tuple)
            rows.append("(?, ?)")
            params.extend(v)
        return f"SELECT work_id FROM work_ids WHERE (scheme, value) IN (VALUES {', '.join(rows)})"

    def _eq(self, name: str, values: tuple[object, ...], params: list[object]) -> str:
        kind = q.FIELDS[name]
        if name in COLUMN_FIELDS:
            col = COLUMN_FIELDS[name]
            if kind is q.FieldKind.KEYWORD:
                col = f"lower({col})"
            vals = [int(v) if isinstance(v, bool) else v for v in values]
            params.extend(vals)
            return f"{col} IN ({', '.join('?' * len(vals))})"
        if name in FLAG_FACETS:
            fields = FLAG_FACETS[name]
            return _flag(values, f"w.id IN ({_any_facet_works(len(fields))})", list(fields), params)
        if name == q.HAS_REFERENCES:
            return _flag(values, "w.referenced_works_count > 0", [], params)
        if name == q.WORK_ID:
            return f"w.id IN ({self._ids_subquery(values, params)})"
        if name == q.CITES:
            return f"w.id IN (SELECT c.citing FROM citers c WHERE c.cited IN ({self._ids_subquery(values, params)}))"
        if name == q.CITED_BY:
            return f"w.id IN (SELECT e.cited FROM edges e WHERE e.citing IN ({self._ids_subquery(values, params)}))"
        if name in FACET_FIELDS:
            params.append(name)
            vals = [facet_value(v) for v in values]
            params.extend(vals)
            return (f"w.id IN (SELECT f.work_id FROM facets f WHERE f.value_id IN (SELECT id FROM facet_values"
                    f" WHERE field = ? AND value IN ({', '.join('?' * len(vals))})))")
        raise q.QueryError(f"the field {name} cannot be filtered on in this store")

    def _range(self, p: q.Range, params: list[object]) -> str:
        col = COLUMN_FIELDS.get(p.field)
        if col is None:
            raise q.QueryError(f"the field {p.field} has no range in this store")
        conds = []
        if p.low is not None:
            conds.append(f"{col} {'>=' if p.low_inclusive else '>'} ?")
            params.append(p.low)
        if p.high is not None:
            conds.append(f"{col} {'<=' if p.high_inclusive else '<'} ?")
            params.append(p.high)
        sql = "(" + " AND ".join(conds) + ")"
        return f"({col} IS NULL OR NOT {sql})" if p.negate else sql  # plain NOT: no value is outside too

    def _null(self, name: str, params: list[object]) -> str:
        if name in COLUMN_FIELDS:
            return f"{COLUMN_FIELDS[name]} IS NULL"
        if name in FLAG_FACETS or name == q.HAS_REFERENCES:
            return "false"  # a has-flag is always known: true or false
        if name == q.WORK_ID:
            return "false"
        if name == q.CITES:
            return "w.referenced_works_count = 0"
        if name == q.CITED_BY:
            return "w.cited_by_count = 0"
        if name in FACET_FIELDS:
            params.append(name)
            return f"w.id NOT IN ({FACET_WORKS})"
        raise q.QueryError(f"the field {name} cannot be tested for null in this store")


def _flag(values: tuple[object, ...], sql: str, sql_params: list[object], params: list[object]) -> str:
    """A has-flag filter: ``sql`` holds for true, fails for false; both values together hold for all."""
    wanted = {bool(v) for v in values}
    if wanted == {True, False}:
        return "true"
    params.extend(sql_params)
    return sql if True in wanted else f"NOT ({sql})"


def sort_expr(sort: q.Sort) -> str:
    """The SQL a sort key orders by, with missing values replaced so they sort last."""
    col = SORT_COLUMNS[sort.key]
    kind = _SORT_KIND.get(sort.key, "int")
    if sort.key in (q.CITED_BY_COUNT, q.REFERENCED_WORKS_COUNT, q.WORK, q.RELEVANCE):
        return col  # never NULL
    filler = (_LAST_DESC if sort.descending else _LAST_ASC)[kind]
    return f"coalesce({col}, '{filler}')" if kind == "text" else f"coalesce({col}, {filler})"


def cursor_fits(sort: q.Sort, value: object) -> bool:
    """Whether a cursor's value is of the kind its sort key orders by (a cursor is not signed: it may be forged)."""
    if isinstance(value, bool):
        return False
    if sort.key == q.RELEVANCE:
        return isinstance(value, int | float)
    return isinstance(value, str) if _SORT_KIND.get(sort.key, "int") == "text" else isinstance(value, int)


def keyset(sorts: tuple[q.Sort, ...], after: tuple[object, ...], params: list[object]) -> str:
    """Rows strictly after ``after`` in the order ``sorts`` (mixed directions allowed). A value of another kind than
    its key's is a CursorSortError (a database server refuses to compare text with a number; SQLite would misorder)."""
    if not all(cursor_fits(s, v) for s, v in zip(sorts, after, strict=False)):
        raise q.CursorSortError("the cursor does not fit this sort")
    ors = []
    for i, s in enumerate(sorts):
        ands = []
        for j in range(i):
            ands.append(f"{sort_expr(sorts[j])} = ?")
            params.append(after[j])
        ands.append(f"{sort_expr(s)} {'<' if s.descending else '>'} ?")
        params.append(after[i])
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")"


def page_bounds(limit: int, offset: int = 0) -> str:
    """`` LIMIT n OFFSET m`` written into a statement, not bound: a database server plans a prepared statement once
    only when a plan for any values costs no more than one for these, and a bound LIMIT makes every plan look
    dearer (PostgreSQL then plans a citer page anew on every execution, 0.3–0.5 ms). Integers only, never text."""
    return f" LIMIT {int(limit)} OFFSET {int(offset)}"
