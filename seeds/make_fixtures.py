"""Rebuild seeds/pages/*.html and seeds/feeds/*.xml from the five seed articles (see seeds/README.md)."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent


def esc(text: str) -> str:
    """Text content: escape markup only, keep apostrophes and quotes as the sites do."""
    return escape(text, quote=False)


def attr(text: str) -> str:
    return escape(text, quote=True)


SITES = {
    "presstv": {
        "name": "PressTV", "lang": "fr", "locale": "fr_FR", "logo": "PressTV Français", "home": "https://french.presstv.ir",
        "twitter": "@PresstvFr", "section": "Moyen-Orient",
        "nav": ["Accueil", "Iran", "Moyen-Orient", "Afrique", "Europe", "Amériques", "Économie", "Vidéos", "Direct"],
        "topbar": "Suivez-nous : Facebook · Telegram · VK · YouTube",
        "ticker": "Flash info : la Bourse de Téhéran termine la séance en hausse",
        "cookie": ("Ce site utilise des cookies pour améliorer votre expérience de navigation.", "J'accepte"),
        "ad": "Publicité",
        "share": ["Facebook", "Twitter", "Telegram", "WhatsApp", "Imprimer"],
        "share_label": "Partager sur",
        "tags_label": "Mots-clés :",
        "tags": ["Iran", "Irak", "Défense"],
        "related_title": "À lire également",
        "related": ["Le prix du pétrole recule après la réunion de l'OPEP+",
                    "Coupe d'Asie : l'Iran qualifié pour les quarts de finale",
                    "Météo : vague de froid attendue sur le nord du pays"],
        "most_read_title": "Les plus lus",
        "most_read": ["Le rial se stabilise face au dollar sur le marché libre",
                      "Un séisme de magnitude 4,5 secoue le sud-est du pays sans faire de victimes"],
        "comment": ("Laisser un commentaire", "Votre nom", "Votre adresse e-mail",
                    "Les commentaires sont modérés avant publication.", "Envoyer le commentaire"),
        "newsletter": "Abonnez-vous à notre lettre d'information quotidienne",
        "footer_links": ["Qui sommes-nous", "Contact", "Mentions légales", "Publicité", "Flux RSS"],
        "footer": "© PressTV — Tous droits réservés.",
        "date_fmt": "fr",
    },
    "ycpress": {
        "name": "YCPress", "lang": "en", "locale": "en_US", "logo": "YCPress", "home": "https://www.ycpress.com",
        "twitter": "@ycpress", "section": "Politics",
        "nav": ["Home", "Politics", "World", "Business", "Technology", "Sports", "Opinion"],
        "topbar": "Breaking News · Latest Posts · Contact Us",
        "ticker": "Trending: Stock markets close higher on vaccine hopes",
        "cookie": ("We use cookies to ensure that we give you the best experience on our website.", "Accept"),
        "ad": "Advertisement",
        "share": ["Facebook", "Twitter", "LinkedIn", "Reddit", "Email"],
        "share_label": "Share on",
        "tags_label": "Tags:",
        "tags": ["Iran", "Iraq", "Defense Ministry"],
        "related_title": "Related Posts",
        "related": ["Five tips for a better night's sleep",
                    "Football: derby ends in a goalless draw",
                    "Electric car sales double in the third quarter"],
        "most_read_title": "Popular This Week",
        "most_read": ["Central bank keeps interest rates unchanged",
                      "New smartphone launch draws long queues downtown"],
        "comment": ("Post a comment", "Name", "Email", "Your email address will not be published.",
                    "Submit Comment"),
        "newsletter": "Sign up for our morning newsletter",
        "footer_links": ["About Us", "Contact", "Privacy Policy", "Terms of Use", "Advertise"],
        "footer": "Copyright © 2020 YCPress. All rights reserved.",
        "date_fmt": "en",
    },
    "tehrantimes": {
        "name": "Tehran Times", "lang": "en", "locale": "en_US", "logo": "Tehran Times",
        "home": "https://www.tehrantimes.com", "twitter": "@TehranTimes79", "section": "Politics",
        "nav": ["Politics", "Economy", "Sports", "Culture", "Tourism", "International", "Opinion", "Photo"],
        "topbar": "Today's print edition · Subscribe · Archive",
        "ticker": "Latest: Persepolis beat Esteghlal in Tehran derby",
        "cookie": ("This website uses cookies to improve your experience.", "Got it"),
        "ad": "Advertisement",
        "share": ["Twitter", "Facebook", "Telegram", "Print"],
        "share_label": "Share on",
        "tags_label": "Tags:",
        "tags": ["Iran", "Iraq", "Bagheri"],
        "related_title": "Most viewed",
        "related": ["Saffron exports rise 20 percent in seven months",
                    "Film festival announces jury members for its next edition",
                    "Caspian Sea fishermen report a record sturgeon season"],
        "most_read_title": "Editor's picks",
        "most_read": ["Restoration of historic caravanserai completed in Yazd",
                      "Volleyball team wins gold at the Asian championship"],
        "comment": ("Leave a reply", "Your name", "Your email",
                    "Comments are reviewed before they appear.", "Send"),
        "newsletter": "Get the Tehran Times headlines in your inbox",
        "footer_links": ["About Us", "Contact Us", "Advertising", "RSS", "Archive"],
        "footer": "All Rights Reserved © Tehran Times Daily Newspaper.",
        "date_fmt": "en",
    },
}

DIGEST = {
    "name": "Regional Wire Digest", "home": "https://www.regionalwire-digest.com",
    "logo": "RWD — Regional Wire Digest",
    "menu": {"en": ["Front page", "Gulf", "Levant", "Maghreb", "Markets", "Archive"],
             "fr": ["À la une", "Golfe", "Levant", "Maghreb", "Marchés", "Archives"]},
    "republished": {"en": "This story was first published by {src}. Republished under licence.",
                    "fr": "Cet article a d'abord été publié par {src}. Republié sous licence."},
    "trending_title": {"en": "Trending on the wire", "fr": "Tendances du fil"},
    "trending": {"en": ["Shipping rates ease in the Gulf of Oman",
                        "Port authority reports record container volume"],
                 "fr": ["Les tarifs du fret baissent dans le golfe d'Oman",
                        "Record de conteneurs pour l'autorité portuaire"]},
    "share": {"en": "Send this story: Mail · Print · Copy link", "fr": "Envoyer cet article : Courriel · Imprimer"},
    "discuss": {"en": ("Join the discussion", "Display name", "Publish"),
                "fr": ("Participer à la discussion", "Pseudonyme", "Publier")},
    "newsletter": {"en": "Daily digest: subscribe for free", "fr": "Le digest du jour : abonnement gratuit"},
    "cookie": {"en": "By continuing to browse you accept our use of cookies.",
               "fr": "En poursuivant votre navigation, vous acceptez l'utilisation de cookies."},
    "footer": "Regional Wire Digest republishes wire stories under licence. © RWD Media. Imprint · Cookies",
}

# name, seed file, site, title, published (local time of the outlet), canonical URL, author, description
PAGES = [
    ("000-irak-ministre-defense-attendu-teheran", "000_ccac7b9bec0f3b7e.txt", "presstv",
     "Le ministre irakien de la Défense attendu à Téhéran pour renforcer la coopération militaire",
     "2020-11-13T13:00:00+03:30",
     "https://french.presstv.ir/Detail/2020/11/13/639421/Irak-ministre-Defense-attendu-Teheran",
     "Press TV",
     "Invité de son homologue iranien Amir Hatami, le ministre irakien de la Défense est attendu à Téhéran."),
    ("001-taghizadeh-rencontre-al-ghanmi-bagdad", "001_9598d2335c4139ab.txt", "presstv",
     "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
     "2019-02-26T14:45:00+03:30",
     "https://french.presstv.ir/Detail/2019/02/26/589318/Iran-Irak-Taghizadeh-al-Ghanmi-Bagdad",
     "Press TV", "Le général Qassem Taghizadeh s'est entretenu à Bagdad avec le général Othman al-Ghanmi."),
    ("002-iranian-defense-minister-ready-iraqi-armed-forces", "002_55e5600d96472930.txt", "ycpress",
     "Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to strengthen their "
     "defense forces",
     "2020-11-16T15:45:00+08:00",
     "https://www.ycpress.com/2020/11/16/iranian-defense-minister-ready-to-meet-the-needs-of-the-iraqi-armed-forces/",
     "YCPress Staff", "Iraqi Defense Minister Juma Inad held two days of meetings in Tehran."),
    ("003-iran-irak-cooperation-menaces-communes", "003_ae4a6f0e0f0b7b5f.txt", "presstv",
     "L’Irak et l’Irak renforcent leur coopération face aux menaces communes",
     "2023-02-27T11:30:00+03:30",
     "https://french.presstv.ir/Detail/2023/02/27/700214/Iran-Irak-cooperation-menaces-communes",
     "Press TV", "Le général Baqeri a reçu le ministre irakien de la Défense Thabet al-Abbasi à Téhéran."),
    ("004-iran-provided-iraq-defense-products", "004_b4a537f1d5559298.txt", "tehrantimes",
     "Iran has provided Iraq with defense products, says general",
     "2020-11-15T18:24:00+03:30",
     "https://www.tehrantimes.com/news/455381/Iran-has-provided-Iraq-with-defense-products-says-general",
     "Tehran Times", "General Bagheri met Iraqi Minister of Defense Juma Inad in Tehran."),
]

MIRRORS = [
    # name, original page, language, title, published, canonical, edits (old -> new; "" drops the text)
    ("mirror-004-iran-supplied-iraq-defense-equipment", "004-iran-provided-iraq-defense-products", "en",
     "Iran has provided Iraq with defense products, says general",
     "2020-11-17T06:10:00+00:00",
     "https://www.regionalwire-digest.com/2020/11/17/iran-has-provided-iraq-with-defense-products/",
     [("November 15, 2020 - 18:2", "Tuesday, November 17, 2020"),
      ("TEHRAN – Chief of Staff", "TEHRAN (Nov. 15) – Chief of Staff"),
      ("He also took a jab at some regional countries that have recently established diplomatic relations "
       "with Israel, saying Iran views normalization deals between Israel and Arab countries as “a betrayal "
       "of all Muslim nations.”", ""),
      ("Leave a Comment", ""), ("0 + 0 =", "")]),
    ("mirror-001-general-iranien-rencontre-chef-etat-major-irakien", "001-taghizadeh-rencontre-al-ghanmi-bagdad",
     "fr", "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
     "2019-02-28T10:00:00+00:00",
     "https://www.regionalwire-digest.com/fr/2019/02/28/iran-irak-rencontre-militaire-bagdad/",
     [("Le général de brigade Qassem Taghizadeh, a eu",
       "BAGDAD (IRNA) — Le général de brigade Qassem Taghizadeh, a eu"),
      (" Cette force de mobilisation populaire contrôle la voie internationale qui relie l’Irak, la Syrie et "
       "la Jordanie.", "")]),
]

SOURCE_NAME = {"004-iran-provided-iraq-defense-products": "Tehran Times",
               "001-taghizadeh-rencontre-al-ghanmi-bagdad": "PressTV"}

MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre"]


def shown_date(when: str, style: str) -> str:
    d = datetime.fromisoformat(when)
    if style == "fr":
        return f"{d.day} {MONTHS_FR[d.month - 1]} {d.year} {d:%H:%M}"
    return f"{d:%B} {d.day}, {d.year} {d:%H:%M}"


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def body_html(body: list[str], title: str, indent: str) -> str:
    """Seed lines as the site shows them: the headline as <h1>, photo captions in <figure>, a
    "Lire aussi:" box with its link; every other line a paragraph."""
    out: list[str] = []
    i = 0
    while i < len(body):
        line = body[i]
        if line == title:
            out.append(f'<h1 class="headline">{esc(line)}</h1>')
        elif line.endswith(("(AFP photo)", "©DefaPress")):
            out.append(f'<figure class="photo"><img src="/photo/{i}.jpg" alt="">'
                       f"<figcaption>{esc(line)}</figcaption></figure>")
        elif line == "Lire aussi:" and i + 1 < len(body):
            out.append(f'<div class="read-also"><strong>{esc(line)}</strong> '
                       f'<a href="/Detail/2020/11/10/639002/Iran-Hatami-contrats-Russie-Chine">'
                       f"{esc(body[i + 1])}</a></div>")
            i += 1
        else:
            out.append(f"<p>{esc(line)}</p>")
        i += 1
    return "\n".join(indent + x for x in out)


def json_ld(title: str, published: str, canonical: str, author: str, site: str, home: str) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
            "datePublished": published, "dateModified": published, "mainEntityOfPage": canonical,
            "author": {"@type": "Organization", "name": author},
            "publisher": {"@type": "Organization", "name": site,
                          "logo": {"@type": "ImageObject", "url": f"{home}/static/img/logo.png"}}}
    return json.dumps(data, ensure_ascii=False)


def news_page(site_key: str, title: str, published: str, canonical: str, author: str, description: str,
              body: list[str]) -> str:
    s = SITES[site_key]
    nav = "".join(f'<li><a href="/{attr(n.lower())}">{esc(n)}</a></li>' for n in s["nav"])
    share = " ".join(f'<a class="share-{n.lower()}" href="#" rel="nofollow">{esc(n)}</a>' for n in s["share"])
    tags = " ".join(f'<a href="/tag/{attr(t.lower())}">{esc(t)}</a>' for t in s["tags"])
    related = "".join(f'<li><a href="/news/{700 + i}">{esc(r)}</a></li>' for i, r in enumerate(s["related"]))
    most = "".join(f'<li><a href="/news/{800 + i}">{esc(r)}</a></li>' for i, r in enumerate(s["most_read"]))
    foot = " · ".join(f'<a href="/{attr(f.lower().replace(" ", "-"))}">{esc(f)}</a>' for f in s["footer_links"])
    c = s["comment"]
    # The seeds without a headline line (000, 001) get the page's own headline above the text.
    h1 = "" if title in body else f'\n        <h1 class="headline">{esc(title)}</h1>'
    return f"""<!DOCTYPE html>
<html lang="{s['lang']}" dir="ltr">
<head>
  <meta charset="utf-8">
  <meta http-equiv="X-UA-Compatible" content="IE=edge">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc(title)} | {esc(s['name'])}</title>
  <meta name="description" content="{attr(description)}">
  <meta name="author" content="{attr(author)}">
  <meta property="og:type" content="article">
  <meta property="og:site_name" content="{attr(s['name'])}">
  <meta property="og:title" content="{attr(title)}">
  <meta property="og:description" content="{attr(description)}">
  <meta property="og:url" content="{attr(canonical)}">
  <meta property="og:image" content="{s['home']}/static/photo/{published[:10].replace('-', '')}/lead.jpg">
  <meta property="og:locale" content="{s['locale']}">
  <meta property="article:published_time" content="{published}">
  <meta property="article:section" content="{attr(s['section'])}">
  <meta name="twitter:card" content="summary_large_image">
  <meta name="twitter:site" content="{s['twitter']}">
  <link rel="canonical" href="{attr(canonical)}">
  <link rel="alternate" type="application/rss+xml" title="{attr(s['name'])}" href="{s['home']}/rss">
  <link rel="icon" href="/favicon.ico">
  <link rel="stylesheet" href="/static/css/main.min.css?v=4.2.1">
  <script type="application/ld+json">{json_ld(title, published, canonical, author, s['name'], s['home'])}</script>
  <script async src="https://www.googletagmanager.com/gtag/js?id=G-0000000000"></script>
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}
    gtag('js', new Date()); gtag('config', 'G-0000000000'); var adSlots = ["top-banner", "sidebar"];</script>
</head>
<body class="article-page">
  <div id="cookie-consent" class="cookie-banner" role="dialog">
    <p>{esc(s['cookie'][0])}</p><button type="button" class="cookie-accept">{esc(s['cookie'][1])}</button>
  </div>
  <header class="site-header">
    <div class="topbar"><span class="social">{esc(s['topbar'])}</span></div>
    <div class="logo"><a href="/"><img src="/static/img/logo.png" alt="{attr(s['logo'])}">
      <span>{esc(s['logo'])}</span></a></div>
    <nav class="main-menu" aria-label="Menu"><ul>{nav}</ul></nav>
    <form class="search" action="/search" role="search"><input name="q" type="search"><button>OK</button></form>
  </header>
  <div class="ticker"><span>{esc(s['ticker'])}</span></div>
  <div class="ad ad-leaderboard" data-slot="top-banner"><span>{esc(s['ad'])}</span></div>
  <main class="container">
    <div class="row">
      <article class="news-detail col-main" itemscope itemtype="https://schema.org/NewsArticle">
        <div class="share-bar share-top"><span>{esc(s['share_label'])}</span> {share}</div>{h1}
        <div class="article-body" itemprop="articleBody">
{body_html(body, title, '          ')}
        </div>
        <div class="tags"><span>{esc(s['tags_label'])}</span> {tags}</div>
        <div class="share-bar share-bottom"><span>{esc(s['share_label'])}</span> {share}</div>
      </article>
      <aside class="sidebar col-side">
        <section class="related"><h3>{esc(s['related_title'])}</h3><ul>{related}</ul></section>
        <div class="ad ad-sidebar" data-slot="sidebar"><span>{esc(s['ad'])}</span></div>
        <section class="most-read"><h3>{esc(s['most_read_title'])}</h3><ol>{most}</ol></section>
      </aside>
    </div>
    <section id="comments" class="comments">
      <h3>{esc(c[0])}</h3>
      <form method="post" action="/comment" class="comment-form">
        <p class="note">{esc(c[3])}</p>
        <label>{esc(c[1])} <input name="name" required></label>
        <label>{esc(c[2])} <input name="email" type="email" required></label>
        <textarea name="body" rows="5"></textarea>
        <button type="submit">{esc(c[4])}</button>
      </form>
    </section>
  </main>
  <footer class="site-footer">
    <div class="newsletter"><p>{esc(s['newsletter'])}</p>
      <form action="/newsletter" method="post"><input name="email" type="email"><button>OK</button></form></div>
    <nav class="footer-links">{foot}</nav>
    <p class="copyright">{esc(s['footer'])}</p>
  </footer>
  <script src="/static/js/vendor.bundle.min.js"></script>
  <script>document.querySelectorAll('.share-bar a').forEach(function (a) {{
    a.addEventListener('click', function (e) {{ e.preventDefault(); window.open(a.href, 'share', 'width=600'); }});
  }});</script>
</body>
</html>
"""


def digest_page(lang: str, source: str, title: str, published: str, canonical: str, body: list[str]) -> str:
    """The syndication site: another CMS, another layout (div soup, attribution box, modal)."""
    d = DIGEST
    menu = " ".join(f'<a class="menu-item" href="/{lang}/{attr(m.lower().replace(" ", "-"))}">{esc(m)}</a>'
                    for m in d["menu"][lang])
    trending = "".join(f'<div class="trend-item"><a href="/{lang}/t/{i}">{esc(t)}</a></div>'
                       for i, t in enumerate(d["trending"][lang]))
    paragraphs = "\n".join(f"            <p>{esc(p)}</p>" for p in body if p != title)
    discuss = d["discuss"][lang]
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{esc(title)} - {esc(d['name'])}</title>
<meta name="author" content="Regional Wire Digest staff">
<meta name="description" content="{attr(title)}">
<meta property="og:site_name" content="{attr(d['name'])}">
<meta property="og:title" content="{attr(title)} - {attr(d['name'])}">
<meta property="og:type" content="article">
<meta property="og:url" content="{attr(canonical)}">
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="{attr(canonical)}">
<link rel="stylesheet" id="theme-css" href="/wp-content/themes/wire/style.css?ver=2.8" media="all">
<script>var wireCfg = {{"ajaxUrl": "/wp-admin/admin-ajax.php", "lang": "{lang}", "adsEnabled": true}};</script>
</head>
<body class="post-template-default single single-post">
<div id="page" class="site">
  <div class="masthead">
    <div class="brand"><a href="/{lang}/">{esc(d['logo'])}</a></div>
    <div class="menu-bar">{menu}</div>
  </div>
  <div id="content" class="site-content">
    <div class="post-wrapper">
      <div class="entry-header">
        <h1 class="entry-title">{esc(title)}</h1>
        <div class="entry-meta"><span class="posted-on">
          <time class="entry-date published" datetime="{published}">{published[:10]}</time></span></div>
      </div>
      <div class="entry-content">
{paragraphs}
      </div>
      <div class="attribution-box">{esc(d['republished'][lang].format(src=source))}</div>
      <div class="sharedaddy">{esc(d['share'][lang])}</div>
    </div>
    <div class="widget-area">
      <div class="widget trending"><div class="widget-title">{esc(d['trending_title'][lang])}</div>{trending}</div>
      <div class="widget subscribe"><div class="widget-title">{esc(d['newsletter'][lang])}</div>
        <form><input type="email" name="e"><input type="submit" value="OK"></form></div>
    </div>
    <div id="respond" class="comment-respond">
      <div class="comment-reply-title">{esc(discuss[0])}</div>
      <form id="commentform"><input name="author" placeholder="{attr(discuss[1])}"><textarea name="comment"></textarea>
        <input type="submit" value="{attr(discuss[2])}"></form>
    </div>
  </div>
  <div class="site-info">{esc(d['footer'])}</div>
</div>
<div class="cookie-notice"><span>{esc(d['cookie'][lang])}</span><a href="#" class="ok">OK</a></div>
<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.5.1"></script>
<script>jQuery(function ($) {{
  $('.cookie-notice .ok').on('click', function () {{ $('.cookie-notice').hide(); }});
}});</script>
</body>
</html>
"""


def rfc822(when: str) -> str:
    return format_datetime(datetime.fromisoformat(when))


def rss(title: str, link: str, desc: str, lang: str | None, items: list[dict[str, str]]) -> str:
    newest = max(items, key=lambda i: datetime.fromisoformat(i["published"]))["published"]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">', "<channel>",
           f"<title>{esc(title)}</title>", f"<link>{esc(link)}</link>", f"<description>{esc(desc)}</description>"]
    if lang:
        out.append(f"<language>{lang}</language>")
    out.append(f"<lastBuildDate>{rfc822(newest)}</lastBuildDate>")
    for it in items:
        out.append("<item>\n"
                   f"  <title>{esc(it['title'])}</title>\n"
                   f"  <link>{esc(it['href'])}</link>\n"
                   f"  <description>{esc(it['description'])}</description>\n"
                   f"  <dc:creator>{esc(it['author'])}</dc:creator>\n"
                   f"  <category>{esc(it['category'])}</category>\n"
                   f"  <guid isPermaLink=\"false\">{esc(it['guid'])}</guid>\n"
                   f"  <pubDate>{rfc822(it['published'])}</pubDate>\n"
                   "</item>")
    out.append("</channel>\n</rss>\n")
    return "\n".join(out)


def atom(title: str, items: list[dict[str, str]]) -> str:
    updated = max(items, key=lambda i: datetime.fromisoformat(i["published"]))["published"]
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
           f"<title>{esc(title)}</title>", "<subtitle>English-language wire coverage of Iran and Iraq</subtitle>",
           "<id>urn:newswatch:seeds:en-wire</id>", f"<updated>{updated}</updated>",
           '<link rel="self" href="en-wire.xml"/>']
    for it in items:
        out.append("<entry>\n"
                   f"  <title>{esc(it['title'])}</title>\n"
                   f'  <link rel="alternate" type="text/html" href="{attr(it["href"])}"/>\n'
                   f"  <id>{esc(it['guid'])}</id>\n"
                   f"  <published>{it['published']}</published>\n"
                   f"  <updated>{it['published']}</updated>\n"
                   f"  <author><name>{esc(it['author'])}</name></author>\n"
                   f"  <summary>{esc(it['description'])}</summary>\n"
                   "</entry>")
    out.append("</feed>\n")
    return "\n".join(out)


def main() -> None:
    pages, feeds = HERE / "pages", HERE / "feeds"
    pages.mkdir(exist_ok=True)
    feeds.mkdir(exist_ok=True)
    texts: dict[str, str] = {}
    items: dict[str, dict[str, str]] = {}
    for name, seed, site, title, published, canonical, author, desc in PAGES:
        texts[name] = (HERE / seed).read_text(encoding="utf-8")
        html = news_page(site, title, published, canonical, author, desc, lines(texts[name]))
        (pages / f"{name}.html").write_text(html, encoding="utf-8")
        items[name] = {"title": title, "href": f"../pages/{name}.html", "published": published,
                       "guid": canonical, "description": desc, "author": author,
                       "category": SITES[site]["section"]}
    for name, original, lang, title, published, canonical, edits in MIRRORS:
        text = texts[original]
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        html = digest_page(lang, SOURCE_NAME[original], title, published, canonical, lines(text))
        (pages / f"{name}.html").write_text(html, encoding="utf-8")
        items[name] = {"title": title, "href": f"../pages/{name}.html", "published": published,
                       "guid": canonical, "description": items[original]["description"],
                       "author": "Regional Wire Digest", "category": "Republished"}

    (feeds / "presstv-fr.xml").write_text(rss(
        "PressTV — Iran et Moyen-Orient", "https://french.presstv.ir/", "Les dernières informations de PressTV",
        "fr", [items[n] for n in ("003-iran-irak-cooperation-menaces-communes",
                                  "000-irak-ministre-defense-attendu-teheran",
                                  "001-taghizadeh-rencontre-al-ghanmi-bagdad")]), encoding="utf-8")
    (feeds / "en-wire.xml").write_text(atom("English wire: Iran and Iraq", [
        items["002-iranian-defense-minister-ready-iraqi-armed-forces"],
        items["004-iran-provided-iraq-defense-products"]]), encoding="utf-8")
    (feeds / "mirror.xml").write_text(rss(
        "Regional Wire Digest", "https://www.regionalwire-digest.com/", "Wire stories from the region", None,
        [items[m[0]] for m in MIRRORS]), encoding="utf-8")


if __name__ == "__main__":
    main()
