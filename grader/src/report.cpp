// placeholder: filled in by the report module
