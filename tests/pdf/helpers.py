"""Reading rendered PDFs in tests: text with pypdf, pages as PNG with poppler's pdftoppm."""

import io
import subprocess
from pathlib import Path

from PIL import Image
from pypdf import PdfReader


def pages_text(content: bytes) -> list[str]:
    """The text of each page, whitespace collapsed (line breaks fall anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def pdf_text(content: bytes) -> str:
    return " ".join(pages_text(content))


def page_png(content: bytes, tmp_path: Path, page: int = 1, dpi: int = 60) -> Image.Image:
    pdf = tmp_path / "document.pdf"
    pdf.write_bytes(content)
    prefix = tmp_path / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
        timeout=60,
    )
    return Image.open(f"{prefix}.png").convert("L")


def non_white_share(image: Image.Image) -> float:
    """Share of pixels that are not (nearly) white."""
    histogram = image.histogram()
    dark = sum(histogram[:240])
    return dark / (image.width * image.height)
