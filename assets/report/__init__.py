"""The weekly report leadership reads (docs/report.md): data (DuckDB into Polars), charts
(Altair to SVG), the page (great-tables, inline CSS), and the Dagster asset that writes it."""
