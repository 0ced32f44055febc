"""The upload form of the imports page: a zip of the CSV files, checked before it is kept."""

from __future__ import annotations

import io
import zipfile

from django import forms

from pcns.dataset.engine import DatasetError
from pcns.dataset.runs import MAX_UPLOAD_BYTES, upload_check

MAX_UPLOAD_TEXT = f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Zip file of CSV files", allow_empty_file=True,
        error_messages={"required": "Select a zip file of CSV files to import"},
    )
    partial = forms.BooleanField(
        label="Import the rows that pass and leave out the failing ones", required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError("The selected file is empty")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The selected file must be smaller than {MAX_UPLOAD_TEXT}")
        data = upload.read()
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise forms.ValidationError("The selected file must be a zip file")
        try:
            upload_check(data)
        except DatasetError as error:
            raise forms.ValidationError(str(error)) from None
        self.cleaned_data["payload"] = data
        return upload
