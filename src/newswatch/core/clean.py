"""Page-noise lines that extraction keeps (read-more links, share and comment prompts, menus,
breadcrumbs, source trailers, photo credits) removed in en, fr, ar, fa, de and es.

Conservative on purpose: a rule only drops a short line that matches it whole, so no sentence of
an article is ever removed."""

from __future__ import annotations

import re

# "Read more:"-style lead-ins. When the line is only the label, the short link line after it goes too.
READ_MORE = re.compile(
    r"^(?:lire (?:aussi|également)|à lire (?:aussi|également)|voir aussi|read (?:more|also)|see also|"
    r"related(?: articles| stories| posts)?|more on this|lesen sie (?:auch|mehr)|mehr zum thema|"
    r"auch interessant|lee (?:también|más)|leer más|ver también|te puede interesar|"
    r"اقرأ أيضا|اقرأ أيضاً|اقرأ ايضا|إقرأ أيضا|اقرأ المزيد|بیشتر بخوانید|بخوانید|مطالب مرتبط|اخبار مرتبط)"
    r"\s*[:：»>\-–]?", re.IGNORECASE)
SHARE = re.compile(
    r"^(?:partager(?: cet article| sur)?|share(?: this| this article| on)?|teilen|artikel teilen|"
    r"compartir(?: en| este artículo)?|شارك|مشاركة|اشتراک(?:‌| )?گذاری|هم‌رسانی)\b", re.IGNORECASE)
COMMENT = re.compile(
    r"^(?:leave a (?:comment|reply)|post a comment|comments?|add a comment|laisser un commentaire|"
    r"commentaires?|réagir|kommentar(?:e| schreiben)?|deja un comentario|dejar un comentario|comentarios|"
    r"أضف تعليق|اترك تعليقا|التعليقات|ارسال نظر|نظرات|نظر شما)\s*[:(\d)]*\s*$", re.IGNORECASE)
CAPTCHA = re.compile(r"^\d+\s*[+\-x×*]\s*\d+\s*=\s*\??\s*$")
SOURCE = re.compile(r"^(?:source|sources|quelle|fuente|المصدر|منبع)\s*:\s*\S.{0,60}$", re.IGNORECASE)
BYLINE = re.compile(r"^(?:by|par|von|por|بقلم|نویسنده:?)\s+\S+(?:\s+\S+){0,3}$", re.IGNORECASE)
MENU = re.compile(r"^(?:home|accueil|startseite|inicio|portada|الرئيسية|صفحه اصلی|خانه)\s+\S", re.IGNORECASE)
PHOTO = re.compile(r"(?:\((?:AFP|Reuters|AP|EPA|IRNA|Getty)(?: photo| Photo| via Getty Images)?\)|"
                   r"\((?:photo|foto|crédit photo|فوتو|عکس)\s*:[^)]*\)|©\s*\S{2,30})\s*$", re.IGNORECASE)
SUBSCRIBE = re.compile(r"^(?:subscribe|sign up|abonnez-vous|newsletter|abonnieren|suscríbete|اشترك|عضویت)\b",
                       re.IGNORECASE)
BREADCRUMB_SEP = re.compile(r"\s(?:/|>|»|\||›)\s")
SENTENCE_END = re.compile(r"[.!?。؟]\s*$")
LETTER = re.compile(r"[^\W\d_]")


def _is_noise(line: str) -> bool:
    n = len(line)
    if len(LETTER.findall(line)) < 4 and not re.search(r"\d{4}", line):
        return True   # "TV", "0 + 0 =", lone icons and separators
    if n <= 120 and (READ_MORE.match(line) or SHARE.match(line) or SUBSCRIBE.match(line)):
        return True
    if n <= 60 and (COMMENT.match(line) or BYLINE.match(line)):
        return True
    if CAPTCHA.match(line) or (n <= 80 and SOURCE.match(line)):
        return True
    menu_like = bool(MENU.match(line)) or len(BREADCRUMB_SEP.findall(line)) >= 2
    if n <= 200 and menu_like and not SENTENCE_END.search(line):
        return True
    return n <= 400 and bool(PHOTO.search(line))


def clean_text(text: str) -> str:
    """Drop noise lines; keep every other line as it is (blank lines collapsed)."""
    out: list[str] = []
    drop_next_link = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if drop_next_link:
            drop_next_link = False
            if len(line) <= 160 and not SENTENCE_END.search(line.rstrip("\"”»)")):
                continue
        if _is_noise(line):
            # A bare "Lire aussi :" label is followed by the linked headline: drop that too.
            drop_next_link = bool(READ_MORE.match(line)) and len(READ_MORE.sub("", line).strip()) < 3
            continue
        out.append(line)
    return "\n".join(out)
