// placeholder: filled in by the assign module
