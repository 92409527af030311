"""The lead image and its caption."""
from __future__ import annotations

from urllib.parse import urlsplit

from crawler.extraction.page import ParsedPage, absolute_url, clean, element_text, first_text, first_url


def lead_image(page: ParsedPage) -> tuple[str | None, str | None]:
    """The lead image's URL and the caption JSON-LD gives it."""
    image = page.resolve(page.article.get("image"))
    if isinstance(image, list):
        image = page.resolve(image[0]) if image else None
    caption = None
    if isinstance(image, dict):
        caption = clean(first_text(image.get("caption")) or first_text(image.get("description"))) or None
    image_url = (absolute_url(first_url(image), page.url)
                 or absolute_url(page.meta("og:image", "twitter:image"), page.url))
    return image_url, caption


def figure_caption(page: ParsedPage, image_url: str | None) -> str | None:
    """The `<figcaption>` of the figure showing the lead image."""
    file_name = urlsplit(image_url or "").path.rsplit("/", 1)[-1]
    if not file_name:
        return None
    for figure in page.tree.iter("figure"):
        caption = figure.find(".//figcaption")
        if caption is None:
            continue
        for image in figure.iter("img", "source"):
            sources = " ".join(filter(None, map(image.get, ("src", "data-src", "srcset", "data-srcset"))))
            if file_name in sources:
                return element_text(caption) or None
    return None
