"""Drop page-noise lines (read-more, share, comments, menus, breadcrumbs, credits) in en, fr, ar, fa, de, es."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Noise:
    """The words one language uses for page chrome. Every rule that uses them matches a whole, short
    line, never a fragment of a sentence."""

    read_more: tuple[str, ...]   # "Read more:" labels; a bare label also takes the link line after it
    share: tuple[str, ...]       # "Share this article" (optionally followed by network names)
    comment: tuple[str, ...]     # "Leave a comment", "Comments (3)"
    subscribe: tuple[str, ...]   # line starts: "Subscribe to our newsletter..."
    source: tuple[str, ...]      # "Source: X" trailers
    byline: tuple[str, ...]      # "by X"
    home: tuple[str, ...]        # root of a breadcrumb: "Home Politics ..."
    menu: tuple[str, ...]        # section names and lone labels ("Politics", "TV", "Advertisement")
    tags: tuple[str, ...]        # "Tags: a, b"
    rights: tuple[str, ...]      # "All rights reserved"
    photo: tuple[str, ...]       # words of a photo credit: "(AFP photo)", "Photo: X"


NOISE: dict[str, Noise] = {
    "en": Noise(
        read_more=("read more", "read also", "also read", "see also", "related", "related articles",
                   "related stories", "related posts", "related news", "more on this", "recommended",
                   "you may also like", "don't miss"),
        share=("share", "share this", "share this article", "share this story", "share this post",
               "share on", "share via", "share article"),
        comment=("leave a comment", "leave a reply", "post a comment", "add a comment", "comments", "comment",
                 "join the discussion", "show comments"),
        subscribe=("subscribe", "sign up for", "sign up to", "follow us"),
        source=("source", "sources"),
        byline=("by",),
        home=("home",),
        menu=("news", "politics", "world", "business", "economy", "sports", "sport", "opinion", "middle east",
              "technology", "culture", "entertainment", "health", "science", "latest", "latest news",
              "breaking news", "video", "videos", "local", "national", "international", "tv", "live", "watch",
              "listen", "advertisement", "ad", "print", "email", "menu", "search"),
        tags=("tags", "topics", "keywords", "filed under"),
        rights=("all rights reserved",),
        photo=("photo", "file photo", "photos", "image"),
    ),
    "fr": Noise(
        read_more=("lire aussi", "à lire aussi", "a lire aussi", "lire également", "à lire également",
                   "voir aussi", "sur le même sujet", "lire la suite", "en savoir plus", "à voir aussi"),
        share=("partager", "partager cet article", "partagez", "partager sur", "partagez cet article"),
        comment=("laisser un commentaire", "commentaires", "commentaire", "commenter", "réagir",
                 "ajouter un commentaire", "réagissez"),
        subscribe=("abonnez-vous", "inscrivez-vous", "s'abonner", "suivez-nous"),
        source=("source", "sources"),
        byline=("par",),
        home=("accueil",),
        menu=("infos", "actualités", "actualité", "a la une", "à la une", "monde", "politique", "économie",
              "international", "l'info en continu", "l’info en continu", "vidéos", "vidéo", "direct", "sport",
              "culture", "société", "tv", "publicité", "imprimer", "envoyer", "rechercher"),
        tags=("mots-clés", "mots clés", "tags", "thèmes"),
        rights=("tous droits réservés",),
        photo=("photo", "crédit photo", "photo d'archives", "photos"),
    ),
    "de": Noise(
        read_more=("lesen sie auch", "lesen sie mehr", "mehr zum thema", "auch interessant", "weiterlesen",
                   "das könnte sie auch interessieren", "siehe auch", "zum thema"),
        share=("teilen", "artikel teilen", "beitrag teilen", "seite teilen", "teilen auf"),
        comment=("kommentar schreiben", "kommentare", "kommentar", "kommentieren", "kommentar verfassen"),
        subscribe=("newsletter abonnieren", "jetzt abonnieren", "abonnieren", "folgen sie uns"),
        source=("quelle", "quellen"),
        byline=("von",),
        home=("startseite",),
        menu=("politik", "ausland", "inland", "wirtschaft", "sport", "kultur", "panorama", "nachrichten",
              "meinung", "video", "videos", "anzeige", "werbung", "drucken", "suche"),
        tags=("schlagwörter", "schlagworte", "themen", "stichwörter"),
        rights=("alle rechte vorbehalten",),
        photo=("foto", "fotos", "bild", "bildquelle"),
    ),
    "es": Noise(
        read_more=("lee también", "lea también", "leer más", "te puede interesar", "le puede interesar",
                   "ver también", "más información", "noticias relacionadas", "relacionado", "relacionadas"),
        share=("compartir", "comparte", "compartir en", "compartir este artículo", "comparte esta noticia"),
        comment=("deja un comentario", "dejar un comentario", "comentarios", "comentar", "deja tu comentario"),
        subscribe=("suscríbete", "suscríbase", "regístrate", "síguenos"),
        source=("fuente", "fuentes"),
        byline=("por",),
        home=("inicio", "portada"),
        menu=("internacional", "política", "economía", "deportes", "mundo", "opinión", "sociedad", "cultura",
              "nacional", "noticias", "vídeos", "video", "publicidad", "imprimir"),
        tags=("etiquetas", "temas"),
        rights=("todos los derechos reservados",),
        photo=("foto", "fotografía", "fotos"),
    ),
    "ar": Noise(
        read_more=("اقرأ أيضا", "اقرأ أيضاً", "اقرأ ايضا", "إقرأ أيضا", "اقرأ المزيد", "مواضيع ذات صلة",
                   "أخبار ذات صلة", "اقرأ كذلك"),
        share=("شارك", "مشاركة", "شارك الخبر", "شارك هذا المقال", "شارك على"),
        comment=("أضف تعليق", "أضف تعليقا", "اترك تعليقا", "التعليقات", "تعليقات", "اكتب تعليقك"),
        subscribe=("اشترك", "تابعونا", "تابعنا"),
        source=("المصدر", "المصادر"),
        byline=("بقلم",),
        home=("الرئيسية",),
        menu=("أخبار", "سياسة", "اقتصاد", "رياضة", "عربي ودولي", "فيديو", "إعلان", "منوعات", "ثقافة"),
        tags=("الكلمات المفتاحية", "وسوم", "كلمات مفتاحية"),
        rights=("جميع الحقوق محفوظة",),
        photo=("صورة", "الصورة"),
    ),
    "fa": Noise(
        read_more=("بیشتر بخوانید", "بخوانید", "همچنین بخوانید", "مطالب مرتبط", "اخبار مرتبط", "مطلب مرتبط"),
        share=("اشتراک گذاری", "اشتراک‌گذاری", "به اشتراک بگذارید", "هم‌رسانی", "اشتراک در"),
        comment=("ارسال نظر", "نظرات", "نظر شما", "دیدگاه‌ها", "ثبت نظر", "دیدگاه شما"),
        subscribe=("عضویت در خبرنامه", "ما را دنبال کنید"),
        source=("منبع",),
        byline=("نویسنده", "به قلم"),
        home=("خانه", "صفحه اصلی"),
        menu=("سیاسی", "اقتصادی", "ورزشی", "بین الملل", "بین‌الملل", "فرهنگی", "اجتماعی", "تبلیغات", "آگهی",
              "ویدیو", "چندرسانه‌ای"),
        tags=("برچسب‌ها", "برچسب ها", "کلیدواژه‌ها", "کلیدواژه ها"),
        rights=("کلیه حقوق", "تمامی حقوق"),
        photo=("عکس",),
    ),
}

NETWORKS = ("facebook", "twitter", "x", "telegram", "whatsapp", "linkedin", "reddit", "email", "e-mail", "mail",
            "print", "imprimer", "drucken", "imprimir", "vk", "pinterest", "messenger", "copy link", "flipboard")

DIACRITICS = re.compile("[\u064b-\u0652\u0640]")   # Arabic harakat and tatweel
ALEFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ي": "ی", "ك": "ک", "\u200c": " ", "\xa0": " "})


def _norm(text: str) -> str:
    """Compare form: NFKC, case-folded, Arabic/Persian letter variants and ZWNJ unified, spaces collapsed."""
    text = DIACRITICS.sub("", unicodedata.normalize("NFKC", text)).translate(ALEFS).casefold()
    return " ".join(text.split())


def _alt(words: list[str]) -> str:
    forms = sorted({_norm(w) for w in words}, key=len, reverse=True)   # longest first: "share this" > "share"
    return "|".join(re.escape(f) for f in forms)


def _all(field: str) -> list[str]:
    return [w for noise in NOISE.values() for w in getattr(noise, field)]


SEP = r"[\s/>»›|•·,:;–—-]"
END = r"(?!\w)"   # a label ends at a word boundary (works for Arabic script too)
READ_MORE = re.compile(rf"^(?:{_alt(_all('read_more'))}){END}\s*(?:$|[:：»>|–—-]\s*(?P<rest>.*)$)")
SHARE = re.compile(rf"^(?:{_alt(_all('share'))}){END}(?:{SEP}|{_alt(list(NETWORKS))}|\s)*$")
NETWORK_LIST = re.compile(rf"^(?:(?:{_alt(list(NETWORKS))}){END}{SEP}*){{2,}}$")
COMMENT = re.compile(rf"^(?:\d+\s+)?(?:{_alt(_all('comment'))}){END}\s*(?:\(\d+\)|\d+)?\s*:?$")
COUNTED_COMMENTS = re.compile(r"^\d+\s+(?:comments?|commentaires?|kommentare?|comentarios?|تعليقات?|نظر)$")
SUBSCRIBE = re.compile(rf"^(?:{_alt(_all('subscribe'))}){END}")
SOURCE = re.compile(rf"^(?:{_alt(_all('source'))})\s*:\s*(?P<rest>\S.*)$")
BYLINE = re.compile(rf"^(?:{_alt(_all('byline'))}):?\s+(?P<rest>\S.*)$", re.IGNORECASE)
HOME = re.compile(rf"^(?:{_alt(_all('home'))}){END}\s*(?:[/>»›|•]|(?:{_alt(_all('menu'))}){END})")
MENU_WORD = re.compile(rf"(?<!\w)(?:{_alt(_all('menu') + _all('home'))}){END}")
TAGS = re.compile(rf"^(?:{_alt(_all('tags'))})\s*:")
RIGHTS = re.compile(_alt(_all("rights")))
PHOTO_WORD = _alt(_all("photo"))
PHOTO_CREDIT = re.compile(
    # "(AFP photo)", "(File photo)", "(Photo: IRNA)", "(عکس: ایرنا)" at the end of a line
    rf"\((?:[A-Z][\w.'’/-]*(?:\s[A-Z][\w.'’/-]*){{0,3}}\s)?(?i:{PHOTO_WORD})(?:\s*[:/]\s*[^)]{{0,40}}|\s[^)]{{0,40}})?\)$"
    # "... ©DefaPress", "© Reuters"
    r"|©\s*[\w.'’/-]+(?:\s[\w.'’/-]+){0,3}$")
PHOTO_LINE = re.compile(rf"^(?:{PHOTO_WORD})\s*:\s*\S")
CAPTCHA = re.compile(r"^\d+\s*[+\-x×*]\s*\d+\s*=\s*\??$")
BREADCRUMB_SEP = re.compile(r"\s[/>»›|•]\s")
SEPARATORS_ONLY = re.compile(rf"^{SEP}*$")
SENTENCE_END = re.compile(r"[.!?。؟…][\"'»”’)\]]*$")
LETTER = re.compile(r"[^\W\d_]")
LEAD_SYMBOLS = re.compile(r"^[\W_]+")   # "» Lire aussi", "► Read more", "* Share"


def _name_like(rest: str) -> bool:
    """What follows "by": 'YCPress', 'Anna Müller', 'Juan de la Cruz', 'علي حسين' -- not 'Teheran nach
    Bagdad' or 'the ministry said'. Scripts without case (Arabic, Persian) only get the length test."""
    words = rest.split()
    if not 1 <= len(words) <= 4 or SENTENCE_END.search(rest):
        return False
    connectors = {"and", "et", "und", "y", "de", "la", "del", "van", "von", "al", "&"}
    return all(w[0].isupper() or w.lower() in connectors or not w[0].isalpha()
               or not (w[0].isupper() or w[0].islower()) for w in words)


# Every rule below is for lines of at most this many characters: a longer line is article text, and
# is kept without being normalised (most of a page's text by volume: clean_text took half the time).
MAX_NOISE_CHARS = 300


def _is_noise(raw: str) -> bool:
    n = len(raw)
    if n > MAX_NOISE_CHARS:
        return False
    line = _norm(LEAD_SYMBOLS.sub("", raw)) or _norm(raw)
    if n <= 20 and len(LETTER.findall(raw)) < 4 and not re.search(r"\d{4}", raw) and not SENTENCE_END.search(raw):
        return True   # "0 + 0 =", "TV", lone icons and separators
    if n <= 200 and READ_MORE.match(line):
        return True
    if n <= 120 and (SHARE.match(line) or NETWORK_LIST.match(line)):
        return True
    if n <= 120 and SUBSCRIBE.match(line) and not SENTENCE_END.search(line):
        return True
    if n <= 60 and (COMMENT.match(line) or COUNTED_COMMENTS.match(line) or CAPTCHA.match(line)):
        return True
    if n <= 80 and (m := SOURCE.match(line)) and len(m["rest"].split()) <= 6 and not SENTENCE_END.search(line):
        return True
    if n <= 60 and (m := BYLINE.match(LEAD_SYMBOLS.sub("", raw).strip())) and _name_like(m["rest"]):
        return True
    if n <= 200 and (TAGS.match(line) or RIGHTS.search(line)):
        return True
    if not SENTENCE_END.search(line):
        # "Home Politics <headline>": a breadcrumb that ends with the article's title.
        if n <= 200 and HOME.match(line):
            return True
        # "Infos / A La Une / Iran / Moyen-Orient": short segments between separators.
        # (Not a table row: trafilatura writes those as "| a | b | c |".)
        segments = [s for s in BREADCRUMB_SEP.split(line) if s.strip()]
        if n <= 100 and not raw.startswith("|") and len(segments) >= 3 and all(len(s.split()) <= 5 for s in segments):
            return True
        # "Politics World Business", "Advertisement", "TV": nothing but menu words.
        if n <= 80 and MENU_WORD.search(line) and SEPARATORS_ONLY.match(MENU_WORD.sub(" ", line)):
            return True
    # Photo captions and credits: "... (AFP photo)", "... ©DefaPress", "Photo: IRNA".
    return bool(PHOTO_CREDIT.search(raw.strip())) or (n <= 120 and bool(PHOTO_LINE.match(line)))


def clean_text(text: str) -> str:
    """Drop noise lines and blank lines; every other line is kept as it is (stripped)."""
    out: list[str] = []
    drop_link = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if drop_link:
            drop_link = False
            # The headline a bare "Lire aussi:" points to: short, not a sentence of the article.
            if len(line) <= 160 and not SENTENCE_END.search(line.rstrip("\"”»)’ ")):
                continue
        if _is_noise(line):
            m = READ_MORE.match(_norm(LEAD_SYMBOLS.sub("", line)))
            drop_link = m is not None and not (m["rest"] or "").strip()
            continue
        out.append(line)
    return "\n".join(out)
