"""The derivation on Apache Spark: the lake's canonical Parquet -> DIR/derived (docs/spark.md).

Runs the Spark SQL of engine.spark_sql (the project's DuckDB SQL, transpiled by sqlglot
with the rewrites listed there) table by table, in engine.derive.DERIVED_SQL order, each
written as Parquet and read back as the view the next table reads. The comment lexicon
runs on RE2 (google-re2) in vectorised pandas UDFs, the regex engine DuckDB uses, so
Java's regexes never decide a theme. Local mode (``local[*]``) by default, any master by
URL. pyspark is imported here only, so the default install needs neither it nor Java.
"""

import functools
import os
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from engine import derive as derivation
from engine import lake, spark_sql, themes

Progress = Callable[[str], None]
LOG4J = Path(__file__).parent / "spark" / "log4j2.properties"
DEFAULT_MASTER = "local[*]"


class SparkUnavailable(ImportError):
    """pyspark, google-re2 or Java is missing; the message says how to install them."""


def _require() -> None:
    missing = []
    for module, package in (("pyspark", "pyspark"), ("re2", "google-re2"), ("pandas", "pandas")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise SparkUnavailable(
            f"--engine spark needs {', '.join(missing)} (not in the default install): run "
            "scripts/setup-spark, which installs requirements-spark.txt and Java"
        )
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and not shutil.which("java"):
        raise SparkUnavailable(
            "--engine spark needs Java (17 or later): run scripts/setup-spark, or set JAVA_HOME"
        )


def session(master: str | None = None, *, app_name: str = "voc-derive"):
    """A SparkSession for the derivation: UTC, few shuffle partitions, no UI, quiet logs,
    the Python workers on this interpreter. SparkUnavailable when it cannot start."""
    _require()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    log4j = f"-Dlog4j2.configurationFile=file:{LOG4J}"
    builder = (
        SparkSession.builder.master(master or DEFAULT_MASTER)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", f"{log4j} -Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", f"{log4j} -Duser.timezone=UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("VOC_SPARK_PARTITIONS", "4"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
    )
    try:
        spark = builder.getOrCreate()
    except Exception as err:  # the JVM did not start (Java missing or broken)
        raise SparkUnavailable(f"Spark did not start: {str(err).splitlines()[0]}") from None
    spark.sparkContext.setLogLevel("ERROR")
    register_udfs(spark)
    return spark


# --- the RE2 UDFs (engine.spark_sql names them) ------------------------------------------


@functools.cache
def _compiled(pattern: str):
    import re2

    return re2.compile(pattern)


@functools.cache
def _blocks() -> list[tuple[object, list[tuple[int, object]]]]:
    """classify.sql's blocks of rules (engine.themes._blocks): a union regex tried first,
    then each rule of the block in order, as (position, regex)."""
    patterns = themes.LEXICON.patterns
    out = []
    for block in themes._blocks(themes.LEXICON):  # noqa: SLF001 (the same cut as the SQL)
        union = "(?i)(?:" + "|".join(patterns[k - 1][4:] for k in block) + ")"
        out.append((_compiled(union), [(k, _compiled(patterns[k - 1])) for k in block]))
    return out


def text_hit(comment: str | None) -> tuple[int, str] | None:
    """The first lexicon rule whose RE2 regex matches ``comment`` (already prepared) and
    its first match: exactly classify.sql's hit (first non-empty regexp_extract)."""
    if comment is None:
        return None
    for union, rules in _blocks():
        if union.search(comment) is None:
            continue
        for k, regex in rules:
            m = regex.search(comment)
            if m is not None and m.group(0) != "":
                return k, m.group(0)
    return None


def strip_accents(text: str | None) -> str | None:
    """DuckDB's strip_accents (utf8proc: decompose, drop marks Mn/Mc/Me, compose)."""
    if text is None:
        return None
    bare = "".join(
        c
        for c in unicodedata.normalize("NFD", text)
        if unicodedata.category(c) not in ("Mn", "Mc", "Me")
    )
    return unicodedata.normalize("NFC", bare)


def re2_replace(text: str | None, pattern: str | None, replacement: str | None) -> str | None:
    """DuckDB's regexp_replace(text, pattern, replacement, 'g') on RE2 (replacement taken
    literally: the SQL only blanks)."""
    if text is None or pattern is None or replacement is None:
        return None
    return _compiled(pattern).sub(lambda _m: replacement, text)


def register_udfs(spark) -> None:
    """Register the vectorised UDFs the Spark SQL calls."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("k int, m string")
    def voc_text_hit(comments: pd.Series) -> pd.DataFrame:
        hits = [text_hit(c) for c in comments]
        return pd.DataFrame(
            {
                "k": pd.array([h[0] if h else None for h in hits], dtype="Int32"),
                "m": pd.array([h[1] if h else None for h in hits], dtype="string"),
            }
        )

    @pandas_udf("string")
    def voc_strip_accents(texts: pd.Series) -> pd.Series:
        return pd.Series([strip_accents(_text(t)) for t in texts], dtype="object")

    @pandas_udf("string")
    def voc_re2_replace(texts: pd.Series, patterns: pd.Series, repl: pd.Series) -> pd.Series:
        rows = zip(texts, patterns, repl, strict=True)
        return pd.Series([re2_replace(_text(t), _text(p), _text(r)) for t, p, r in rows])

    spark.udf.register(spark_sql.UDF_TEXT_HIT, voc_text_hit)
    spark.udf.register(spark_sql.UDF_STRIP_ACCENTS, voc_strip_accents)
    spark.udf.register(spark_sql.UDF_REPLACE, voc_re2_replace)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None  # pandas gives None or NaN for NULL


# --- the derivation ----------------------------------------------------------------------


def derive_on(spark, lake_dir: Path, progress: Progress | None = None) -> dict[str, float]:
    """Compute derive.DERIVED_SQL on ``spark`` from ``lake_dir`` into ``lake_dir/derived``
    (replaced when every table is written). Returns {table: seconds}."""
    say = progress or (lambda _m: None)
    lake.check_lake(lake_dir)
    for t in (*lake.derive_inputs(), *lake.REFERENCE_TABLES):
        spark.read.parquet(str(lake.table_dir(lake_dir, t))).createOrReplaceTempView(t)
    staged = lake.staging_dir(lake_dir, "spark")
    timings: dict[str, float] = {}
    for table in derivation.DERIVED_SQL:
        started = time.perf_counter()
        text = spark_sql.spark_select(table)
        folder = staged / table
        spark.sql(text).write.mode("overwrite").parquet(str(folder))
        spark.read.parquet(str(folder)).createOrReplaceTempView(table)
        timings[table] = time.perf_counter() - started
        say(f"{table}: {timings[table]:.1f} s")
    for table in derivation.DERIVED_SQL:  # the views read the staged folder, about to move
        spark.catalog.dropTempView(table)
    lake.publish(lake_dir, staged)
    return timings


def derive(lake_dir: Path, *, master: str | None = None, progress: Progress | None = None):
    """``derive --engine spark``: a session (``master``, default local[*]), the derivation,
    the session stopped. SparkUnavailable when pyspark, google-re2 or Java is missing."""
    say = progress or (lambda _m: None)
    lake.check_lake(lake_dir)
    started = time.perf_counter()
    spark = session(master)
    say(
        f"Spark {spark.version} on {spark.sparkContext.master} in {time.perf_counter() - started:.1f} s"
    )
    try:
        return derive_on(spark, lake_dir, progress)
    finally:
        spark.stop()
