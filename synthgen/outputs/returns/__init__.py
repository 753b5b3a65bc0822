"""Standard returns to the Department for Education, built from a run's children's social care records."""
