"""Reads a JUnit file with junitparser (what many CI test reporters build on) and prints, as
JSON, the totals it finds and each test case's name and result: `junit_read.py FILE`."""
import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
cases = []
for suite in xml:
    for case in suite:
        kinds = [type(r) for r in case.result]
        verdict = (
            "failure" if Failure in kinds else "error" if Error in kinds else "skipped" if Skipped in kinds else "passed"
        )
        cases.append({"suite": suite.name, "name": case.name, "verdict": verdict, "time": case.time})
time = xml.time
xml.update_statistics()
print(json.dumps({"time": time, "tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "skipped": xml.skipped, "cases": cases}))
