"""The case store: one interface over SQLite and PostgreSQL (SQL written once, a dialect
for what differs), its schema and upgrades, references, and the history's hash chain."""
