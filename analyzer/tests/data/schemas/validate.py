"""Validates a report against a schema: `validate.py SCHEMA FILE`.

An `.xsd` schema validates XML with lxml; a `.json` schema validates JSON with jsonschema.
Prints each error and exits 1 when the file is not valid."""
import json
import sys

schema_path, file_path = sys.argv[1], sys.argv[2]
if schema_path.endswith(".xsd"):
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(schema_path))
    doc = etree.parse(file_path)
    if not schema.validate(doc):
        for e in schema.error_log:
            print(f"{file_path}:{e.line}: {e.message}")
        sys.exit(1)
else:
    import jsonschema

    schema = json.load(open(schema_path))
    doc = json.load(open(file_path))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        print(f"{file_path}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    if errors:
        sys.exit(1)
print("valid")
