// SQLite store: LM-call cache, compiled programs and request log.
