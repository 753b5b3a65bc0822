"""Writers: everything that touches files (a run's Parquet, single result files and whole folders written
atomically under one rule with a lock each, readable CSV and typed workbooks, the DfE returns, the training
pack), and the HTML kit their pages share. The generating core never imports from here."""
