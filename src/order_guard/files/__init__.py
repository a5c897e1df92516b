"""Reading files: compression, character encodings, flat-file rows and JSON documents."""
