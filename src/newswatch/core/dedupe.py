"""Canonical URLs, content hashes, near-duplicate signatures and story assignment (pure)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
from courlan import extract_domain, normalize_url, scrub_url

from newswatch.core import minhash

# Estimated Jaccard similarity (3-word shingles) from which two texts are the same story. On the
# corpus (figures in minhash.py): distinct pages <= 0.031 estimated (0.037 exact), the reports of
# one visit in seeds/ (000, 002, 004) <= 0.0625 (0.044 exact), while copies in other chrome, with
# 5% of words edited or with a paragraph added are >= 0.50 (median 0.94). 0.3 sits in that gap,
# about 6 standard errors from either side: a copy with a fifth of its words changed (J ~ 0.34)
# still counts, another outlet's own report of the same meeting does not.
THRESHOLD = 0.3

SIGNATURE_DTYPE = np.dtype("<u4")   # stored little-endian, NUM_PERM * 4 bytes
EMPTY_HASH = hashlib.sha256(b"").hexdigest()   # the content hash of a text with no words


# --- URLs -------------------------------------------------------------------------------------


def _resolve_dots(parts: SplitResult) -> SplitResult:
    """Remove "." and ".." path segments (RFC 3986 5.2.4); courlan only drops leading ones."""
    if "/." not in parts.path:
        return parts
    base = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    return parts._replace(path=urlsplit(urljoin(base, parts.path)).path)


def canonical_url(url: str) -> str:
    """The URL an article is known by: lower-case scheme and host, no default port, no fragment,
    no tracking parameters (utm_*, fbclid, gclid, ... as courlan knows them), sorted query.

    Never raises; returns the input stripped when it is not an http(s) URL we can parse.
    """
    if not isinstance(url, str):
        return ""
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return stripped
        # courlan (trafilatura's own URL library): scrubs, lower-cases the host, strips default
        # ports and tracking parameters and sorts the query. Its query parser drops bare keys,
        # though, and `story.php?12345` style ids must survive, so those are put back below.
        scrubbed = scrub_url(stripped)
        out = _resolve_dots(urlsplit(normalize_url(scrubbed)))
        bare = sorted({p for p in urlsplit(scrubbed).query.split("&") if p and "=" not in p})
        query = "&".join(p for p in [out.query, *bare] if p)
        # A bare root is written without its slash (as courlan's scrubber already does), with it
        # when a query follows.
        path = "/" if query and out.path in ("", "/") else ("" if out.path == "/" else out.path)
        out = out._replace(path=path)
        return urlunsplit(out._replace(query=query, fragment=""))
    except (ValueError, AttributeError, UnicodeError):
        return stripped


def _registered_domain(url: str) -> str | None:
    """The registered domain (public suffix + 1, e.g. bbc.co.uk), or None for IPs and localhost."""
    try:
        return extract_domain(url)
    except (ValueError, AttributeError, UnicodeError):
        return None


def pick_canonical(fetched_url: str, page_canonical: str | None) -> str:
    """The canonical URL of a fetched page: the page's `<link rel=canonical>` when it is trusted,
    else the fetched URL, both passed through canonical_url.

    Trusted means: http(s), on the same registered domain as the fetched URL (the same host and
    port when there is no registered domain, e.g. 127.0.0.1), and not the site's home page for a
    page that is not itself the home page (a common CMS misconfiguration that would merge every
    article of a site into one).
    """
    fetched = canonical_url(fetched_url)
    if not page_canonical or not isinstance(page_canonical, str) or not page_canonical.strip():
        return fetched
    try:
        # rel=canonical may be relative (RFC 6596): resolve it against the page's URL.
        candidate = canonical_url(urljoin(fetched_url.strip(), page_canonical.strip()))
        cparts, fparts = urlsplit(candidate), urlsplit(fetched)
    except ValueError:
        return fetched
    if cparts.scheme not in ("http", "https") or not cparts.hostname:
        return fetched
    if fparts.scheme not in ("http", "https"):
        return fetched
    domain_c, domain_f = _registered_domain(candidate), _registered_domain(fetched)
    if domain_c is None or domain_f is None:
        if cparts.netloc != fparts.netloc:
            return fetched
    elif domain_c != domain_f:
        return fetched
    if cparts.path in ("", "/") and not cparts.query and fparts.path not in ("", "/"):
        return fetched
    return candidate


def article_id(canonical: str) -> str:
    """Stable article id: "a_" and the first 16 hex digits of sha256(canonical URL)."""
    return "a_" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# --- Text -------------------------------------------------------------------------------------

_REMOVE = [0x00AD, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x0640, 0x0670]   # soft hyphen,
# ZWJ, LRM/RLM, word joiner, BOM, Arabic tatweel and superscript alef: invisible or decorative.
_REMOVE += [*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x064B, 0x0660)]   # bidi
# controls and Arabic harakat (vowel marks, written in some copies and not in others).
_SPACE = [0x200B, 0x200C, 0x02BB, 0x02BC]   # ZWSP, Persian ZWNJ (written as a space just as often)
# and the modifier-letter apostrophes, which are elision marks like ' and ’.
_LETTERS = {0x064A: "ی", 0x0649: "ی", 0x0643: "ک"}   # Arabic yeh/alef maqsura/kaf -> Persian
# forms: the same word is typed with either depending on the keyboard.


def _char_class(cps: list[int]) -> str:
    """A regex character class for a sorted list of code points, as ranges."""
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(re.escape(chr(cps[i])) + ("-" + re.escape(chr(cps[j])) if j > i else ""))
        i = j + 1
    return "[" + "".join(parts) + "]"


def _build() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """(separators, rare characters, replacements for the rare ones), built once at import.

    Separators: punctuation, separators, controls and modifier symbols of the BMP (~20 ms). Two
    regexes rather than str.translate, which is 5x slower on non-ASCII text.
    """
    replace = {chr(cp): "" for cp in _REMOVE}
    replace.update({chr(cp): " " for cp in _SPACE})
    replace.update({chr(cp): v for cp, v in _LETTERS.items()})
    for base in (0x0660, 0x06F0):   # Arabic-Indic and Persian digits -> ASCII digits
        replace.update({chr(base + d): str(d) for d in range(10)})
    seps = [cp for cp in range(0x10000) if chr(cp) not in replace
            and ((unicodedata.category(chr(cp))[0] in "PZC"
                  and unicodedata.category(chr(cp)) != "Cs")
                 or unicodedata.category(chr(cp)) == "Sk")]
    rare = sorted(ord(c) for c in replace)
    return re.compile(_char_class(seps) + "+"), re.compile(_char_class(rare)), replace


_SEPARATORS, _RARE, _REPLACE = _build()


def normalize_text(text: str) -> str:
    """Text reduced to its words: NFKC, case-folded, punctuation and whitespace -> one space.

    NFKC rather than plain NFC so that compatibility forms (full-width letters, ligatures, Arabic
    presentation forms) compare equal to what they stand for. Every kind of apostrophe becomes a
    separator, so "l’Iran" and "l'Iran" both give "l iran"; Arabic/Persian punctuation (، ؛ ؟),
    tatweel, harakat, ZWNJ and letter variants are normalised the same way.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _RARE.sub(lambda m: _REPLACE[m.group()], folded)
    return _SEPARATORS.sub(" ", folded).strip(" ")


def content_hash(text: str) -> str:
    """Hex sha256 of normalize_text(text): equal for exact duplicates."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def _signature_of_normalized(normalized: str) -> npt.NDArray[np.uint32]:
    toks = minhash.token_hashes(normalized)
    if toks.size < minhash.MIN_TOKENS:
        return minhash.content_signature(normalized.encode("utf-8"))
    return minhash.minhash(minhash.shingle_hashes(toks))


def signature(text: str) -> npt.NDArray[np.uint32]:
    """MinHash signature (NUM_PERM uint32 values) of the text's 3-word shingles.

    Texts of fewer than MIN_TOKENS words get a signature only an identical text reproduces.
    """
    return _signature_of_normalized(normalize_text(text))


def fingerprint(text: str) -> tuple[str, npt.NDArray[np.uint32]]:
    """(content_hash, signature) with one normalisation pass."""
    normalized = normalize_text(text)
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
    return digest, _signature_of_normalized(normalized)


def buckets(sig: npt.NDArray[np.uint32]) -> list[int]:
    """LSH buckets of a signature: one signed 64-bit int per band, the band index mixed in."""
    return minhash.band_buckets(sig)


def exact_bucket(digest: str) -> int:
    """A bucket for the content hash itself, so one lookup finds exact and near candidates."""
    return int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)


def similarity(sig_a: npt.NDArray[np.uint32], sig_b: npt.NDArray[np.uint32]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return minhash.estimate(sig_a, sig_b)


def signature_to_bytes(sig: npt.NDArray[np.uint32]) -> bytes:
    """The BLOB stored in article_signatures.signature."""
    return np.asarray(sig, dtype=SIGNATURE_DTYPE).tobytes()


def signature_from_bytes(blob: bytes) -> npt.NDArray[np.uint32]:
    """Inverse of signature_to_bytes."""
    return np.frombuffer(blob, dtype=SIGNATURE_DTYPE).astype(np.uint32)


# --- Stories ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupeItem:
    """A new article to place in a story."""

    article_id: str
    content_hash: str
    signature: npt.NDArray[np.uint32]
    order_key: tuple[str, ...]   # e.g. (published_at iso or "9999", article_id): earliest first

    @cached_property
    def buckets(self) -> list[int]:
        """The signature's LSH buckets, computed once (a batch's lookup, matching and insert need them)."""
        return minhash.band_buckets(self.signature)


@dataclass(frozen=True)
class StoredCandidate:
    """An article already in the warehouse that may be a duplicate of a new one."""

    article_id: str
    story_id: str
    content_hash: str | None
    signature: npt.NDArray[np.uint32] | None


@dataclass(frozen=True)
class StoryAssignment:
    """Where an article goes: its story and, for a duplicate, the story's first article."""

    article_id: str
    story_id: str
    duplicate_of: str | None
    similarity: float | None   # estimated Jaccard similarity to duplicate_of
    kind: str                  # "new" | "exact" | "near"


@dataclass
class _Known:
    """Everything assign_stories can match against: stored candidates, then earlier batch items."""

    story: dict[str, str]
    sig: dict[str, npt.NDArray[np.uint32]]
    by_hash: dict[str, list[str]]
    by_bucket: dict[int, list[str]]

    def add(self, aid: str, story_id: str, digest: str | None,
            sig: npt.NDArray[np.uint32] | None, bks: list[int] | None = None) -> None:
        self.story[aid] = story_id
        if digest == EMPTY_HASH:   # no words: never matched, never matches
            return
        if digest is not None:
            self.by_hash.setdefault(digest, []).append(aid)
        if sig is not None:
            self.sig[aid] = sig
            for b in bks if bks is not None else buckets(sig):
                self.by_bucket.setdefault(b, []).append(aid)


def _head_similarity(known: _Known, sig: npt.NDArray[np.uint32], story_id: str,
                     fallback: float) -> float:
    head = known.sig.get(story_id)
    return similarity(sig, head) if head is not None else fallback


def _match(known: _Known, item: DedupeItem, bks: list[int]) -> StoryAssignment:
    """The story of one item given everything known before it (in canonical order)."""
    if item.content_hash == EMPTY_HASH:
        return StoryAssignment(item.article_id, item.article_id, None, None, "new")
    exact = [a for a in known.by_hash.get(item.content_hash, ()) if a != item.article_id]
    if exact:
        # All articles with one content hash are in one story; min() only makes ties explicit.
        story_id = min(known.story[a] for a in exact)
        sim = _head_similarity(known, item.signature, story_id, 1.0)
        return StoryAssignment(item.article_id, story_id, story_id, sim, "exact")
    ids = sorted({a for b in bks for a in known.by_bucket.get(b, ()) if a != item.article_id})
    if ids:
        matrix = np.stack([known.sig[a] for a in ids])
        sims = minhash.estimate_many(np.asarray(item.signature, dtype=np.uint32), matrix)
        # Most similar first; equal similarity -> the smaller story id, then article id.
        best = min(range(len(ids)), key=lambda i: (-sims[i], known.story[ids[i]], ids[i]))
        if sims[best] >= THRESHOLD:
            story_id = known.story[ids[best]]
            sim = _head_similarity(known, item.signature, story_id, float(sims[best]))
            return StoryAssignment(item.article_id, story_id, story_id, sim, "near")
    return StoryAssignment(item.article_id, item.article_id, None, None, "new")


def _stored_assignment(item: DedupeItem, cand: StoredCandidate, known: _Known,
                       candidates: Sequence[StoredCandidate]) -> StoryAssignment:
    """An item that is already stored keeps its story (re-runs change nothing)."""
    if cand.story_id == item.article_id:
        return StoryAssignment(item.article_id, item.article_id, None, None, "new")
    same_hash = any(c.story_id == cand.story_id and c.article_id != item.article_id
                    and c.content_hash == item.content_hash for c in candidates)
    sim = _head_similarity(known, item.signature, cand.story_id, 1.0 if same_hash else 0.0)
    return StoryAssignment(item.article_id, cand.story_id, cand.story_id, sim,
                           "exact" if same_hash else "near")


def assign_stories(items: Sequence[DedupeItem],
                   candidates: Sequence[StoredCandidate]) -> list[StoryAssignment]:
    """Place each item in a story: an exact duplicate (same content hash) or near duplicate
    (estimated Jaccard >= THRESHOLD with an article sharing an LSH bucket) joins that article's
    story; anything else starts a new story whose id is its own article_id.

    Items are processed in (order_key, article_id) order, each compared with the candidates and
    with the items before it, so any arrival order of one batch gives the same stories. Returned in
    the input order; an article_id given twice gets the same assignment twice.
    """
    known = _Known({}, {}, {}, {})
    stored: dict[str, StoredCandidate] = {}
    for cand in sorted(candidates, key=lambda c: c.article_id):
        if cand.article_id in stored:
            continue
        stored[cand.article_id] = cand
        known.add(cand.article_id, cand.story_id, cand.content_hash, cand.signature)
    done: dict[str, StoryAssignment] = {}
    for item in sorted(items, key=lambda it: (it.order_key, it.article_id)):
        if item.article_id in done:
            continue
        if item.article_id in stored:
            result = _stored_assignment(item, stored[item.article_id], known, candidates)
        else:
            bks = item.buckets
            result = _match(known, item, bks)
            known.add(item.article_id, result.story_id, item.content_hash, item.signature, bks)
        done[item.article_id] = result
    return [done[item.article_id] for item in items]
