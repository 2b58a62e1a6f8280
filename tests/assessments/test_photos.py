"""Finding photos: only images, re-encoded without metadata, private to the workspace."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from quotes.assessments import actions
from quotes.assessments.models import Finding
from quotes.assessments.photos import prepare_photo

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def finding(assessment, answer):
    answer(backup_tested="no")
    return Finding.objects.get(assessment=assessment)


def _image(fmt="JPEG", size=(2400, 1200), exif=True):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (10, 120, 200))
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        extra["exif"] = data.tobytes()
    image.save(buffer, fmt, **extra)
    return buffer.getvalue()


def _post(client, finding, upload, **data):
    url = f"/assessments/{finding.assessment.public_id}/findings/{finding.public_id}/"
    values = {"title": finding.title, "severity": finding.severity, "status": "open", **data}
    if upload is not None:
        values["photo"] = upload
    return client.post(url, values)


def test_it_stores_a_cleaned_photo(client_for, alice, finding):
    """A JPEG with EXIF is stored re-encoded: at most 1600 px, no metadata, random name."""
    upload = SimpleUploadedFile("IMG_home_address.jpg", _image(), content_type="image/jpeg")
    assert _post(client_for(alice), finding, upload).status_code == 302
    finding.refresh_from_db()
    assert "IMG_home_address" not in finding.photo.name
    with finding.photo.open("rb") as fh, Image.open(fh) as stored:
        assert max(stored.size) == 1600
        assert stored.format == "JPEG"
        assert not stored.getexif()


def test_it_refuses_files_that_are_not_images(client_for, alice, finding):
    """A text file named .jpg is refused with a message; nothing is stored."""
    upload = SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = _post(client_for(alice), finding, upload)
    assert response.status_code == 200
    assert "not a JPEG, PNG or WebP image" in response.content.decode()
    finding.refresh_from_db()
    assert not finding.photo


def test_it_refuses_other_image_formats(client_for, alice, finding):
    """A GIF is an image, but not one we take."""
    upload = SimpleUploadedFile("a.gif", _image("GIF", exif=False), content_type="image/gif")
    assert (
        "not a JPEG, PNG or WebP image"
        in _post(client_for(alice), finding, upload).content.decode()
    )


def test_it_refuses_oversized_uploads(client_for, alice, finding):
    """More than 8 MB is refused before decoding."""
    upload = SimpleUploadedFile(
        "big.jpg", b"\xff" * (8 * 1024 * 1024 + 1), content_type="image/jpeg"
    )
    assert "larger than 8 MB" in _post(client_for(alice), finding, upload).content.decode()


def test_it_serves_photos_to_the_workspace_only(client_for, alice, charlie, finding):
    """Alice sees the photo through the app; Charlie gets 404; there is no public media URL."""
    photo = prepare_photo(SimpleUploadedFile("x.png", _image("PNG", (40, 40), exif=False)))
    actions.do_update_finding(finding, photo=photo)
    url = f"/assessments/{finding.assessment.public_id}/findings/{finding.public_id}/photo/"
    response = client_for(alice).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert client_for(charlie).get(url).status_code == 404
    assert client_for(alice).get(f"/media/{finding.photo.name}").status_code == 404


def test_it_replaces_and_removes_photos(
    client_for, alice, finding, django_capture_on_commit_callbacks
):
    """A new photo replaces the old file, "remove" deletes it; no orphan files stay behind."""
    client = client_for(alice)
    _post(client, finding, SimpleUploadedFile("a.jpg", _image(size=(50, 50))))
    finding.refresh_from_db()
    first = Path(finding.photo.path)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, finding, SimpleUploadedFile("b.jpg", _image(size=(60, 60))))
    finding.refresh_from_db()
    second = Path(finding.photo.path)
    assert second.exists() and not first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, finding, None, remove_photo="on")
    finding.refresh_from_db()
    assert not finding.photo
    assert not second.exists()
