"""The derived SQL for Spark: engine/sql/derived/*.sql (the single definition) transpiled
by sqlglot at run time, with deliberate rewrites for what sqlglot passes through
unchanged or changes silently (docs/spark.md).

Pipeline per table: ``engine.derive.select_sql(table, None)`` (DuckDB SQL, classify.sql
filled in) -> parse (DuckDB, ``len`` kept apart from ``length``) -> the rewrites below on
the syntax tree -> ``sqlglot`` generates Spark SQL -> :func:`leftovers` must find no
DuckDB-only function in it (raises otherwise, and a test checks every table).

The rewrites, each because sqlglot would otherwise give Spark something wrong:

- **Nested CTE names.** events.sql's CTE ``classified`` holds classify.sql, whose own
  WITH also defines ``classified``. sqlglot hoists inner CTEs to the top level as they
  are, giving two CTEs of one name (Spark then resolves the wrong one or fails). Inner
  CTEs are hoisted here first, renamed ``<outer>__<inner>`` in their own scope.
- **``* REPLACE (...)``** (classify.sql's by_code) has no Spark form: every star is
  expanded with sqlglot's ``qualify`` over the tables' columns (``schema``), which also
  qualifies every column; USING joins become ON joins with the same columns.
- **``list(x ORDER BY y)``**: sqlglot writes ``collect_list(x)``, silently dropping the
  order. Written as ``transform(array_sort(collect_list(struct(y, x))), e -> e.v)``.
- **``len(list)``**: sqlglot parses DuckDB's ``len`` as ``length``, which in Spark is a
  string's length (an error on an array). Parsed as the array size: Spark ``size``.
- **``getvariable(name)``** (DuckDB session variables): replaced by the value as a
  literal (``VARIABLES``: the lexicon regexes, the negation regex), so classify.sql's
  guard checks on Spark that the literal, after Spark's string unescaping, equals the
  lake's theme_lexicon table.
- **``error(msg)``** -> ``raise_error(msg)``.
- **``regexp_full_match(s, p)``** has no Spark function; ``s RLIKE '^(?:p)$'`` would be
  wrong, Java's ``$`` matching before a final line break. Written as
  ``s RLIKE '^(?:p)\\z'`` (only for constant patterns, none of them from the lexicon).
- **The comment lexicon on RE2.** Java's regex engine reads ``\\b``, ``(?i)`` and
  character classes differently from RE2 (Unicode word characters, case folding), so no
  lexicon regex may run on it. Every regex function reading a lexicon variable becomes a
  vectorised pandas UDF over Google's RE2 (engine.spark_derive), the engine DuckDB uses:
  classify.sql's hit expression (a coalesce of regexp_extract over the rules) becomes
  ``voc_text_hit(comment)`` (the first rule that matches, its first match: the same
  answer, see engine.themes._text_hit), the negation blanking
  ``regexp_replace(x, getvariable(negation), ' ', 'g')`` becomes
  ``voc_re2_replace(x, pattern, ' ')``. Any other regex on a lexicon variable raises.
- **``strip_accents``** has no Spark function: ``voc_strip_accents`` (a pandas UDF: NFD,
  marks of category Mn/Mc/Me dropped, NFC, as DuckDB's utf8proc does; characters newer
  than Python's Unicode tables may differ).
- **What sqlglot gets right and the comparison test keeps checked**: ``trim(x)`` (both
  strip spaces only), ``trim(x, chars)`` -> ``TRIM(chars FROM x)``, ``CAST(ts AS DATE)``
  and ``CAST(ts AS VARCHAR)`` (the same text for timestamps without time zone, the
  session in UTC), ``arg_min`` -> ``min_by``, 1-based list indexes -> 0-based, DuckDB's
  float ``/`` and integer ``//`` (``DIV``; the derived SQL has neither today),
  ``list_filter`` lambdas, ``starts_with``, ``any_value`` (ignoring NULLs in both),
  ``count(*) FILTER``, ``GROUP BY ALL``.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.optimizer.qualify import qualify

SQLGLOT_VERSION = "30.30.0"  # requirements-spark.txt pins the same

# DuckDB functions the derived SQL may not hand to Spark, found in the generated text by
# name (a call: the name followed by "("). Taken from what engine/sql/derived/*.sql and
# classify.sql use (and their near relatives), see tests/engine/test_spark_derive.py.
DUCKDB_ONLY: tuple[str, ...] = (
    "getvariable",
    "error",
    "len",
    "list",
    "list_filter",
    "list_transform",
    "list_sort",
    "regexp_full_match",
    "regexp_matches",
    "strip_accents",
    "struct_pack",
    "arg_min",
    "arg_max",
    "epoch_us",
    "epoch_ms",
    "strftime",
    "strptime",
    "starts_with",
    "ends_with",
    "string_agg",
    "array_length",
)
# In Spark, regexes are Java's. Only these constant patterns (no lexicon) may reach it.
UDF_TEXT_HIT = "voc_text_hit"
UDF_REPLACE = "voc_re2_replace"
UDF_STRIP_ACCENTS = "voc_strip_accents"
LEXICON_VARIABLES = ("theme_lexicon_patterns", "theme_negation_pattern")
_REGEX_NODES = (exp.RegexpLike, exp.RegexpExtract, exp.RegexpReplace, exp.RegexpILike)


class SparkSqlError(ValueError):
    """A construct of the DuckDB SQL that no rewrite here handles: add one."""


class _Dialect(DuckDB):
    """DuckDB as sqlglot reads it, except that ``len`` is the size of a list (sqlglot
    would make it ``length``, a string's length in Spark)."""

    class Parser(DuckDB.Parser):
        FUNCTIONS = {
            **DuckDB.Parser.FUNCTIONS,
            "LEN": lambda args: exp.ArraySize(this=args[0]),
        }


def variables() -> dict[str, object]:
    """The DuckDB session variables classify.sql reads, as
    engine.themes.load_reference_tables sets them."""
    from engine import themes

    return {
        themes.PATTERNS_VARIABLE: list(themes.LEXICON.patterns),
        themes.NEGATION_VARIABLE: themes.LEXICON.negation_pattern,
    }


# --- the rewrites -------------------------------------------------------------------------


def _hoist_nested_ctes(tree: exp.Expression) -> exp.Expression:
    """Inner WITHs of CTEs moved to the top level, renamed ``<outer>__<inner>``."""
    with_ = tree.args.get("with_")
    if with_ is None:
        return tree
    hoisted: list[exp.CTE] = []
    for cte in list(with_.expressions):
        body = cte.this
        inner = body.args.get("with_") if isinstance(body, exp.Select) else None
        if inner is None:
            hoisted.append(cte)
            continue
        outer = cte.alias_or_name
        names = {c.alias_or_name: f"{outer}__{c.alias_or_name}" for c in inner.expressions}
        scope = [*(c.this for c in inner.expressions), body]
        for node in scope:
            for table in list(node.find_all(exp.Table)):
                if not table.db and table.name in names:
                    alias = table.alias or table.name
                    table.set("this", exp.to_identifier(names[table.name]))
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        for c in inner.expressions:
            if c.this.args.get("with_") is not None:
                raise SparkSqlError(f"CTE {c.alias_or_name} nests a WITH two levels deep")
            hoisted.append(exp.CTE(this=c.this, alias=exp.TableAlias(this=exp.to_identifier(
                names[c.alias_or_name]))))  # fmt: skip
        body.set("with_", None)
        hoisted.append(cte)
    with_.set("expressions", hoisted)
    return tree


def _variable(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous) and node.name.lower() == "getvariable":
        arg = node.expressions[0] if node.expressions else None
        if isinstance(arg, exp.Literal) and arg.is_string:
            return arg.this
        raise SparkSqlError("getvariable() needs a constant name")
    return None


def _reads_lexicon(node: exp.Expression) -> bool:
    return any(_variable(n) in LEXICON_VARIABLES for n in node.find_all(exp.Anonymous))


def _literal(value: object) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    raise SparkSqlError(f"no literal for a variable of type {type(value).__name__}")


def _lexicon_regexes(node: exp.Expression, values: dict[str, object]) -> exp.Expression:
    """Regexes over the lexicon -> RE2 UDFs (see the module docstring)."""
    if isinstance(node, exp.Coalesce) and any(
        isinstance(n, exp.RegexpExtract) and _reads_lexicon(n.expression)
        for n in node.find_all(exp.RegexpExtract)
    ):
        subjects = {n.this.sql() for n in node.find_all(exp.RegexpExtract, exp.RegexpLike)}
        if len(subjects) != 1:
            raise SparkSqlError("the lexicon hit expression reads more than one comment")
        subject = next(node.find_all(exp.RegexpExtract)).this.copy()
        hit = exp.Anonymous(this=UDF_TEXT_HIT, expressions=[subject])
        # a hit with no rule is NULL, as DuckDB's coalesce of NULLs is
        return exp.If(
            this=exp.Is(this=exp.Dot(this=hit.copy(), expression=exp.to_identifier("k")),
                        expression=exp.Null()),
            true=exp.Null(),
            false=hit,
        )  # fmt: skip
    if isinstance(node, exp.RegexpReplace) and _reads_lexicon(node.expression):
        name = _variable(node.expression)
        if name is None:
            raise SparkSqlError("regexp_replace over a pattern built from the lexicon")
        if node.args.get("modifiers") is not None and node.args["modifiers"].name != "g":
            raise SparkSqlError("regexp_replace over the lexicon with options other than 'g'")
        return exp.Anonymous(
            this=UDF_REPLACE,
            expressions=[node.this, _literal(values[name]), node.args["replacement"]],
        )
    if isinstance(node, _REGEX_NODES) and _reads_lexicon(node):
        raise SparkSqlError(f"no RE2 rewrite for {node.sql('duckdb')[:80]}")
    return node


def _functions(node: exp.Expression, values: dict[str, object]) -> exp.Expression:
    name = _variable(node)
    if name is not None:
        if name not in values:
            raise SparkSqlError(f"getvariable({name!r}): no value for Spark")
        return _literal(values[name])
    if isinstance(node, exp.Anonymous):
        fn = node.name.lower()
        if fn == "error":
            return exp.Anonymous(this="raise_error", expressions=node.expressions)
        if fn == "strip_accents":
            return exp.Anonymous(this=UDF_STRIP_ACCENTS, expressions=node.expressions)
    if isinstance(node, exp.RegexpFullMatch) or (
        isinstance(node, exp.Anonymous) and node.name.lower() == "regexp_full_match"
    ):
        subject, pattern = (
            (node.this, node.expression)
            if isinstance(node, exp.RegexpFullMatch)
            else tuple(node.expressions[:2])
        )
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise SparkSqlError("regexp_full_match with a pattern that is not a constant")
        return exp.RegexpLike(
            this=subject, expression=exp.Literal.string(f"^(?:{pattern.this})\\z")
        )
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        order = node.this
        keys = order.expressions
        if len(keys) != 1 or keys[0].args.get("desc"):
            raise SparkSqlError("list(... ORDER BY ...) with other than one ascending key")
        value, key = order.this, keys[0].this
        return sqlglot.parse_one(
            f"TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT({key.sql('spark')} AS k, "
            f"{value.sql('spark')} AS v))), e -> e.v)",
            read="spark",
        )
    return node


# --- the whole transpilation -------------------------------------------------------------


def transpile(duckdb_sql: str, schema: dict[str, dict[str, str]], values: dict[str, object]) -> str:
    """One DuckDB SELECT as Spark SQL (the rewrites of the module docstring).

    ``schema``: {table: {column: type}} of every table it reads (for star expansion);
    ``values``: the session variables getvariable() reads. Raises SparkSqlError for a
    construct no rewrite handles, or when the result still calls a DuckDB-only function.
    """
    tree = sqlglot.parse_one(duckdb_sql, read=_Dialect)
    tree = _hoist_nested_ctes(tree)
    tree = tree.transform(lambda n: _lexicon_regexes(n, values))
    tree = qualify(
        tree,
        schema=schema,
        dialect=_Dialect,
        quote_identifiers=False,
        identify=False,
        validate_qualify_columns=False,
    )
    tree = tree.transform(lambda n: _functions(n, values))
    text = tree.sql(dialect="spark", pretty=True)
    found = leftovers(text)
    if found:
        raise SparkSqlError(f"DuckDB-only functions left in the Spark SQL: {', '.join(found)}")
    return text


def leftovers(spark_sql: str) -> list[str]:
    """The DUCKDB_ONLY functions called in ``spark_sql`` (comments and strings ignored)."""
    code = _strip_strings_and_comments(spark_sql)
    return [f for f in DUCKDB_ONLY if re.search(rf"(?<![\w.]){f}\s*\(", code, re.IGNORECASE)]


def _strip_strings_and_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"--[^\n]*", " ", text)
    return re.sub(r"'(?:\\.|''|[^'\\])*'", "''", text)


@functools.cache
def derived_schema() -> dict[str, dict[str, str]]:
    """{table: {column: DuckDB type}} of the canonical, reference and derived tables, as
    DuckDB sees them (the derived ones from a DESCRIBE of their SQL over empty tables)."""
    import duckdb

    from engine import derive, store, themes

    con = duckdb.connect()
    try:
        store.ensure_schema(con)
        themes.load_reference_tables(con)
        for table in derive.DERIVED_SQL:
            con.execute(f"CREATE TABLE {table} AS {derive.select_sql(table, None)} LIMIT 0")
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, {})[column] = kind
    return out


def spark_select(table: str, values: dict[str, object] | None = None) -> str:
    """The Spark SQL deriving ``table`` (one of engine.derive.DERIVED_SQL), every offer."""
    from engine import derive

    return transpile(
        derive.select_sql(table, None),
        derived_schema(),
        variables() if values is None else values,
    )
