"""Detection: rules over the OCSF store, turned into findings about workers.

Three kinds of rule, each one YAML file (``src/farmhunt/rules/``):

- **match**: Sigma detection syntax over one table, compiled to an Ibis expression
  (:mod:`sigma_ibis`), so the same rule runs on DuckDB or Spark;
- **correlation**: Sigma correlation rules over match rules (:mod:`correlate`);
- **analytic**: a named Python function over the store (:mod:`analytics`), for what
  needs more than a query, with the same metadata.

Plain Sigma files (SigmaHQ, LOLRMM) load too, through a field mapping from Sigma's
Windows field names to OCSF columns (:mod:`fieldmap`).
"""
