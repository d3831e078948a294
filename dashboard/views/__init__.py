"""The dashboard pages, one module per page family. Views stay thin: they read the page
state from the URL, call `ingest.queries`, and render."""
