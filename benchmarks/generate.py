#!/usr/bin/env python3
"""Write a synthetic, OpenAlex-shaped works corpus for load and query benchmarks.

    python benchmarks/generate.py --works 1000000 --out DIR [--seed 1] [--mean-refs 20]
                                  [--files N] [--snapshot] [--jobs J]

Records have the keys and nesting of real OpenAlex work records (see
``/work/shared/testdata/openalex/derived/works.jsonl``) and are about 5-6 KB of JSON each. Work ids
W1..Wn follow publication order (1950-2024, volume growing each year); each work cites older works
only, chosen by a fitness (static preferential attachment) model plus a handful of hubs, so the
in-degree is heavy-tailed. A few duplicate references and rare self-references are planted so that
loaders meet them.

Output is gzipped JSON Lines split into part files, either ``DIR/part_000.jsonl.gz`` ... or, with
``--snapshot``, the OpenAlex snapshot layout ``DIR/data/works/updated_date=2024-01-01/part_000.gz``
plus ``DIR/data/works/manifest``. ``DIR/corpus.json`` records the figures benchmarks need (the most
cited work, a median work, edge counts, mean record size).

Everything is a pure function of (seed, works, mean-refs, files): each part file has its own random
stream, so the bytes do not depend on the number of worker processes. Memory is bounded: a worker
holds a few float/int arrays of length ``works`` and one buffer of records, never the corpus.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import math
import os
import random
import sys
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import msgspec
from isal import isal_zlib

# ---------------------------------------------------------------------------------------------------
# Shape of the corpus. Each constant is one modelling decision; the comment says why.
# ---------------------------------------------------------------------------------------------------

FIRST_YEAR = 1950  # start of the publication span
LAST_YEAR = 2024  # end of the span; also the "current" year for counts_by_year
YEARLY_GROWTH = 0.045  # scholarly output grows ~4-5 % a year, so 2024 has ~28x the works of 1950
DEFAULT_WORKS_PER_FILE = 100_000  # OpenAlex snapshot parts hold tens to hundreds of thousands of works
SNAPSHOT_DATE = "2024-01-01"  # the single updated_date= partition written in snapshot layout
SNAPSHOT_URL_PREFIX = "s3://openalex/data/works"  # manifest URLs point where the real snapshot lives
OPENALEX = "https://openalex.org/"
DOI_PREFIX = "https://doi.org/10.5555/synth."  # 10.5555 is Crossref's test prefix, never a real DOI

# Reference counts: a share of works cite nothing; the rest follow a lognormal around the mean.
ZERO_REFS_SHARE = 0.08  # real corpora have many works without a reference list
REF_COUNT_SIGMA = 0.85  # lognormal spread: most works cite 5-50, a few cite hundreds
MAX_REFS = 600  # the longest real reference lists run to several hundred entries

# Choice of cited works. Fitness: each work has a Pareto-distributed attractiveness; a citer picks
# older works in proportion to it, which makes in-degree heavy-tailed without a sequential process.
FITNESS_ALPHA = 1.6  # Pareto exponent; lower means a fatter tail of highly cited works
HUB_SHARE = 0.04  # share of all references that go to the hubs (the "famous papers")
HUB_WEIGHTS = (0.45, 0.2, 0.15, 0.12, 0.08)  # how that share splits among the hubs
HUB_POSITIONS = (0.004, 0.008, 0.015, 0.025, 0.04)  # hub ids as fractions of n: old works
RECENT_SHARE = 0.35  # share of references drawn from recent works (citations favour recent papers)
RECENT_WINDOW = 0.2  # "recent" = the last 20 % of ids before the citer

# Anomalies loaders must meet (rates per work).
DUPLICATE_REF_RATE = 1 / 1000  # a work that lists one reference twice
SELF_REF_RATE = 1 / 10_000  # a work that cites itself (the only reference to a non-older work)

# Share of works carrying optional identifiers and parts.
NO_DOI_PERCENT = 8  # works without a DOI, by a fixed rule on the id (see has_doi)
PMID_SHARE = 0.3  # works with a PubMed id
ABSTRACT_SHARE = 0.55  # non-sparse works with an abstract_inverted_index
REPOSITORY_COPY_SHARE = 0.04  # non-green works that also have a repository copy
TOPIC_SHARE = 0.8  # non-sparse works with topics (OpenAlex leaves some unclassified)
# Sparse records (the MAG- and web-derived long tail) carry little besides ids, title and references.
SPARSE_SHARE = 0.5  # works whose record is sparse: no abstract, topics, keywords or institutions
SPARSE_SOURCE_SHARE = 0.3  # sparse works that still name a source
SPARSE_CLOSED_SHARE = 0.8  # sparse works forced closed access (the rest draw an OA status as usual)
INSTITUTION_SHARE = 0.5  # authorships with a matched institution

RECORDS_PER_CHUNK = 2_000  # records encoded and compressed together (bounds the write buffer)
GZIP_LEVEL = 1  # isal's fast level: the corpus is written once per benchmark run


# ---------------------------------------------------------------------------------------------------
# Word and name material. Hand-written lists; the long tail of the vocabulary is made of syllables.
# ---------------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Split a whitespace-separated word list (keeps the long lists below readable)."""
    return text.split()


_COMMON_WORDS = _words("""
the of and in a to for with on by from is are we this that as at an be which using study results
analysis model data method based between effect effects two new these our patients were was using
high low different its than can has have been it also their both significant use used approach
system systems network networks learning deep neural protein cell cells gene expression cancer
clinical treatment risk health disease human response growth temperature water soil plant species
climate change energy performance control design theory structure properties surface film films
quantum magnetic optical electron state states phase transition dynamics simulation numerical
experimental measurements observed observation evidence population social economic policy market
financial education students learning school children women age associated factors outcomes
mortality survival therapy drug inhibitor receptor signaling pathway mice mouse rat tissue brain
neurons memory cognitive behavior behaviour model models algorithm algorithms optimization image
images detection classification segmentation graph graphs distributed parallel computing software
language text semantic knowledge information retrieval citation citations scholarly publication
journal review survey framework evaluation benchmark dataset datasets accuracy efficient robust
novel improved analysis towards toward via under over during after before within across among
regional global local national urban rural environmental sustainable development management
production process processes chemical synthesis catalyst catalytic reaction reactions carbon
nitrogen oxygen hydrogen metal metals alloy alloys composite composites polymer polymers material
materials mechanical thermal electrical conductivity stress strain fracture fatigue wear coating
infection virus viral bacterial bacteria immune vaccine antibody inflammation chronic acute
trial randomized cohort prevalence incidence diagnosis screening imaging surgery surgical outcome
children adolescents adults elderly pregnancy maternal infant dietary nutrition obesity diabetes
cardiovascular heart blood pressure kidney liver lung breast prostate colorectal tumor tumour
""")

_SYLLABLES = _words(
    "ka ro mi ta ne lo vi sa pe du ri ko ma te lu ni fa zo be ci ga ho ju ky le mo pa qu ra si to un "
    "ve wa xi yo ze al en ir os ur an er in on ar"
)

_FIRST_NAMES = _words("""
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan
Joseph Jessica Thomas Sarah Charles Karen Wei Li Yan Jing Hiroshi Yuki Kenji Akiko Ahmed Fatima
Mohammed Aisha Carlos Maria Jose Ana Luis Sofia Pedro Lucia Hans Anna Peter Eva Klaus Ingrid Pierre
Marie Jean Claire Luca Giulia Marco Chiara Ivan Olga Dmitri Natalia Raj Priya Arjun Ananya Kwame
Ama Chinedu Ngozi Lars Sigrid Nils Astrid Mateo Valentina Diego Camila Omar Leila Yusuf Zeynep
Min-jun Seo-yeon Ji-ho Hye-jin Thanh Linh Minh Anh Sven Freya Oskar Elin Tomasz Agnieszka Pavel
""")

_LAST_NAMES = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams
Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Wang Zhang Liu Chen Yang Huang Zhao Wu
Zhou Xu Sun Ma Zhu Hu Guo He Lin Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi
Kim Park Choi Jung Kang Cho Yoon Jang Singh Kumar Sharma Patel Gupta Shah Mehta Iyer Reddy Rao
Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Durand Leroy
Moreau Laurent Rossi Russo Ferrari Esposito Bianchi Romano Ivanov Smirnov Kuznetsov Popov Petrov
Okafor Mensah Boateng Adeyemi Hansen Johansson Nielsen Larsen Andersson Novak Kowalski Silva
Santos Oliveira Souza Pereira Costa Almeida Yilmaz Kaya Demir Sahin Cohen Levi Haddad Khalil
""")

_CITIES = _words("""
Boston Chicago Seattle Austin Denver Toronto Montreal Vancouver London Manchester Edinburgh Oxford
Cambridge Paris Lyon Berlin Munich Hamburg Zurich Geneva Vienna Amsterdam Utrecht Leiden Brussels
Copenhagen Stockholm Uppsala Oslo Helsinki Madrid Barcelona Lisbon Rome Milan Bologna Athens
Warsaw Prague Budapest Moscow Istanbul Cairo Nairobi Lagos Accra Johannesburg Tokyo Kyoto Osaka
Seoul Busan Beijing Shanghai Wuhan Nanjing Hangzhou Chengdu Taipei Singapore Bangkok Jakarta
Delhi Mumbai Bangalore Chennai Sydney Melbourne Auckland Santiago Lima Bogota Mexico Sao-Paulo
""")

# Country code for each city above, in the same order (facts, used for institutions' country_code).
_CITY_COUNTRIES = _words("""
US US US US US CA CA CA GB GB GB GB GB FR FR DE DE DE CH CH AT NL NL NL BE DK SE SE NO FI ES ES PT
IT IT IT GR PL CZ HU RU TR EG KE NG GH ZA JP JP JP KR KR CN CN CN CN CN CN TW SG TH ID IN IN IN IN
AU AU NZ CL PE CO MX BR
""")

# OpenAlex's four domains and a set of its fields (names are facts about the OpenAlex taxonomy).
_DOMAINS = ("Life Sciences", "Social Sciences", "Physical Sciences", "Health Sciences")
_FIELDS = (
    ("Medicine", 3), ("Biochemistry, Genetics and Molecular Biology", 0), ("Computer Science", 2),
    ("Engineering", 2), ("Social Sciences", 1), ("Physics and Astronomy", 2), ("Chemistry", 2),
    ("Materials Science", 2), ("Environmental Science", 2), ("Agricultural and Biological Sciences", 0),
    ("Psychology", 1), ("Economics, Econometrics and Finance", 1), ("Mathematics", 2),
    ("Earth and Planetary Sciences", 2), ("Neuroscience", 0), ("Immunology and Microbiology", 0),
    ("Arts and Humanities", 1), ("Business, Management and Accounting", 1), ("Nursing", 3),
    ("Pharmacology, Toxicology and Pharmaceutics", 0), ("Energy", 2), ("Chemical Engineering", 2),
    ("Decision Sciences", 1), ("Dentistry", 3), ("Veterinary", 0), ("Health Professions", 3),
)

_TYPES = (
    ("article", 72), ("book-chapter", 8), ("preprint", 5), ("review", 4), ("dataset", 2),
    ("dissertation", 2), ("book", 2), ("paratext", 1.5), ("letter", 1), ("editorial", 1),
    ("report", 0.8), ("other", 0.7),
)
_LANGUAGES = (
    ("en", 88), (None, 3), ("de", 1.5), ("fr", 1.5), ("es", 1.5), ("zh", 1.5), ("ja", 1),
    ("pt", 1), ("ru", 0.7), ("it", 0.3),
)
_OA_STATUSES = (
    ("closed", 55), ("gold", 15), ("green", 12), ("bronze", 10), ("hybrid", 6), ("diamond", 2),
)
_INSTITUTION_TYPES = ("education", "education", "education", "facility", "healthcare", "company",
                      "government", "nonprofit")
_LICENSES = ("cc-by", "cc-by-nc", "cc-by-nc-nd", "cc-by-sa", None)
_SDGS = (
    (3, "Good health and well-being"), (4, "Quality Education"), (7, "Affordable and clean energy"),
    (9, "Industry, innovation and infrastructure"), (13, "Climate action"), (14, "Life below water"),
    (15, "Life in Land"), (16, "Peace, Justice and strong institutions"),
)
# Author-count table: (count, weight); most works have 1-6 authors, a thin tail has dozens.
_AUTHOR_COUNTS = (
    (1, 34), (2, 28), (3, 16), (4, 9), (5, 5), (6, 3), (7, 1.7), (8, 1.1), (9, 0.8), (10, 0.6),
    (12, 0.5), (15, 0.3), (20, 0.2), (30, 0.1), (60, 0.02),
)


def has_doi(n: int) -> bool:
    """Whether work Wn carries a DOI: a fixed rule on the id so benchmarks can tell without reading."""
    return (n * 2654435761) % 100 >= NO_DOI_PERCENT


def work_doi(n: int) -> str | None:
    """The DOI URL of work Wn, or None when it has none."""
    return f"{DOI_PREFIX}{n}" if has_doi(n) else None


def default_files(works: int) -> int:
    """Default number of part files: one per DEFAULT_WORKS_PER_FILE works."""
    return max(1, math.ceil(works / DEFAULT_WORKS_PER_FILE))


@dataclass(frozen=True)
class Params:
    """What the corpus is a function of."""

    works: int
    seed: int
    mean_refs: float
    files: int
    snapshot: bool
    format: str = "openalex"  # openalex | crossref (public data file parts) | crossref-jsonl


def _weighted(table: tuple[tuple[Any, float], ...]) -> tuple[list[Any], list[float]]:
    """Split a (value, weight) table into values and cumulative weights for random.choices."""
    values = [value for value, _ in table]
    cum: list[float] = []
    total = 0.0
    for _, weight in table:
        total += weight
        cum.append(total)
    return values, cum


def _pseudo_word(rng: random.Random) -> str:
    """A pronounceable made-up word of 2-4 syllables (the vocabulary's long tail)."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _issn(rng: random.Random) -> str:
    """A random ISSN (NNNN-NNNC) with its right check character, as real records carry."""
    digits = f"{rng.randrange(10000):04d}{rng.randrange(1000):03d}"
    rng.choice("0123456789X")  # (drawn as before: the corpus after it stays the same bytes)
    check = -sum(int(d) * (8 - i) for i, d in enumerate(digits)) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _orcid(k: int) -> str:
    """The ORCID iD of author ``k``, with its right check character (ISO 7064 MOD 11-2), as real records carry."""
    digits = f"0000000{k % 3}{(k * 7) % 10000:04d}{(k * 13) % 10000:04d}"[:15]
    total = 0
    for d in digits:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    body = digits + ("X" if check == 10 else str(check))
    return "https://orcid.org/" + "-".join(body[i:i + 4] for i in range(0, 16, 4))


#: Crockford base 32, the alphabet of ROR ids.
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _ror(number: int) -> str:
    """A well-formed ROR id URL made from a random number: 0, six base-32 characters, two check digits."""
    number %= 32 ** 6
    chars = "".join(_CROCKFORD[number >> (5 * i) & 31] for i in range(5, -1, -1))
    return f"https://ror.org/0{chars}{98 - number * 100 % 97:02d}"


def _slug(text: str) -> str:
    """Lower-case, hyphen-joined form used in keyword ids."""
    return "-".join(text.lower().replace(",", "").split())


class Model:
    """Everything that part files share: year boundaries, fitness prefix sums, hubs and entity pools.

    Built from the seed alone, so every worker process builds (or inherits) the same model.
    """

    def __init__(self, params: Params) -> None:
        self.params = params
        n = params.works
        self._build_years(n)
        self._build_fitness(params)
        self._build_pools(random.Random(f"{params.seed}:pools"), n)

    # -- graph ---------------------------------------------------------------------------------------

    def _build_years(self, n: int) -> None:
        """First work id of each year, with volume growing by YEARLY_GROWTH a year."""
        years = LAST_YEAR - FIRST_YEAR + 1
        weights = [math.exp(YEARLY_GROWTH * k) for k in range(years)]
        total = sum(weights)
        starts = []
        acc = 0.0
        for weight in weights:
            starts.append(1 + int(round(acc / total * n)))
            acc += weight
        self.year_starts = starts
        self.year_ends = starts[1:] + [n + 1]
        self.year_ordinals = [dt.date(FIRST_YEAR + k, 1, 1).toordinal() for k in range(years)]

    def _build_fitness(self, params: Params) -> None:
        """Prefix sums of Pareto fitness, hub ids, and the expected in-degree factor per work."""
        n = params.works
        rng = random.Random(f"{params.seed}:fitness")
        fitness = array("d", bytes(8 * (n + 1)))
        cum = array("d", bytes(8 * (n + 1)))
        inv_alpha = -1.0 / FITNESS_ALPHA
        rand = rng.random
        total = 0.0
        for i in range(1, n + 1):
            weight = (1.0 - rand()) ** inv_alpha
            fitness[i] = weight
            total += weight
            cum[i] = total
        self.fitness = fitness
        self.cum = cum
        hubs: list[int] = []
        for position in HUB_POSITIONS:
            hub = max(2, int(position * n))
            # Hubs are the works benchmarks look up by DOI, so each must have one.
            while hub in hubs or not has_doi(hub):
                hub += 1
            hubs.append(min(hub, n))
        self.hubs = hubs
        hub_cum: list[float] = []
        acc = 0.0
        for weight in HUB_WEIGHTS:
            acc += weight
            hub_cum.append(acc)
        self.hub_cum = hub_cum
        # Expected citations a unit of fitness earns from all later works: sum over citers i > j of
        # refs_i / cum[i-1]. Used only to make cited_by_count plausible (it is not the true count).
        per_citer = params.mean_refs * (1.0 - HUB_SHARE)
        expect = array("d", bytes(8 * (n + 1)))
        acc = 0.0
        for j in range(n, 0, -1):
            expect[j] = acc
            if j > 1:
                acc += per_citer / cum[j - 1]
        self.expect = expect
        self.hub_expect = {
            hub: HUB_SHARE * weight * params.mean_refs * (n - hub)
            for hub, weight in zip(hubs, HUB_WEIGHTS, strict=True)
        }
        nonzero_mean = params.mean_refs / (1.0 - ZERO_REFS_SHARE)
        # int() of a lognormal loses ~0.5 on average; add it back so the mean lands on target.
        self.ref_mu = math.log(nonzero_mean + 0.5) - REF_COUNT_SIGMA**2 / 2

    def year_of(self, n: int) -> int:
        """Index (0-based from FIRST_YEAR) of the publication year of work Wn."""
        return bisect.bisect_right(self.year_starts, n) - 1

    def publication_date(self, n: int) -> tuple[int, str]:
        """Publication year and ISO date of Wn; dates rise with the id within each year."""
        k = self.year_of(n)
        start, end = self.year_starts[k], self.year_ends[k]
        year = FIRST_YEAR + k
        days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
        day = (n - start) * days // max(1, end - start)
        return year, dt.date.fromordinal(self.year_ordinals[k] + day).isoformat()

    def expected_citations(self, n: int) -> float:
        """Rough expected in-degree of Wn under the model (hubs included)."""
        return self.fitness[n] * self.expect[n] + self.hub_expect.get(n, 0.0)

    # -- pools ---------------------------------------------------------------------------------------

    def _build_pools(self, rng: random.Random, n: int) -> None:
        """Vocabulary, institutions, sources, concepts, topics, keywords and funders."""
        tail = {_pseudo_word(rng) for _ in range(4000)} - set(_COMMON_WORDS)
        vocab = list(dict.fromkeys(_COMMON_WORDS)) + sorted(tail)
        self.vocab = vocab
        # Zipf frequencies: rank r has weight 1/(r+3), the common words first.
        self.vocab_cum = list(_cumulative(1.0 / (r + 3) for r in range(len(vocab))))
        # Titles skip the function words at the head of the list (rarely "the of and ...").
        self.title_vocab = vocab[40:]
        self.title_cum = list(_cumulative(1.0 / (r + 8) for r in range(len(self.title_vocab))))

        institutions: list[tuple[dict[str, Any], str]] = []
        for k in range(3000):
            city_index = rng.randrange(len(_CITIES))
            city = _CITIES[city_index].replace("-", " ")
            pattern = k % 5
            if pattern == 0:
                name = f"University of {city}"
            elif pattern == 1:
                name = f"{city} Institute of Technology"
            elif pattern == 2:
                name = f"{rng.choice(_LAST_NAMES)} Medical Center"
            elif pattern == 3:
                name = f"{city} {rng.choice(_LAST_NAMES)} University"
            else:
                name = f"National Laboratory for {rng.choice(_COMMON_WORDS[40:]).title()} Research"
            iid = f"{OPENALEX}I{100000000 + k * 7919}"
            inst = {
                "id": iid,
                "display_name": name,
                "ror": _ror(rng.randrange(36**8)),
                "country_code": _CITY_COUNTRIES[city_index],
                "type": rng.choice(_INSTITUTION_TYPES),
                "lineage": [iid],
            }
            institutions.append((inst, f"{name}, {city}, {_CITY_COUNTRIES[city_index]}"))
        self.institutions = institutions

        publishers = []
        for k in range(300):
            pid = f"{OPENALEX}P{4310310000 + k * 37}"
            kind_name = rng.choice(("Press", "Publishing", "Verlag", "Scientific", "Academic"))
            publishers.append((pid, f"{rng.choice(_LAST_NAMES)} {kind_name}"))
        sources = []
        for k in range(5000):
            field_name = _FIELDS[rng.randrange(len(_FIELDS))][0]
            kind = rng.random()
            if kind < 0.85:
                name = f"Journal of {rng.choice(vocab[40:400]).title()} {field_name.split(',')[0]}"
                stype = "journal"
            elif kind < 0.95:
                name = f"Proceedings of the {rng.choice(vocab[40:400]).title()} Conference"
                stype = "conference"
            else:
                name = f"{rng.choice(_LAST_NAMES)} Series in {field_name.split(',')[0]}"
                stype = "book series"
            issn_l = _issn(rng)
            # About half of the sources have both a print and an electronic ISSN.
            issns = [issn_l, _issn(rng)] if rng.random() < 0.5 else [issn_l]
            publisher_id, publisher_name = publishers[int(len(publishers) * rng.random() ** 2)]
            is_oa = rng.random() < 0.2
            sources.append({
                "id": f"{OPENALEX}S{4210000000 + k * 131}",
                "display_name": name,
                "issn_l": issn_l,
                "issn": issns,
                "is_oa": is_oa,
                "is_in_doaj": is_oa and rng.random() < 0.7,
                "is_core": rng.random() < 0.6,
                "host_organization": publisher_id,
                "host_organization_name": publisher_name,
                "host_organization_lineage": [publisher_id],
                "host_organization_lineage_names": [publisher_name],
                "type": stype,
            })
        self.sources = sources
        self.source_cum = list(_cumulative(1.0 / (r + 10) for r in range(len(sources))))
        self.repositories = [
            {
                "id": f"{OPENALEX}S{4306400000 + k * 17}",
                "display_name": f"{_CITIES[k % len(_CITIES)].replace('-', ' ')} Research Repository",
                "issn_l": None,
                "issn": None,
                "is_oa": True,
                "is_in_doaj": False,
                "is_core": False,
                "host_organization": institutions[k][0]["id"],
                "host_organization_name": institutions[k][0]["display_name"],
                "host_organization_lineage": [institutions[k][0]["id"]],
                "host_organization_lineage_names": [institutions[k][0]["display_name"]],
                "type": "repository",
            }
            for k in range(60)
        ]

        domains = [
            {"id": f"{OPENALEX}domains/{k + 1}", "display_name": name} for k, name in enumerate(_DOMAINS)
        ]
        fields = [
            {"id": f"{OPENALEX}fields/{11 + k}", "display_name": name} for k, (name, _) in enumerate(_FIELDS)
        ]
        # Topics grouped by field so that a work's topics agree with each other.
        self.field_topics: list[list[tuple[str, str, dict[str, str], dict[str, str], dict[str, str]]]] = []
        self.field_concepts: list[tuple[str, str, str, int]] = []
        topic_number = 10000
        for k, (field_name, domain_index) in enumerate(_FIELDS):
            topics = []
            for s in range(6):
                subfield = {
                    "id": f"{OPENALEX}subfields/{(11 + k) * 100 + s + 1}",
                    "display_name": f"{rng.choice(vocab[40:300]).title()} {field_name.split(',')[0]}",
                }
                for _ in range(6):
                    topic_number += rng.randint(1, 30)
                    words = " ".join(rng.choice(vocab[40:600]) for _ in range(rng.randint(2, 4)))
                    tail_word = rng.choice(("Studies", "Research", "Applications", "Methods", "Analysis"))
                    name = f"{words.title()} and {rng.choice(vocab[40:600]).title()} {tail_word}"
                    topic_id = f"{OPENALEX}T{topic_number}"
                    topics.append((topic_id, name, subfield, fields[k], domains[domain_index]))
            self.field_topics.append(topics)
            self.field_concepts.append(
                (f"{OPENALEX}C{41008148 + k * 1000003}", f"https://www.wikidata.org/wiki/Q{21198 + k * 977}",
                 field_name.split(",")[0], 0)
            )
        self.field_cum = list(_cumulative(1.0 / (r + 2) for r in range(len(_FIELDS))))
        concepts = []
        for k in range(600):
            words = " ".join(rng.choice(vocab[40:800]) for _ in range(rng.randint(1, 3)))
            concept_id = f"{OPENALEX}C{100000000 + k * 104729}"
            wikidata = f"https://www.wikidata.org/wiki/Q{1000000 + k * 3571}"
            concepts.append((concept_id, wikidata, words.capitalize(), rng.choice((1, 1, 2, 2, 2, 3, 3, 4))))
        self.concepts = concepts
        self.keywords = []
        for _ in range(3000):
            words = " ".join(rng.choice(vocab[40:1500]) for _ in range(rng.randint(1, 3)))
            self.keywords.append((f"{OPENALEX}keywords/{_slug(words)}", words.capitalize()))
        self.funders = []
        for k in range(200):
            scope = rng.choice(("National", "Federal", "Royal", "European"))
            self.funders.append((
                f"{OPENALEX}F{4320300000 + k * 113}",
                f"{scope} {rng.choice(vocab[40:300]).title()} Foundation",
                _ror(rng.randrange(16**8)),
            ))
        self.types, self.type_cum = _weighted(_TYPES)
        self.languages, self.language_cum = _weighted(_LANGUAGES)
        self.oa_statuses, self.oa_cum = _weighted(_OA_STATUSES)
        self.author_counts, self.author_count_cum = _weighted(_AUTHOR_COUNTS)
        self.n_authors = max(1000, n * 2)


def _cumulative(weights: Iterator[float] | Any) -> Iterator[float]:
    """Running sums of ``weights``."""
    total = 0.0
    for weight in weights:
        total += weight
        yield total


# ---------------------------------------------------------------------------------------------------
# One part file.
# ---------------------------------------------------------------------------------------------------


@dataclass
class PartResult:
    """What a worker reports for one part file."""

    index: int
    path: str
    records: int
    raw_bytes: int
    gz_bytes: int
    edges: int
    self_refs: int
    duplicate_refs: int
    works_without_refs: int
    in_degree: bytes  # array('I') of length works+1: references received from this file's works


class PartWriter:
    """Generates the records of one part file (one random stream per file)."""

    def __init__(self, model: Model, index: int) -> None:
        self.model = model
        self.rng = random.Random(f"{model.params.seed}:part:{index}")
        self.in_degree = array("I", bytes(4 * (model.params.works + 1)))
        self.self_refs = 0
        self.duplicate_refs = 0
        self.works_without_refs = 0
        self.edges = 0

    # -- references ----------------------------------------------------------------------------------

    def references(self, n: int) -> list[int]:
        """Ids of the works Wn cites: older works, plus the planted anomalies."""
        rng = self.rng
        model = self.model
        rand = rng.random
        refs: list[int] = []
        if n > 1 and rand() >= ZERO_REFS_SHARE:
            wanted = min(MAX_REFS, n - 1, int(rng.lognormvariate(model.ref_mu, REF_COUNT_SIGMA)))
            cum = model.cum
            hubs = model.hubs
            hub_cum = model.hub_cum
            recent_lo = max(1, n - 1 - int((n - 1) * RECENT_WINDOW))
            seen: set[int] = set()
            attempts = 0
            limit = 3 * wanted + 10
            while len(refs) < wanted and attempts < limit:
                attempts += 1
                r = rand()
                if r < HUB_SHARE:
                    hub = hubs[bisect.bisect_left(hub_cum, r / HUB_SHARE * hub_cum[-1])]
                    if hub < n:
                        cited = hub
                    else:
                        continue
                else:
                    lo = recent_lo if r < HUB_SHARE + RECENT_SHARE else 1
                    base = cum[lo - 1]
                    u = base + rand() * (cum[n - 1] - base)
                    cited = bisect.bisect_right(cum, u, lo, n)
                    if cited > n - 1:
                        cited = n - 1
                if cited in seen:
                    continue
                seen.add(cited)
                refs.append(cited)
            if refs and rand() < DUPLICATE_REF_RATE:
                refs.append(refs[rng.randrange(len(refs))])
                self.duplicate_refs += 1
        if rand() < SELF_REF_RATE:
            refs.insert(rng.randrange(len(refs) + 1), n)
            self.self_refs += 1
        if not refs:
            self.works_without_refs += 1
        in_degree = self.in_degree
        for cited in refs:
            in_degree[cited] += 1
        self.edges += len(refs)
        return refs

    # -- record --------------------------------------------------------------------------------------

    def _authorships(self, count: int, institution_share: float
                     ) -> tuple[list[dict[str, Any]], list[str], list[str], list[str]]:
        """Authorships plus the distinct institution ids, countries, and corresponding author ids."""
        rng = self.rng
        rand = rng.random
        model = self.model
        institutions = model.institutions
        n_inst = len(institutions)
        authorships = []
        inst_ids: list[str] = []
        countries: list[str] = []
        corresponding: list[str] = []
        for position in range(count):
            # Prolific authors (small k) recur across many works.
            k = int(model.n_authors * rand() ** 3)
            first = _FIRST_NAMES[k % len(_FIRST_NAMES)]
            last = _LAST_NAMES[(k // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
            name = f"{first} {chr(65 + k % 26)}. {last}" if k % 3 == 0 else f"{first} {last}"
            author_id = f"{OPENALEX}A{5000000000 + k}"
            orcid = _orcid(k) if k % 5 < 2 else None
            is_corresponding = position == 0 and rand() < 0.6
            if is_corresponding:
                corresponding.append(author_id)
            if rand() < institution_share:
                # An author usually stays at one institution; sometimes moves.
                inst, raw = institutions[(k * 40503 + (1 if rand() < 0.15 else 0)) % n_inst]
                iid = inst["id"]
                country = inst["country_code"]
                if iid not in inst_ids:
                    inst_ids.append(iid)
                if country not in countries:
                    countries.append(country)
                inst_list = [inst]
                author_countries = [country]
                raw_strings = [raw]
                affiliations = [{"raw_affiliation_string": raw, "institution_ids": [iid]}]
            else:
                inst_list = []
                author_countries = []
                raw_strings = []
                affiliations = []
            author_position = "first" if position == 0 else "last" if position == count - 1 else "middle"
            authorships.append({
                "author_position": author_position,
                "author": {"id": author_id, "display_name": name, "orcid": orcid},
                "institutions": inst_list,
                "countries": author_countries,
                "is_corresponding": is_corresponding,
                "raw_author_name": name,
                "raw_affiliation_strings": raw_strings,
                "affiliations": affiliations,
            })
        return authorships, inst_ids, countries, corresponding

    def _abstract(self, sparse: bool) -> dict[str, list[int]] | None:
        """An abstract_inverted_index (word -> positions) of 40-140 Zipf-drawn words, or None."""
        rng = self.rng
        if sparse or rng.random() >= ABSTRACT_SHARE:
            return None
        model = self.model
        words = rng.choices(model.vocab, cum_weights=model.vocab_cum, k=rng.randint(40, 140))
        words[0] = words[0].capitalize()
        # Sentences end every ~15 words, as in real abstracts ("results." is its own token).
        for position in range(14, len(words), 15):
            words[position] += "."
        words[-1] += "."
        index: dict[str, list[int]] = {}
        for position, word in enumerate(words):
            found = index.get(word)
            if found is None:
                index[word] = [position]
            else:
                found.append(position)
        return index

    def _location(self, n: int, doi: str | None, source: dict[str, Any] | None, is_oa: bool,
                  repository: bool) -> dict[str, Any]:
        """A location object; repository copies are open accepted manuscripts."""
        rng = self.rng
        if repository:
            handle = f"{n % 997}/{n}"
            return {
                "id": f"pmh:oai:repository:{handle}",
                "is_oa": True,
                "landing_page_url": f"https://repository.example.org/handle/{handle}",
                "pdf_url": (f"https://repository.example.org/bitstream/{handle}.pdf"
                            if rng.random() < 0.6 else None),
                "source": source,
                "license": rng.choice(_LICENSES),
                "license_id": None,
                "version": "acceptedVersion",
                "is_accepted": True,
                "is_published": False,
                "raw_source_name": source["display_name"] if source else None,
                "raw_type": "text",
            }
        landing = doi or f"https://www.example.org/record/{n}"
        license_name = rng.choice(_LICENSES) if is_oa else None
        return {
            "id": f"doi:{doi[16:]}" if doi else f"mag:{n}",
            "is_oa": is_oa,
            "landing_page_url": landing,
            "pdf_url": f"https://www.example.org/pdf/{n}.pdf" if is_oa and rng.random() < 0.7 else None,
            "source": source,
            "license": license_name,
            "license_id": f"https://openalex.org/licenses/{license_name}" if license_name else None,
            "version": "publishedVersion" if source else None,
            "is_accepted": source is not None,
            "is_published": source is not None,
            "raw_source_name": source["display_name"] if source else None,
            "raw_type": "journal-article" if source and source["type"] == "journal" else None,
        }

    def _counts_by_year(self, year: int, cited_by_count: int) -> list[dict[str, int]]:
        """Citations per year over the last twelve years (at most cited_by_count in total), newest first."""
        if cited_by_count == 0:
            return []
        rng = self.rng
        first = max(year, LAST_YEAR - 11)
        span = LAST_YEAR - year + 1
        in_window = cited_by_count * min(1.0, (LAST_YEAR - first + 1) / span * 1.5)
        weights = [rng.random() + 0.2 for _ in range(LAST_YEAR - first + 1)]
        scale = in_window / sum(weights)
        out = []
        for offset, weight in enumerate(weights):
            count = int(weight * scale)
            if count:
                out.append({"year": LAST_YEAR - offset, "cited_by_count": count})
        return out

    def record(self, n: int) -> dict[str, Any]:
        """The full OpenAlex-shaped record of work Wn."""
        rng = self.rng
        rand = rng.random
        model = self.model
        wid = f"{OPENALEX}W{n}"
        doi = work_doi(n)
        year, date = model.publication_date(n)
        title_words = rng.choices(model.title_vocab, cum_weights=model.title_cum, k=rng.randint(5, 14))
        title = " ".join(title_words).capitalize()

        ids: dict[str, Any] = {"openalex": wid}
        if doi:
            ids["doi"] = doi
        ids["mag"] = str(n)
        if rand() < PMID_SHARE:
            ids["pmid"] = f"https://pubmed.ncbi.nlm.nih.gov/{10000000 + n}"

        work_type = rng.choices(model.types, cum_weights=model.type_cum)[0]
        language = rng.choices(model.languages, cum_weights=model.language_cum)[0]
        # Sparse records come first: they decide how much else the record carries.
        sparse = rand() < SPARSE_SHARE
        if sparse and rand() < SPARSE_CLOSED_SHARE:
            oa_status = "closed"
        else:
            oa_status = rng.choices(model.oa_statuses, cum_weights=model.oa_cum)[0]
        is_oa = oa_status != "closed"

        # One work in ten has no source (web pages, unmatched records), as in the real data.
        has_source = rand() < (SPARSE_SOURCE_SHARE if sparse else 0.9)
        source = rng.choices(model.sources, cum_weights=model.source_cum)[0] if has_source else None
        primary = self._location(n, doi, source, is_oa and oa_status != "green", repository=False)
        locations = [primary]
        if oa_status == "green" or rand() < REPOSITORY_COPY_SHARE:
            repo = model.repositories[rng.randrange(len(model.repositories))]
            locations.append(self._location(n, doi, repo, True, repository=True))
        oa_locations = [loc for loc in locations if loc["is_oa"]]
        best_oa = oa_locations[0] if oa_locations else None

        if sparse:
            count = rng.randint(1, 2)
        else:
            count = rng.choices(model.author_counts, cum_weights=model.author_count_cum)[0]
        authorships, inst_ids, countries, corresponding = self._authorships(
            count, 0.0 if sparse else INSTITUTION_SHARE
        )

        field_index = bisect.bisect_left(model.field_cum, rand() * model.field_cum[-1])
        field_topics = model.field_topics[field_index]
        topics = []
        score = 0.9 + rand() * 0.0999
        topic_count = 0
        if not sparse and rand() < TOPIC_SHARE:
            topic_count = rng.choices((1, 2, 3), cum_weights=(50, 75, 100))[0]
        for topic in rng.sample(field_topics, topic_count):
            tid, tname, subfield, field, domain = topic
            topics.append({"id": tid, "display_name": tname, "score": score,
                           "subfield": subfield, "field": field, "domain": domain})
            score *= 0.6 + rand() * 0.35
        cid, cwiki, cname, clevel = model.field_concepts[field_index]
        concepts = [{"id": cid, "wikidata": cwiki, "display_name": cname, "level": clevel,
                     "score": round(0.3 + rand() * 0.6, 7)}]
        for cid, cwiki, cname, clevel in rng.sample(model.concepts, 0 if sparse else rng.randint(0, 3)):
            concepts.append({"id": cid, "wikidata": cwiki, "display_name": cname, "level": clevel,
                             "score": round(rand() * 0.7, 7)})
        keywords = []
        kscore = 0.4 + rand() * 0.5
        for kid, kname in rng.sample(model.keywords, 0 if sparse else rng.randint(0, 4)):
            keywords.append({"id": kid, "display_name": kname, "score": round(kscore, 7)})
            kscore *= 0.5 + rand() * 0.4

        refs = self.references(n)
        expected = model.expected_citations(n)
        cited_by_count = int(expected * rng.lognormvariate(0.1, 0.5))
        percentile_value = 1.0 - math.exp(-cited_by_count / 25.0)
        cited_pct = int(percentile_value * 99)

        grants: list[dict[str, Any]] = []
        funders: list[dict[str, Any]] = []
        if not sparse and rand() < 0.25:
            fid, fname, fror = model.funders[int(len(model.funders) * rand() ** 2)]
            funders.append({"id": fid, "display_name": fname, "ror": fror})
            grants.append({"funder": fid, "funder_display_name": fname,
                           "award_id": f"{rng.randrange(100000, 999999)}"})
        apc = None
        if source is not None and source["is_oa"]:
            value = rng.randrange(5, 40) * 100
            apc = {"value": value, "currency": "USD", "value_usd": value}
        has_biblio = source is not None and work_type in ("article", "review", "letter", "editorial")
        first_page = rng.randrange(1, 3000) if has_biblio else None
        n_works = model.params.works
        related_count = 10 if n_works > 10 else 0  # OpenAlex lists ten related works

        return {
            "id": wid,
            "doi": doi,
            "title": title,
            "display_name": title,
            "publication_year": year,
            "publication_date": date,
            "ids": ids,
            "language": language,
            "primary_location": primary,
            "type": work_type,
            "indexed_in": ["crossref"] if doi else [],
            "open_access": {
                "is_oa": is_oa,
                "oa_status": oa_status,
                "oa_url": (best_oa["pdf_url"] or best_oa["landing_page_url"]) if best_oa else None,
                "any_repository_has_fulltext": len(locations) > 1,
            },
            "authorships": authorships,
            "institutions": [],
            "countries_distinct_count": len(countries),
            "institutions_distinct_count": len(inst_ids),
            "corresponding_author_ids": corresponding,
            "corresponding_institution_ids": inst_ids[:1] if corresponding else [],
            "apc_list": apc,
            "apc_paid": apc if apc and rand() < 0.5 else None,
            "fwci": round(cited_by_count / 12.0 * (0.5 + rand()), 8) if year < LAST_YEAR else None,
            "cited_by_count": cited_by_count,
            "citation_normalized_percentile": {
                "value": round(percentile_value, 7),
                "is_in_top_1_percent": percentile_value > 0.99,
                "is_in_top_10_percent": percentile_value > 0.9,
            },
            "cited_by_percentile_year": {"min": cited_pct, "max": cited_pct + 1},
            "biblio": {
                "volume": str(rng.randrange(1, 200)) if has_biblio else None,
                "issue": str(rng.randrange(1, 13)) if has_biblio and rand() < 0.8 else None,
                "first_page": str(first_page) if first_page else None,
                "last_page": str(first_page + rng.randrange(1, 30)) if first_page else None,
            },
            "is_retracted": rand() < 0.0005,
            "is_paratext": work_type == "paratext",
            "is_xpac": False,
            "primary_topic": topics[0] if topics else None,
            "topics": topics,
            "keywords": keywords,
            "concepts": concepts,
            "mesh": [],
            "locations_count": len(locations),
            "locations": locations,
            "best_oa_location": best_oa,
            "sustainable_development_goals": (
                [{"id": f"https://metadata.un.org/sdg/{sdg[0]}", "display_name": sdg[1],
                  "score": round(0.4 + rand() * 0.5, 7)} for sdg in (rng.choice(_SDGS),)]
                if not sparse and rand() < 0.2 else []
            ),
            "grants": grants,
            "awards": [],
            "funders": funders,
            "has_fulltext": is_oa and rand() < 0.7,
            "referenced_works_count": len(refs),
            "referenced_works": [f"{OPENALEX}W{r}" for r in refs],
            "related_works": [f"{OPENALEX}W{1 + int(rand() * n_works)}" for _ in range(related_count)],
            "abstract_inverted_index": self._abstract(sparse),
            "counts_by_year": self._counts_by_year(year, cited_by_count),
            "updated_date": f"{SNAPSHOT_DATE}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
                            f"{rng.randrange(60):02d}.{rng.randrange(1000000):06d}",
            "created_date": "2016-06-24" if year < 2016 else date,
        }


# ---------------------------------------------------------------------------------------------------
# The same works in Crossref's shape (the public data file's items). A pure function of the OpenAlex-shaped
# record, so both formats describe one corpus: the same works, DOIs and citations.
# ---------------------------------------------------------------------------------------------------

FORMATS = ("openalex", "crossref", "crossref-jsonl")
CROSSREF_ITEMS_PER_FILE = 5_000  # the 2023 public data file holds a few thousand items per N.json.gz part
CROSSREF_PREFIX = "10.5555"  # every synthetic DOI is under Crossref's test prefix
#: The Crossref type each synthetic OpenAlex type is deposited as.
CROSSREF_TYPES = {
    "article": "journal-article", "review": "journal-article", "letter": "journal-article",
    "editorial": "journal-article", "book-chapter": "book-chapter", "preprint": "posted-content",
    "dataset": "dataset", "dissertation": "dissertation", "book": "book", "paratext": "component",
    "report": "report", "other": "other",
}
PARTIAL_DATE_EVERY = 7  # one work in seven has only year and month in date-parts (real deposits often do)
YEAR_ONLY_EVERY = 23  # and one in 23 only the year


def _crossref_date(date: str, n: int, partial: bool = True) -> dict[str, Any]:
    y, m, d = (int(x) for x in date[:10].split("-"))
    if partial and n % YEAR_ONLY_EVERY == 0:
        return {"date-parts": [[y]]}
    if partial and n % PARTIAL_DATE_EVERY == 0:
        return {"date-parts": [[y, m]]}
    return {"date-parts": [[y, m, d]]}


def _crossref_stamp(date_time: str) -> dict[str, Any]:
    moment = dt.datetime.fromisoformat(date_time[:19]).replace(tzinfo=dt.UTC)
    return {"date-parts": [[moment.year, moment.month, moment.day]], "date-time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timestamp": int(moment.timestamp() * 1000)}


def _abstract_jats(inverted: dict[str, list[int]] | None) -> str | None:
    if not inverted:
        return None
    words: dict[int, str] = {p: w for w, ps in inverted.items() for p in ps}
    return "<jats:p>" + " ".join(words[p] for p in sorted(words)) + "</jats:p>"


def _member(name: str) -> str:
    return str(100 + sum(name.encode()) % 9000)  # a stable member id per publisher name


def crossref_item(work: dict[str, Any]) -> dict[str, Any] | None:
    """Work ``work`` (an OpenAlex-shaped synthetic record) as a Crossref item; None when it has no DOI.

    References to corpus works that have a DOI carry it (they are the citations); the others are unstructured
    strings, as in real Crossref reference lists.
    """
    if not work["doi"]:
        return None
    n = int(work["id"].rsplit("W", 1)[1])
    doi = work["doi"].removeprefix("https://doi.org/")
    primary = work["primary_location"] or {}
    source = primary.get("source")
    ctype = CROSSREF_TYPES.get(work["type"], "other")
    date = work["publication_date"]
    authors = []
    for a in work["authorships"]:
        name = a["author"]["display_name"]
        given, _, family = name.rpartition(" ")
        person: dict[str, Any] = {"given": given, "family": family,
                                  "sequence": "first" if a["author_position"] == "first" else "additional",
                                  "affiliation": [{"name": i["display_name"], "id": [
                                      {"id": i["ror"], "id-type": "ROR", "asserted-by": "publisher"}]}
                                      for i in a["institutions"] if i.get("ror")]}
        if a["author"]["orcid"]:
            person["ORCID"] = a["author"]["orcid"].replace("https://", "http://")
            person["authenticated-orcid"] = bool(n % 2)
        authors.append(person)
    references = []
    for i, ref in enumerate(work["referenced_works"]):
        m = int(ref.rsplit("W", 1)[1])
        entry: dict[str, Any] = {"key": f"{doi}_ref{i + 1}"}
        if has_doi(m):
            entry.update({"DOI": f"{CROSSREF_PREFIX}/synth.{m}", "doi-asserted-by": "crossref",
                          "first-page": str(1 + m % 400), "volume": str(1 + m % 90)})
        else:
            entry["unstructured"] = f"Unmatched reference W{m}, Synthetic Reports {1950 + m % 75}"
        references.append(entry)
    item: dict[str, Any] = {
        "indexed": _crossref_stamp(work["updated_date"]),
        "reference-count": len(references),
        "publisher": (source or {}).get("host_organization_name") or "Synthetic Publishing",
        "issue": work["biblio"]["issue"],
        "content-domain": {"domain": [], "crossmark-restriction": False},
        "short-container-title": [],
        "published-print": _crossref_date(date, n),
        "DOI": doi,
        "type": ctype,
        "created": _crossref_stamp(work["created_date"] + "T00:00:00"),
        "page": (f"{work['biblio']['first_page']}-{work['biblio']['last_page']}"
                 if work["biblio"]["first_page"] else None),
        "source": "Crossref",
        "is-referenced-by-count": work["cited_by_count"],
        "title": [work["title"]],
        "prefix": CROSSREF_PREFIX,
        "volume": work["biblio"]["volume"],
        "author": authors,
        "member": _member((source or {}).get("host_organization_name") or "Synthetic Publishing"),
        "reference": references,
        "container-title": [source["display_name"]] if source else [],
        "language": work["language"],
        "link": ([{"URL": primary["pdf_url"], "content-type": "application/pdf", "content-version": "vor",
                   "intended-application": "text-mining"}] if primary.get("pdf_url") else []),
        "deposited": _crossref_stamp(work["updated_date"]),
        "score": 0,
        "resource": {"primary": {"URL": primary.get("landing_page_url") or f"https://example.org/{doi}"}},
        "issued": _crossref_date(date, n),
        "references-count": len(references),
        "URL": f"https://doi.org/{doi}",
        "published": _crossref_date(date, n),
    }
    if source:
        issns = [x for x in source.get("issn") or [] if x]
        item["ISSN"] = issns
        item["issn-type"] = [{"type": "print" if j == 0 else "electronic", "value": x} for j, x in enumerate(issns)]
    if work["open_access"]["is_oa"]:
        item["license"] = [{"start": _crossref_date(date, n, partial=False), "content-version": "vor",
                            "delay-in-days": 0, "URL": "https://creativecommons.org/licenses/by/4.0/"}]
    if work["funders"]:
        item["funder"] = [{"DOI": f"10.13039/{501100000000 + sum(f['display_name'].encode())}",
                           "name": f["display_name"], "doi-asserted-by": "publisher",
                           "award": [g["award_id"] for g in work["grants"]]} for f in work["funders"]]
    if work["topics"]:
        item["subject"] = sorted({t["field"]["display_name"] for t in work["topics"]})
    abstract = _abstract_jats(work["abstract_inverted_index"])
    if abstract:
        item["abstract"] = abstract
    return {k: v for k, v in item.items() if v is not None}


def part_bounds(works: int, files: int, index: int) -> tuple[int, int]:
    """The id range [first, last] of part file ``index`` (ids split as evenly as possible)."""
    return index * works // files + 1, (index + 1) * works // files


def part_path(out: Path, index: int, snapshot: bool, fmt: str = "openalex", chunk: int = 0) -> Path:
    """Where part file ``index`` (its ``chunk``-th items file, for Crossref parts) goes in the chosen layout."""
    if fmt == "crossref":
        return out / "crossref" / f"{index * 10_000 + chunk}.json.gz"
    if fmt == "crossref-jsonl":
        return out / "crossref-jsonl" / f"part_{index:03d}.jsonl.gz"
    if snapshot:
        return out / "data" / "works" / f"updated_date={SNAPSHOT_DATE}" / f"part_{index:03d}.gz"
    return out / f"part_{index:03d}.jsonl.gz"


def write_part(model: Model, out: Path, index: int) -> PartResult:
    """Generate and write one part file (atomically: a temporary name, then a rename)."""
    params = model.params
    if params.format == "crossref":
        return _write_crossref_parts(model, out, index)
    first, last = part_bounds(params.works, params.files, index)
    path = part_path(out, index, params.snapshot, params.format)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    writer = PartWriter(model, index)
    encode = msgspec.json.Encoder().encode
    raw_bytes = 0
    records = 0
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)  # wbits 31: gzip, mtime 0
    with open(tmp, "wb") as handle:
        buffer: list[bytes] = []
        crossref = params.format == "crossref-jsonl"
        for n in range(first, last + 1):
            work = writer.record(n)
            item = crossref_item(work) if crossref else work
            if item is not None:
                buffer.append(encode(item))
            if buffer and (len(buffer) >= RECORDS_PER_CHUNK or n == last):
                chunk = b"\n".join(buffer) + b"\n"
                raw_bytes += len(chunk)
                records += len(buffer)
                handle.write(compressor.compress(chunk))
                buffer = []
        handle.write(compressor.flush())
    os.replace(tmp, path)
    return PartResult(
        index=index,
        path=str(path),
        records=records,
        raw_bytes=raw_bytes,
        gz_bytes=path.stat().st_size,
        edges=writer.edges,
        self_refs=writer.self_refs,
        duplicate_refs=writer.duplicate_refs,
        works_without_refs=writer.works_without_refs,
        in_degree=writer.in_degree.tobytes(),
    )


def _write_crossref_parts(model: Model, out: Path, index: int) -> PartResult:
    """Part ``index``'s works with a DOI as public data file parts of CROSSREF_ITEMS_PER_FILE items each."""
    params = model.params
    first, last = part_bounds(params.works, params.files, index)
    writer = PartWriter(model, index)
    encode = msgspec.json.Encoder().encode
    raw_bytes = gz_bytes = records = 0
    items: list[bytes] = []
    chunk = 0

    def flush() -> None:
        nonlocal raw_bytes, gz_bytes, chunk, items
        path = part_path(out, index, False, "crossref", chunk)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b'{"items":[' + b",".join(items) + b"]}"
        compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(compressor.compress(data) + compressor.flush())
        os.replace(tmp, path)
        raw_bytes += len(data)
        gz_bytes += path.stat().st_size
        chunk += 1
        items = []

    for n in range(first, last + 1):
        item = crossref_item(writer.record(n))
        if item is not None:
            items.append(encode(item))
            records += 1
            if len(items) >= CROSSREF_ITEMS_PER_FILE:
                flush()
    if items:
        flush()
    return PartResult(index=index, path=str(part_path(out, index, False, "crossref", 0).parent), records=records,
                      raw_bytes=raw_bytes, gz_bytes=gz_bytes, edges=writer.edges, self_refs=writer.self_refs,
                      duplicate_refs=writer.duplicate_refs, works_without_refs=writer.works_without_refs,
                      in_degree=writer.in_degree.tobytes())


# The model of the current process: built in the parent before forking (inherited), or by the
# initializer under a spawn start method.
_MODEL: Model | None = None


def _init_worker(params: Params) -> None:
    """Pool initializer: make sure this process has the model for ``params``."""
    global _MODEL
    if _MODEL is None or _MODEL.params != params:
        _MODEL = Model(params)


def _write_part_task(task: tuple[str, int]) -> PartResult:
    """Pool task: write one part file with this process's model."""
    assert _MODEL is not None, "worker initializer did not run"
    out, index = task
    result = write_part(_MODEL, Path(out), index)
    print(f"part {index:03d}: {result.records} works, {result.gz_bytes / 2**20:.1f} MiB", file=sys.stderr)
    return result


def write_manifest(out: Path, results: list[PartResult]) -> Path:
    """Write the snapshot's ``data/works/manifest`` in the real manifest's shape."""
    entries = [
        {
            "url": f"{SNAPSHOT_URL_PREFIX}/updated_date={SNAPSHOT_DATE}/part_{r.index:03d}.gz",
            "meta": {"content_length": r.gz_bytes, "record_count": r.records},
        }
        for r in sorted(results, key=lambda r: r.index)
    ]
    manifest = {
        "entries": entries,
        "meta": {
            "content_length": sum(r.gz_bytes for r in results),
            "record_count": sum(r.records for r in results),
        },
    }
    path = out / "data" / "works" / "manifest"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def summarise(params: Params, results: list[PartResult], seconds: float) -> dict[str, Any]:
    """Corpus figures from the workers' counts: edges, most-cited and median works, record size."""
    n = params.works
    in_degree = array("I", bytes(4 * (n + 1)))
    for result in results:
        part = array("I")
        part.frombytes(result.in_degree)
        for j, value in enumerate(part):
            if value:
                in_degree[j] += value
    degrees = in_degree[1:]
    most_cited = max(range(1, n + 1), key=in_degree.__getitem__)
    ordered = sorted(degrees)
    median_degree = ordered[(n - 1) // 2]
    # The median work: a work with the median in-degree and a DOI, nearest the middle of the id range.
    median_work = next(
        (j for offset in range(n) for j in (n // 2 + offset, n // 2 - offset)
         if 1 <= j <= n and in_degree[j] == median_degree and has_doi(j)),
        n // 2 or 1,
    )
    top = sorted(range(1, n + 1), key=in_degree.__getitem__, reverse=True)[:10]
    raw_bytes = sum(r.raw_bytes for r in results)
    return {
        "works": n,
        "edges": sum(r.edges for r in results),
        "most_cited_id": f"W{most_cited}",
        "most_cited_doi": work_doi(most_cited),
        "most_cited_in_degree": in_degree[most_cited],
        "median_work_id": f"W{median_work}",
        "median_work_doi": work_doi(median_work),
        "median_in_degree": median_degree,
        "mean_record_bytes": round(raw_bytes / n, 1),
        "seed": params.seed,
        "mean_refs": params.mean_refs,
        "files": params.files,
        "layout": params.format if params.format != "openalex" else "snapshot" if params.snapshot else "jsonl",
        "records": sum(r.records for r in results),  # fewer than works in Crossref's shape: only works with a DOI
        "self_refs": sum(r.self_refs for r in results),
        "duplicate_refs": sum(r.duplicate_refs for r in results),
        "works_without_refs": sum(r.works_without_refs for r in results),
        "works_cited": sum(1 for d in degrees if d),
        "top_cited": [[f"W{j}", in_degree[j]] for j in top],
        "p99_in_degree": ordered[min(n - 1, int(n * 0.99))],
        "raw_bytes": raw_bytes,
        "gz_bytes": sum(r.gz_bytes for r in results),
        "generate_seconds": round(seconds, 1),
    }


def generate(works: int, out: str | Path, seed: int = 1, mean_refs: float = 20.0, files: int | None = None,
             snapshot: bool = False, jobs: int | None = None, fmt: str = "openalex") -> dict[str, Any]:
    """Write the corpus under ``out`` and return the figures also written to ``out/corpus.json``."""
    global _MODEL
    if works < 1:
        raise ValueError("works must be at least 1")
    files = files or default_files(works)
    if not 1 <= files <= works:
        raise ValueError("files must be between 1 and works")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    params = Params(works=works, seed=seed, mean_refs=float(mean_refs), files=files, snapshot=snapshot, format=fmt)
    out_path = Path(out)
    out_path.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    _MODEL = Model(params)
    jobs = max(1, min(jobs or os.cpu_count() or 1, files))
    tasks = [(str(out_path), index) for index in range(files)]
    if jobs == 1:
        results = [_write_part_task(task) for task in tasks]
    else:
        # fork shares the parent's model copy-on-write; the initializer rebuilds it under spawn.
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        with get_context(method).Pool(jobs, initializer=_init_worker, initargs=(params,)) as pool:
            results = list(pool.imap_unordered(_write_part_task, tasks))
    if snapshot and fmt == "openalex":
        write_manifest(out_path, results)
    summary = summarise(params, results, time.perf_counter() - start)
    name = "corpus.json" if fmt == "openalex" else f"corpus-{fmt}.json"
    (out_path / name).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, required=True, help="number of works to generate")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same bytes)")
    parser.add_argument("--mean-refs", type=float, default=20.0, help="mean references per work")
    parser.add_argument("--files", type=int, default=None,
                        help=f"number of part files (default: one per {DEFAULT_WORKS_PER_FILE:,} works)")
    parser.add_argument("--snapshot", action="store_true",
                        help="write the OpenAlex snapshot layout with a manifest")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    parser.add_argument("--format", choices=FORMATS, default="openalex",
                        help="record shape: OpenAlex works, or the same works as Crossref public data file parts "
                             "(DIR/crossref/N.json.gz) or Crossref JSON Lines (DIR/crossref-jsonl/)")
    args = parser.parse_args(argv)
    summary = generate(args.works, args.out, seed=args.seed, mean_refs=args.mean_refs, files=args.files,
                       snapshot=args.snapshot, jobs=args.jobs, fmt=args.format)
    summary.pop("top_cited")
    print(json.dumps(summary, indent=2))
    print(f"mean record size: {summary['mean_record_bytes']:.0f} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
