"""Fonts for Chinese text (中文字体): in plots and in the HTML report.

Plots: matplotlib draws each glyph from the first font of ``font.family`` that has it, so
the plots use DejaVu Sans (matplotlib's own) for Latin text and fall back to a CJK font
for Chinese. The CJK font is Noto Sans CJK SC from the ``noto-cjk-sans-otc`` package (a
declared dependency, so a clean ``pip install`` has it); failing that, any CJK font the
machine has (Source Han Sans, WenQuanYi, Microsoft YaHei, PingFang, SimHei, ...).

HTML: the report embeds a subset of the same font (only the characters the page uses,
tens of kilobytes) as a ``@font-face``, so a page opened on a machine without Chinese fonts
(or in a headless browser) still shows the Chinese, and the file stays self-contained.
"""
from __future__ import annotations

import base64
import functools
import io
from contextlib import contextmanager
from pathlib import Path

#: Family names tried, in order, after the packaged font.
SYSTEM_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                       "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                       "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "SimHei",
                       "Noto Sans CJK JP", "Noto Sans CJK TC")
#: Face of the packaged collection that has the mainland (simplified) glyph forms.
_PACKAGED_FAMILY = "Noto Sans CJK SC"
#: CSS family name of the embedded subset.
EMBEDDED_FAMILY = "ipabs CJK"


def packaged_font_path() -> Path | None:
    """The Noto Sans CJK collection shipped by ``noto-cjk-sans-otc``, if installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The family name matplotlib should fall back to for Chinese, or ``None``.

    Registers the packaged font with matplotlib's font manager the first time.
    """
    from matplotlib import font_manager

    path = packaged_font_path()
    if path is not None:
        try:
            font_manager.fontManager.addfont(str(path))
        except (OSError, RuntimeError, ValueError):
            path = None
    names = {f.name for f in font_manager.fontManager.ttflist}
    if path is not None and _PACKAGED_FAMILY in names:
        return _PACKAGED_FAMILY
    if path is not None and "Noto Sans CJK JP" in names:   # matplotlib < 3.11: face 0 only
        return "Noto Sans CJK JP"
    return next((f for f in SYSTEM_CJK_FAMILIES if f in names), None)


def plot_fonts() -> dict:
    """rcParams for a plot that may hold Chinese text."""
    family = ["DejaVu Sans"]
    cjk = cjk_family()
    if cjk is not None:
        family.append(cjk)
    return {"font.family": family, "axes.unicode_minus": False}


@contextmanager
def plot_context():
    """Matplotlib (Agg backend) with the CJK fallback font set, restored afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context(plot_fonts()):
        yield


def has_cjk(text: str) -> bool:
    """Does ``text`` hold a character a Latin font lacks (CJK, fullwidth forms)?"""
    return any(ord(ch) >= 0x2E80 for ch in text)


def _face_index(path: Path, family: str) -> int:
    """The face of a collection (``.ttc``) whose family is ``family`` (0 if none is); -1
    for a single font file."""
    from fontTools.ttLib.ttCollection import TTCollection

    if path.suffix.lower() not in (".ttc", ".otc"):
        return -1
    collection = TTCollection(str(path), lazy=True)
    try:
        for i, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return i
        return 0
    finally:
        collection.close()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the CJK font, subset to the characters of ``text``
    (empty if ``text`` has none or no font can be found)."""
    chars = "".join(sorted({ch for ch in text if ord(ch) >= 0x2E80}))
    path = packaged_font_path()
    if not chars or path is None:
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    index = _face_index(path, _PACKAGED_FAMILY)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.notdef_outline = True
    buf = io.BytesIO()
    with TTFont(str(path), fontNumber=max(index, 0) if index >= 0 else -1) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars + "，。：；（）、")
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    # first in the page's font stack, limited to the CJK range so Latin text keeps the
    # page's Latin font (a CJK font listed after the Latin ones was not always used by
    # Chromium for the first runs of text it laid out)
    return (f"@font-face{{font-family:'{EMBEDDED_FAMILY}';"
            f"src:url(data:font/woff;base64,{data}) format('woff');"
            f"unicode-range:U+2E80-FFFF;font-display:block;}}")
