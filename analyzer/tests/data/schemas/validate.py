"""Validates reports against a schema: `validate.py SCHEMA FILE...`.

An `.xsd` schema validates XML with lxml; a `.json` schema validates JSON with jsonschema
(the draft the schema names, with `format` checked). Prints each error and exits 1 when a
file is not valid; prints how many files were valid otherwise."""
import json
import sys

schema_path, files = sys.argv[1], sys.argv[2:]
if not files:
    sys.exit("validate.py SCHEMA FILE...")
failed = False
if schema_path.endswith(".xsd"):
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(schema_path))
    for file_path in files:
        if not schema.validate(etree.parse(file_path)):
            failed = True
            for e in schema.error_log:
                print(f"{file_path}:{e.line}: {e.message}")
else:
    import jsonschema

    schema = json.load(open(schema_path))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    for file_path in files:
        doc = json.load(open(file_path))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            print(f"{file_path}: /{'/'.join(map(str, e.absolute_path))}: {e.message}")
        failed |= bool(errors)
if failed:
    sys.exit(1)
print(f"{len(files)} valid")
