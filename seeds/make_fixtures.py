"""Rebuild seeds/pages/*.html and seeds/feeds/*.xml from the five seed articles (run from the repo root).

Each page wraps the seed text, as it is, in realistic page chrome (header, navigation, scripts, share
buttons, related links, comment form, footer) so that extraction is exercised for real. The mirror
pages republish seeds 004 and 001 on a syndication site with other chrome and light edits."""

from __future__ import annotations

import html
from pathlib import Path

HERE = Path(__file__).resolve().parent


def paras(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


SITES = {
    "presstv": {
        "name": "PressTV", "lang": "fr", "logo": "PressTV Français",
        "nav": ["Accueil", "Iran", "Moyen-Orient", "Monde", "Économie", "Vidéos", "Direct"],
        "related_title": "À lire également",
        "related": ["Le prix du pétrole recule après la réunion de l'OPEP+",
                    "Coupe d'Asie : l'Iran qualifié pour les quarts de finale",
                    "Météo : vague de froid attendue sur le nord du pays"],
        "share": "Partager sur Facebook · Twitter · Telegram · WhatsApp",
        "comment": ("Laisser un commentaire", "Votre nom", "Votre adresse e-mail", "Envoyer le commentaire"),
        "footer": "© PressTV — Tous droits réservés. Mentions légales · Contact · Publicité",
        "newsletter": "Abonnez-vous à notre lettre d'information quotidienne",
    },
    "ycpress": {
        "name": "YCPress", "lang": "en", "logo": "YCPress",
        "nav": ["Home", "World", "Business", "Technology", "Sports", "Opinion"],
        "related_title": "Related Posts",
        "related": ["Stock markets close higher on vaccine hopes", "Five tips for a better night's sleep",
                    "Football: derby ends in a goalless draw"],
        "share": "Share this: Facebook · Twitter · LinkedIn · Email",
        "comment": ("Post a comment", "Name", "Email", "Submit Comment"),
        "footer": "Copyright © YCPress. All rights reserved. Privacy Policy · Terms of Use",
        "newsletter": "Sign up for our morning newsletter",
    },
    "tehrantimes": {
        "name": "Tehran Times", "lang": "en", "logo": "Tehran Times",
        "nav": ["Politics", "Economy", "Sports", "Culture", "Tourism", "International"],
        "related_title": "Most viewed",
        "related": ["Persepolis beat Esteghlal in Tehran derby", "Saffron exports rise 20 percent",
                    "Film festival announces jury members"],
        "share": "Share on Twitter · Facebook · Telegram",
        "comment": ("Leave a reply", "Your name", "Your email", "Send"),
        "footer": "All Rights Reserved © Tehran Times Daily Newspaper. Contact Us · About Us · RSS",
        "newsletter": "Get the Tehran Times headlines in your inbox",
    },
    "digest": {
        "name": "Regional Wire Digest", "lang": "en", "logo": "RWD — Regional Wire Digest",
        "nav": ["Front page", "Gulf", "Levant", "Maghreb", "Markets", "Archive"],
        "related_title": "More from the wire",
        "related": ["Shipping rates ease in the Gulf of Oman", "Port authority reports record container volume",
                    "Desalination plant opens on the coast"],
        "share": "Send this story: Mail · Print · Copy link",
        "comment": ("Join the discussion", "Display name", "E-mail (not published)", "Publish"),
        "footer": "Regional Wire Digest republishes wire stories under licence. © RWD Media. Imprint · Cookies",
        "newsletter": "Daily digest: subscribe for free",
    },
}

# name, seed file, site, title, published (UTC ISO), canonical URL, author, description
PAGES = [
    ("000-irak-ministre-defense-attendu-teheran", "000_ccac7b9bec0f3b7e.txt", "presstv",
     "Le ministre irakien de la Défense attendu à Téhéran pour renforcer la coopération militaire",
     "2020-11-13T09:30:00+00:00",
     "https://french.presstv.ir/Detail/2020/11/13/639421/Irak-ministre-Defense-attendu-Teheran",
     "PressTV",
     "Invité de son homologue iranien Amir Hatami, le ministre irakien de la Défense est attendu à Téhéran."),
    ("001-taghizadeh-rencontre-al-ghanmi-bagdad", "001_9598d2335c4139ab.txt", "presstv",
     "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
     "2019-02-26T11:15:00+00:00",
     "https://french.presstv.ir/Detail/2019/02/26/589318/Iran-Irak-Taghizadeh-al-Ghanmi-Bagdad",
     "PressTV", "Le général Qassem Taghizadeh s'est entretenu à Bagdad avec le général Othman al-Ghanmi."),
    ("002-iranian-defense-minister-ready-iraqi-armed-forces", "002_55e5600d96472930.txt", "ycpress",
     "Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to strengthen their "
     "defense forces",
     "2020-11-16T07:45:00+00:00",
     "https://www.ycpress.com/2020/11/16/iranian-defense-minister-ready-to-meet-the-needs-of-the-iraqi-armed-forces/",
     "YCPress", "Iraqi Defense Minister Juma Inad held two days of meetings in Tehran."),
    ("003-iran-irak-cooperation-menaces-communes", "003_ae4a6f0e0f0b7b5f.txt", "presstv",
     "L’Irak et l’Irak renforcent leur coopération face aux menaces communes",
     "2023-02-27T08:00:00+00:00",
     "https://french.presstv.ir/Detail/2023/02/27/700214/Iran-Irak-cooperation-menaces-communes",
     "PressTV", "Le général Baqeri a reçu le ministre irakien de la Défense Thabet al-Abbasi à Téhéran."),
    ("004-iran-provided-iraq-defense-products", "004_b4a537f1d5559298.txt", "tehrantimes",
     "Iran has provided Iraq with defense products, says general",
     "2020-11-15T14:32:00+00:00",
     "https://www.tehrantimes.com/news/455381/Iran-has-provided-Iraq-with-defense-products-says-general",
     "Tehran Times", "General Bagheri met Iraqi Minister of Defense Juma Inad in Tehran."),
]

MIRRORS = [
    # name, original page name, title, published, canonical, edits (old -> new; new "" drops the text)
    ("mirror-004-iran-supplied-iraq-defense-equipment", "004-iran-provided-iraq-defense-products",
     "Iran has provided Iraq with defense products, says general",
     "2020-11-17T06:10:00+00:00",
     "https://www.regionalwire-digest.com/2020/11/17/iran-has-provided-iraq-with-defense-products/",
     [("TEHRAN – Chief of Staff", "TEHRAN (Nov. 15) – Chief of Staff"),
      ("He also took a jab at some regional countries that have recently established diplomatic relations "
       "with Israel, saying Iran views normalization deals between Israel and Arab countries as “a betrayal "
       "of all Muslim nations.”", "")]),
    ("mirror-001-general-iranien-rencontre-chef-etat-major-irakien", "001-taghizadeh-rencontre-al-ghanmi-bagdad",
     "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
     "2019-02-28T10:00:00+00:00",
     "https://www.regionalwire-digest.com/2019/02/28/iran-irak-rencontre-militaire-bagdad/",
     [("Le général de brigade Qassem Taghizadeh, a eu",
       "BAGDAD (IRNA) — Le général de brigade Qassem Taghizadeh, a eu"),
      (" Cette force de mobilisation populaire contrôle la voie internationale qui relie l’Irak, la Syrie et "
       "la Jordanie.", "")]),
]


def page_html(site_key: str, title: str, published: str, canonical: str, author: str, description: str,
              body: list[str]) -> str:
    s = SITES[site_key]
    e = html.escape
    nav = "".join(f'<li><a href="/{e(n.lower())}">{e(n)}</a></li>' for n in s["nav"])
    related = "".join(f'<li><a href="/r/{i}">{e(r)}</a></li>' for i, r in enumerate(s["related"]))
    paragraphs = "\n".join(f"      <p>{e(p)}</p>" for p in body)
    c = s["comment"]
    return f"""<!DOCTYPE html>
<html lang="{s['lang']}">
<head>
  <meta charset="utf-8">
  <title>{e(title)} | {e(s['name'])}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="description" content="{e(description)}">
  <meta name="author" content="{e(author)}">
  <meta property="og:type" content="article">
  <meta property="og:title" content="{e(title)}">
  <meta property="og:site_name" content="{e(s['name'])}">
  <meta property="og:url" content="{e(canonical)}">
  <meta property="article:published_time" content="{published}">
  <link rel="canonical" href="{e(canonical)}">
  <link rel="stylesheet" href="/static/css/main.min.css">
  <script async src="/static/js/analytics.js"></script>
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}
    gtag('js', new Date()); gtag('config', 'UA-000000-1'); var adSlots = ["top-banner", "sidebar"];</script>
</head>
<body class="article-page">
  <header class="site-header">
    <div class="logo"><a href="/">{e(s['logo'])}</a></div>
    <nav class="main-menu"><ul>{nav}</ul></nav>
    <form class="search" action="/search"><input name="q" placeholder="Search"><button>Go</button></form>
  </header>
  <div class="ad ad-top">Advertisement</div>
  <main>
    <article class="story">
      <div class="share-bar top">{e(s['share'])}</div>
{paragraphs}
      <div class="share-bar bottom">{e(s['share'])}</div>
    </article>
    <aside class="related">
      <h3>{e(s['related_title'])}</h3>
      <ul>{related}</ul>
    </aside>
    <section class="comments">
      <h3>{e(c[0])}</h3>
      <form method="post" action="/comment">
        <label>{e(c[1])} <input name="name"></label>
        <label>{e(c[2])} <input name="email"></label>
        <textarea name="body"></textarea>
        <button type="submit">{e(c[3])}</button>
      </form>
    </section>
  </main>
  <footer class="site-footer">
    <p class="newsletter">{e(s['newsletter'])}</p>
    <p>{e(s['footer'])}</p>
  </footer>
  <script src="/static/js/vendor.bundle.js"></script>
  <script>document.querySelectorAll('.share-bar').forEach(function (b) {{ b.dataset.ready = "1"; }});</script>
</body>
</html>
"""


def rss(title: str, link: str, desc: str, lang: str | None, items: list[tuple[str, str, str, str]]) -> str:
    from datetime import datetime
    from email.utils import format_datetime

    e = html.escape
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n<title>{e(title)}</title>',
           f"<link>{e(link)}</link>\n<description>{e(desc)}</description>"]
    if lang:
        out.append(f"<language>{lang}</language>")
    for t, href, when, guid in items:
        pub = format_datetime(datetime.fromisoformat(when))
        out.append(f"<item>\n  <title>{e(t)}</title>\n  <link>{e(href)}</link>\n  <guid isPermaLink=\"false\">{e(guid)}"
                   f"</guid>\n  <pubDate>{pub}</pubDate>\n</item>")
    out.append("</channel>\n</rss>\n")
    return "\n".join(out)


def atom(title: str, items: list[tuple[str, str, str, str]]) -> str:
    e = html.escape
    updated = max(w for _, _, w, _ in items)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
           f"<title>{e(title)}</title>\n<id>urn:newswatch:seeds:en-wire</id>\n<updated>{updated}</updated>"]
    for t, href, when, guid in items:
        out.append(f'<entry>\n  <title>{e(t)}</title>\n  <link rel="alternate" href="{e(href)}"/>\n'
                   f"  <id>{e(guid)}</id>\n  <published>{when}</published>\n  <updated>{when}</updated>\n</entry>")
    out.append("</feed>\n")
    return "\n".join(out)


def main() -> None:
    pages = HERE / "pages"
    feeds = HERE / "feeds"
    pages.mkdir(exist_ok=True)
    feeds.mkdir(exist_ok=True)
    by_name = {}
    for name, seed, site, title, published, canonical, author, desc in PAGES:
        text = (HERE / seed).read_text(encoding="utf-8")
        by_name[name] = (text, title, published, canonical)
        (pages / f"{name}.html").write_text(page_html(site, title, published, canonical, author, desc, paras(text)),
                                            encoding="utf-8")
    for name, original, title, published, canonical, edits in MIRRORS:
        text = by_name[original][0]
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        (pages / f"{name}.html").write_text(
            page_html("digest", title, published, canonical, "Regional Wire Digest staff", title, paras(text)),
            encoding="utf-8")

    def item(name: str) -> tuple[str, str, str, str]:
        row = next(p for p in PAGES if p[0] == name)
        return (row[3], f"../pages/{name}.html", row[4], row[5])

    (feeds / "presstv-fr.xml").write_text(rss(
        "PressTV — Iran et Moyen-Orient", "https://french.presstv.ir/", "Les dernières informations de PressTV",
        "fr", [item(n) for n in ("003-iran-irak-cooperation-menaces-communes",
                                 "000-irak-ministre-defense-attendu-teheran",
                                 "001-taghizadeh-rencontre-al-ghanmi-bagdad")]), encoding="utf-8")
    (feeds / "en-wire.xml").write_text(atom("English wire: Iran and Iraq", [
        item("004-iran-provided-iraq-defense-products"),
        item("002-iranian-defense-minister-ready-iraqi-armed-forces")]), encoding="utf-8")
    (feeds / "mirror.xml").write_text(rss(
        "Regional Wire Digest", "https://www.regionalwire-digest.com/", "Wire stories from the region", None,
        [(m[2], f"../pages/{m[0]}.html", m[3], m[4]) for m in MIRRORS]), encoding="utf-8")


if __name__ == "__main__":
    main()
