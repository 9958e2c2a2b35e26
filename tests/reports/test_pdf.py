"""The monthly report as a PDF: WeasyPrint lays it out with a CJK font, so the Chinese title is in it."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest


def test_the_monthly_report_downloads_as_a_pdf_with_its_chinese_title(
    client: Any, login_as: Any, known_calls: Any, tmp_path: Any
) -> None:
    login_as("manager")
    page = client.get("/reports/monthly?month=2026-03").get_data(as_text=True)
    assert "/reports/monthly.pdf?month=2026-03" in page  # the link beside Print

    response = client.get("/reports/monthly.pdf?month=2026-03")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert 'filename="hotline-monthly-2026-03.pdf"' in response.headers["Content-Disposition"]
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    pdf = tmp_path / "monthly.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    words = text.decode()
    assert "2026-03 月度报告" in words and "排班公平性" in words and "562.5" in words


def test_the_pdf_is_for_managers_only(client: Any, login_as: Any) -> None:
    login_as("supervisor")
    assert client.get("/reports/monthly.pdf?month=2026-03").status_code == 403
