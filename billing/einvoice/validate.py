"""Offline checks of a CII e-invoice: the Factur-X EN 16931 XSD, then the EN 16931 Schematron
(CEN) and, for XRechnung, the KoSIT Schematron, both as compiled XSLT run by saxonche.

Every problem is a Finding that names its rule (BR-CO-15, BR-DE-15, or "XSD"). The XSDs come
from the ``drafthorse`` package; the XSLTs are vendored in rules/ (see rules/README.md).
"""

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree

from billing.einvoice.model import Profile

RULES = Path(__file__).parent / "rules"
EN16931_XSLT = RULES / "EN16931-CII-validation.xslt"
XRECHNUNG_XSLT = RULES / "XRechnung-CII-validation.xsl"
SVRL = "http://purl.oclc.org/dsdl/svrl"
ERROR_FLAGS = {"fatal", "error"}

_lock = threading.Lock()
_cache: dict = {}


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str
    text: str
    location: str = ""

    @property
    def is_error(self) -> bool:
        return self.flag in ERROR_FLAGS

    def __str__(self) -> str:
        return f"{self.rule} ({self.flag}): {self.text}"


class EInvoiceInvalid(ValueError):
    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("; ".join(str(f) for f in findings))

    @property
    def rules(self) -> list[str]:
        return [f.rule for f in self.findings]


def _schema() -> etree.XMLSchema:
    if "xsd" not in _cache:
        xsd = resources.files("drafthorse") / "schema" / "Factur-X_1.0.07_EN16931.xsd"
        with resources.as_file(xsd) as path:
            _cache["xsd"] = etree.XMLSchema(etree.parse(str(path)))
    return _cache["xsd"]


def xsd_findings(xml: bytes) -> list[Finding]:
    schema = _schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    if schema.validate(etree.fromstring(xml, parser)):
        return []
    return [Finding("XSD", "fatal", e.message, f"line {e.line}") for e in schema.error_log]


def _executable(stylesheet: Path):
    from saxonche import PySaxonProcessor  # a native wheel: imported only when validating

    if "processor" not in _cache:
        _cache["processor"] = PySaxonProcessor(license=False)
    if stylesheet not in _cache:
        compiler = _cache["processor"].new_xslt30_processor()
        _cache[stylesheet] = compiler.compile_stylesheet(stylesheet_file=str(stylesheet))
    return _cache[stylesheet]


def schematron_findings(xml: bytes, stylesheet: Path) -> list[Finding]:
    """Failed asserts and successful reports of one compiled Schematron, from its SVRL."""
    with _lock:
        executable = _executable(stylesheet)
        document = _cache["processor"].parse_xml(xml_text=xml.decode("utf-8"))
        svrl = executable.transform_to_string(xdm_node=document)
    return parse_svrl(svrl.encode("utf-8"))


def parse_svrl(svrl: bytes) -> list[Finding]:
    root = etree.fromstring(svrl, etree.XMLParser(resolve_entities=False, no_network=True))
    findings = []
    for node in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join("".join(node.itertext()).split())
        findings.append(
            Finding(node.get("id", "?"), node.get("flag", "fatal"), text, node.get("location", ""))
        )
    return findings


def findings(xml: bytes, profile: Profile = Profile.EN16931) -> list[Finding]:
    """Everything the XSD and the Schematron rules for ``profile`` say, warnings included."""
    found = xsd_findings(xml)
    if found:
        return found  # the rules assume a schema-valid document
    found = schematron_findings(xml, EN16931_XSLT)
    if profile == Profile.XRECHNUNG:
        found += schematron_findings(xml, XRECHNUNG_XSLT)
    return found


def check(xml: bytes, profile: Profile = Profile.EN16931) -> list[Finding]:
    """Raise EInvoiceInvalid naming every failed rule; return the warnings."""
    found = findings(xml, profile)
    errors = [f for f in found if f.is_error]
    if errors:
        raise EInvoiceInvalid(errors)
    return found
