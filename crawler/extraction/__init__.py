"""Article extraction: text captures (`captures`) and HTML pages (`html`)."""
