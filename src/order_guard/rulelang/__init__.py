"""The rule language: YAML loading with line numbers, the generated schema, validation, compilation."""
