"""The Spark session the bench scripts measure with: local[2], UI off, bound to 127.0.0.1,
4 GB for the driver, quiet logs, plus any extra settings."""

from typing import Any, Sequence, Tuple


def local_session(settings: Sequence[Tuple[str, str]] = ()) -> Any:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "4g")
    )
    for key, value in settings:
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
