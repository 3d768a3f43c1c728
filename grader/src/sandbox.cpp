// placeholder: filled in by the sandbox module
