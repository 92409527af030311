from crawler.outlets.base import Outlet

OUTLET = Outlet(
    slug="thenewkhalij",
    name_ar="الخليج الجديد",
    name_en="Al-Khaleej Al-Jadeed",
    domains=("thenewkhalij.news",),
    source_names=("الخليج الجديد", "thenewkhalij"),
    notes="Own pages not captured yet; seen republished by arabkhabar.com.",
)
