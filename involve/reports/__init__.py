"""Reports: the annual report, the User Forum's monthly payments report, and the data generator.

`queries` holds the SQL (aggregates only), `sections`/`diversity` turn results into figures,
`annual`/`forum` assemble a report, `render` writes HTML (templates/reports/), CSV, SVG charts
and an optional PDF.
"""
