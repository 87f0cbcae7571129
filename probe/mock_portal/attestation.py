"""A one-page PDF "Attestation de droits", written by hand (no PDF library needed).

The document is small but well-formed: a catalogue, one page, a standard Helvetica
font in WinAnsi encoding (for French accents), and an exact cross-reference table.
"""

from __future__ import annotations

from datetime import date

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content(lines: list[tuple[int, int, str]]) -> bytes:
    parts = [b"BT"]
    for size, y, text in lines:
        parts.append(b"/F1 %d Tf 1 0 0 1 72 %d Tm %s Tj" % (size, y, _pdf_text(text)))
    parts.append(b"ET")
    return b"\n".join(parts)


def attestation_pdf(masked_identifier: str, issued_on: date) -> bytes:
    """The attestation for one insured person (identifier already masked)."""
    content = _content(
        [
            (20, 770, "Attestation de droits"),
            (11, 740, "Assurance Maladie - portail de démonstration"),
            (12, 700, f"Numéro de sécurité sociale : {masked_identifier}"),
            (12, 680, "Droits ouverts à l'assurance maladie obligatoire."),
            (12, 660, f"Document établi le {issued_on.strftime('%d/%m/%Y')}."),
            (9, 100, "Document fictif produit par un portail de test."),
        ]
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Title %s /Producer (probe mock portal) >>" % _pdf_text("Attestation de droits"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
