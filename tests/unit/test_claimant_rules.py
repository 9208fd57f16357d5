"""Pure rules of the claimant's side: working days, tax years, fee/expenses split, file checks,
12-hour times, errors that name the cost, every bank error at once."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image

from involve import receipt_files as files  # noqa: I001
from involve.domain.payment_dates import add_working_days
from involve.domain.statement import split_payment, tax_year, tax_year_of
from involve.web import claim_fields as cf


def test_working_days_skip_weekends_and_england_bank_holidays():
    assert add_working_days(date(2026, 11, 30), 10) == date(2026, 12, 14)
    # 24 Dec 2026 (Thu) + 2: 25 Dec and 28 Dec (Boxing Day substitute) are bank holidays
    assert add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Good Friday, Easter Monday


def test_tax_years():
    assert tax_year("2026-27") == (date(2026, 4, 6), date(2027, 4, 5))
    assert tax_year_of(date(2027, 4, 5)) == "2026-27" and tax_year_of(date(2027, 4, 6)) == "2027-28"
    with pytest.raises(ValueError):
        tax_year("2026-28")


def test_split_pays_expenses_first_and_always_adds_up():
    d = Decimal
    assert split_payment(d("118.00"), d("80.00"), d("38.00"), False) == (d("80.00"), d("38.00"))
    assert split_payment(d("90.00"), d("80.00"), d("38.00"), False) == (d("52.00"), d("38.00"))
    assert split_payment(d("20.00"), d("80.00"), d("38.00"), False) == (d("0.00"), d("20.00"))
    assert split_payment(d("38.00"), d("80.00"), d("38.00"), True) == (d("0.00"), d("38.00"))


def _jpeg(**kw) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    Image.new("RGB", (20, 10)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_files_are_checked_by_content():
    ok = files.check("../../etc/receipt.jpg", _jpeg())
    assert ok.content_type == "image/jpeg" and ok.name == "receipt.jpg" and b"Exif" not in ok.data
    for name, data, word in [("a.jpg", b"MZ" + b"\0" * 100, "not a photo"), ("b.pdf", b"", "empty"),
                             ("c.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "could not be opened"),
                             ("d.jpg", b"\xff\xd8\xff" + b"0" * (files.MAX_BYTES + 1), "larger than 10 MB"),
                             ("e.pdf", b"%PDF-1.7\n<< /Names << /EmbeddedFiles 2 0 R >> >>", "attached files")]:
        with pytest.raises(files.FileRefused) as exc:
            files.check(name, data)
        assert name in str(exc.value) and word in str(exc.value)


def test_a_plain_pdf_is_kept():
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    buf = io.BytesIO()
    w.write(buf)
    assert files.check("bill.pdf", buf.getvalue()).content_type == "application/pdf"
    from pypdf.actions import JavaScript

    w.add_open_action(JavaScript("app.alert('x')"))
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(files.FileRefused):
        files.check("bill.pdf", buf.getvalue())


def _exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x0112] = orientation
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    return exif.tobytes()


def test_an_iphone_heic_photo_is_kept_as_a_jpeg_upright_without_its_metadata():
    from pillow_heif import from_pillow

    buf = io.BytesIO()  # a real HEIC, 64 x 48 as the camera stored it, to be shown turned (EXIF orientation 6)
    from_pillow(Image.new("RGB", (64, 48), (10, 200, 10))).save(buf, quality=70, exif=_exif(6))
    heic = buf.getvalue()
    assert heic[4:12] == b"ftypheic" and b"SecretCam" in heic and files.sniff(heic) == "image/heic"
    kept = files.check("IMG_0042.HEIC", heic)
    assert (kept.name, kept.content_type) == ("IMG_0042.jpg", "image/jpeg")
    img = Image.open(io.BytesIO(kept.data))
    assert img.format == "JPEG" and img.size == (48, 64)  # upright
    assert b"SecretCam" not in kept.data and not img.getexif()
    assert img.getpixel((24, 32))[1] > 150  # still the green photo


def test_webp_photos_become_jpegs_and_see_through_parts_turn_white():
    for mode, colour, want in (("RGB", (200, 10, 10), (200, 10, 10)), ("RGBA", (0, 0, 255, 0), (255, 255, 255))):
        buf = io.BytesIO()
        Image.new(mode, (30, 20), colour).save(buf, "WEBP", lossless=True, exif=_exif())
        assert files.sniff(buf.getvalue()) == "image/webp" and b"SecretCam" in buf.getvalue()
        kept = files.check("ticket.webp", buf.getvalue())
        assert (kept.name, kept.content_type) == ("ticket.jpg", "image/jpeg") and b"SecretCam" not in kept.data
        assert all(abs(a - b) < 8 for a, b in zip(Image.open(io.BytesIO(kept.data)).getpixel((5, 5)), want,
                                                  strict=True))


def test_a_heic_too_large_to_open_safely_is_refused_before_it_is_decoded(monkeypatch):
    from pillow_heif import from_pillow

    buf = io.BytesIO()
    from_pillow(Image.new("RGB", (64, 48))).save(buf, quality=50)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # put back afterwards
    monkeypatch.setattr(files, "MAX_PIXELS", 64 * 48 - 1)  # as a 40-megapixel limit is to a huge photo
    with pytest.raises(files.FileRefused, match="big.heic is too large a picture"):
        files.check("big.heic", buf.getvalue())
    not_heif = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100
    with pytest.raises(files.FileRefused, match="could not be opened as a picture"):
        files.check("broken.heic", not_heif)


def test_the_file_inputs_say_which_types_they_take():
    for accepted in ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", ".heic", ".pdf"):
        assert accepted in files.ACCEPT.split(",")


@pytest.mark.parametrize("typed,want", [("9.30am", "09:30"), ("9:30 pm", "21:30"), ("12pm", "12:00"),
                                        ("12.15am", "00:15"), ("0930", "09:30"), ("13:15", "13:15"),
                                        ("midday", "12:00"), ("13pm", "13pm"), ("soon", "soon")])
def test_times_people_type(typed, want):
    assert cf._time(typed) == want


def test_errors_name_the_cost_and_bank_errors_come_together():
    v = {"costs": ["taxi", "car"], "taxi": "lots", "car_miles": ""}
    errors = cf.check(v, submission_id="s", steps=("expenses",))
    assert errors["taxi"].startswith("Taxi: ") and errors["car_miles"].startswith("Driving your car: ")
    v = {"method": "bank_transfer", "account_name": "", "sort_code": "12", "account_number": ""}
    errors = cf.check(v, submission_id="s", steps=("bank",))
    assert set(errors) == {"account_name", "sort_code", "account_number"}


def test_a_date_the_policy_does_not_cover_is_refused_on_its_page():
    v = {"kind": "meeting", "title": "x", "date-day": "3", "date-month": "3", "date-year": "2020",
         "start": "10:00", "end": "11:00", "borough": "havering"}
    assert "date" in cf.check(v, submission_id="s", steps=("activity",))
