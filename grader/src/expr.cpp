// placeholder: filled in by the expr module
