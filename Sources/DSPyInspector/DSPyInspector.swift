// Queries and renders the request log.
