"""Identity resolution benchmark: quality and speed on labelled customer records.

    python bench/identity_bench.py --demo 100000 [--splink]   # the issue's measure (cdp demo)
    python bench/identity_bench.py --data DIR      # a demo project with a ground-truth file
    python bench/identity_bench.py --records 100000 [--splink] [--incremental]

``--demo N`` writes a ``cdp demo`` project of about N customer records (into ``--data DIR``
when given, else a cache folder reused while its size and seed match), loads its sources
(``cdp sync --only sources``) and measures against its ``truth/records.csv``. With
``--records`` it generates people and their records across four source kinds (shop,
crm, email, social) with realistic variation: case and spacing, phone formats, Gmail dots and
+tags, typos, nicknames, missing fields, shared household emails and junk placeholders.

Prints pairwise precision / recall / F1, profiles mixing two real people (and two members of
one household), wall time and peak memory, for cdp's resolver and (``--splink``) Splink.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = {
    "Robert": ["Bob", "Rob", "Bobby"], "Elizabeth": ["Liz", "Beth", "Betty"], "William": ["Bill", "Will"],
    "Katherine": ["Kate", "Kathy"], "Michael": ["Mike"], "Jennifer": ["Jen", "Jenny"],
    "James": ["Jim", "Jimmy"], "Margaret": ["Maggie", "Peggy"], "Thomas": ["Tom"], "Patricia": ["Pat", "Trish"],
    "Richard": ["Rick", "Dick"], "Susan": ["Sue"], "Joseph": ["Joe"], "Deborah": ["Debbie"],
    "Daniel": ["Dan", "Danny"], "Rebecca": ["Becky"], "Andrew": ["Andy", "Drew"], "Samantha": ["Sam"],
    "Anthony": ["Tony"], "Victoria": ["Vicky"], "Edward": ["Ed", "Ted"], "Christopher": ["Chris"],
    "Nicholas": ["Nick"], "Matthew": ["Matt"], "Jessica": ["Jess"], "Benjamin": ["Ben"],
}  # fmt: skip
PLAIN_FIRST = (
    "Ann Maria Olivia Emma Ava Sophia Mia Amelia Harper Evelyn Noah Liam Lucas Mason Ethan Logan "
    "Oliver Elijah Aiden Jackson Sebastian Mateo Henry Owen Wyatt Leo Julian Levi Isaac Gabriel "
    "Chloe Zoe Nora Lily Hannah Layla Aria Ellie Stella Hazel Aurora Violet Lucy Anna Grace Ruby "
    "Priya Wei Yuki Aisha Omar Fatima Diego Sofia Lars Ingrid Pierre Amelie Jose Chen Ravi Mei "
    "Tariq Nadia Kofi Ama Sven Astrid Marco Giulia Hugo Clara Felix Ida Oscar Elsa Ivan Olga"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell "
    "Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson "
    "Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera "
    "Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez "
    "McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns "
    "Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt "
    "Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "O'Brien Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant "
    "Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight"
).split()
STREETS = "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Sunset Highland Mill River Church Spring".split()
SUFFIX = [("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"), ("Lane", "Ln")]
CITIES = [
    ("San Francisco", "CA", "941"), ("New York", "NY", "100"), ("Chicago", "IL", "606"), ("Austin", "TX", "787"),
    ("Seattle", "WA", "981"), ("Boston", "MA", "021"), ("Denver", "CO", "802"), ("Portland", "OR", "972"),
    ("Miami", "FL", "331"), ("Atlanta", "GA", "303"), ("Phoenix", "AZ", "850"), ("Nashville", "TN", "372"),
]  # fmt: skip
AREA = [
    "415",
    "212",
    "312",
    "512",
    "206",
    "617",
    "303",
    "503",
    "305",
    "404",
    "602",
    "615",
    "646",
    "773",
]
DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "hotmail.com",
    "aol.com",
    "proton.me",
    "fastmail.com",
]
JUNK_EMAIL = ["test@test.com", "noemail@noemail.com", "none@none.com", "n/a", "asdf@asdf.com"]
JUNK_PHONE = ["0000000000", "1234567890", "555-555-5555", "n/a", "000-000-0000"]


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.33:
        return text[:i] + text[i + 1 :]
    if kind < 0.66:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]


def _case(rng: random.Random, text: str) -> str:
    r = rng.random()
    return text.upper() if r < 0.08 else text.lower() if r < 0.2 else text


def _phone_fmt(rng: random.Random, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        [
            f"({a}) {b}-{c}",
            f"{a}-{b}-{c}",
            f"{a}.{b}.{c}",
            f"+1 {a} {b} {c}",
            digits,
            f"1{digits}",
            f"+1{digits}",
        ]
    )


def _person(rng: random.Random, pid: int) -> dict:
    if rng.random() < 0.45:
        formal = rng.choice(list(FIRST))
    else:
        formal = rng.choice(PLAIN_FIRST)
    last = rng.choice(LAST)
    city, state, zip3 = rng.choice(CITIES)
    digits = rng.choice(AREA) + str(rng.randint(200, 999)) + f"{rng.randint(0, 9999):04d}"
    dob = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
    sep = rng.choice([".", "", "_"])
    local = f"{formal.lower()}{sep}{last.lower().replace(chr(39), '')}"
    local += str(pid)  # addresses are unique per person
    return {
        "pid": pid, "first": formal, "last": last, "dob": dob, "digits": digits,
        "email": f"{local}@{rng.choice(DOMAINS)}",
        "work_email": f"{formal[0].lower()}{last.lower().replace(chr(39), '')}{rng.randint(1, 99)}@{rng.choice(['acme', 'globex', 'initech', 'umbrella'])}{rng.randint(1, 300)}.com",
        "street": f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIX)[0]}",
        "city": city, "state": state, "zip": zip3 + f"{rng.randint(0, 99):02d}",
        "household": None,
    }  # fmt: skip


def _render(rng: random.Random, p: dict, source: str, n: int) -> dict:
    """One source record of person ``p`` with the variation that source kind shows."""
    first = p["first"]
    if first in FIRST and rng.random() < 0.3:
        first = rng.choice(FIRST[first])
    if rng.random() < 0.03:
        first = _typo(rng, first)
    last = p["last"] if rng.random() > 0.03 else _typo(rng, p["last"])
    email = p["household"] if p["household"] and rng.random() < 0.6 else p["email"]
    household_inbox = email == p["household"]
    work = source == "crm" and rng.random() < 0.15
    if work:
        email = p["work_email"]
    if email.endswith("gmail.com") and rng.random() < 0.2:
        local = email.split("@")[0]
        email = rng.choice([local.replace(".", ""), local + "+shop"]) + "@gmail.com"
    email = _case(rng, email)
    if rng.random() < 0.1:
        email = f"  {email} "
    street = p["street"]
    if rng.random() < 0.4:
        for long, short in SUFFIX:
            street = street.replace(long, short)
    rec = {
        "source": source, "record_id": f"{source}-{n}", "email": email,
        "phone": _phone_fmt(rng, p["digits"]), "first_name": _case(rng, first), "last_name": _case(rng, last),
        "street": street, "city": p["city"], "postcode": p["zip"], "region": p["state"],
        "country": rng.choice(["US", "United States", "usa", None]), "date_of_birth": p["dob"],
        "external_ids": {}, "pid": p["pid"],
    }  # fmt: skip
    keep = {
        "shop": (0.97, 0.6, 0.9, 0.2),
        "crm": (0.9, 0.55, 0.5, 0.35),
        "email": (1.0, 0.0, 0.0, 0.0),
        "social": (0.85, 0.5, 0.3, 0.1),
    }
    e_p, ph_p, addr_p, dob_p = keep[source]
    if rng.random() > e_p:
        rec["email"] = None
    if rng.random() > ph_p:
        rec["phone"] = None
    if rng.random() > addr_p:
        rec["street"] = rec["postcode"] = rec["city"] = rec["region"] = None
    if rng.random() > dob_p:
        rec["date_of_birth"] = None
    if source == "email" and rng.random() < 0.4 and not household_inbox:
        # a nameless newsletter signup with a household inbox is ambiguous by nature
        rec["first_name"] = rec["last_name"] = None
    if work or (rec["email"] is None and rec["phone"] is None):
        rec["phone"] = _phone_fmt(rng, p["digits"])  # tools ask for some contact
    if rng.random() < 0.02:
        rec["email"] = rng.choice(JUNK_EMAIL)
    if rng.random() < 0.02:
        rec["phone"] = rng.choice(JUNK_PHONE)
    if source == "shop":
        rec["external_ids"] = {"shopify_customer_id": str(7_000_000 + p["pid"])}
    if source == "crm":
        rec["external_ids"] = {"hubspot_contact_id": str(500_000 + p["pid"])}
    return rec


def generate(n_records: int, seed: int = 7) -> list[dict]:
    """About ``n_records`` labelled records (``pid`` = the real person)."""
    rng = random.Random(seed)
    people = []
    records: list[dict] = []
    counters: Counter[str] = Counter()
    pid = 0
    while len(records) < n_records:
        p = _person(rng, pid)
        pid += 1
        people.append(p)
        if rng.random() < 0.08 and len(people) > 1:  # a household: shares a surname, address, inbox
            q = _person(rng, pid)
            pid += 1
            q.update(
                last=p["last"],
                street=p["street"],
                city=p["city"],
                state=p["state"],
                zip=p["zip"],
                digits=p["digits"] if rng.random() < 0.5 else q["digits"],
            )
            inbox = f"the{p['last'].lower().replace(chr(39), '')}s{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
            p["household"] = q["household"] = inbox
            people.append(q)
            batch = [p, q]
        else:
            batch = [p]
        for person in batch:
            kinds = [
                k
                for k, prob in (("shop", 0.7), ("crm", 0.5), ("email", 0.6), ("social", 0.3))
                if rng.random() < prob
            ] or ["email"]
            for source in kinds:
                copies = 2 if rng.random() < 0.05 else 1  # duplicate accounts in one tool
                for _ in range(copies):
                    counters[source] += 1
                    rec = _render(rng, person, source, counters[source])
                    if copies == 2 and source in ("shop", "crm"):
                        rec["external_ids"] = {}
                    records.append(rec)
    return records


def load_demo(folder: Path) -> tuple[list[dict], dict[int, str]]:
    """Records of a demo project (``cdp demo DIR``, then ``cdp sync --only sources``) with the
    person of each from ``truth/records.csv``, and households from ``truth/households.csv``."""
    import csv

    import duckdb
    import yaml

    # Read the warehouse path straight from cdp.yml: the bench needs no connector plugins.
    spec = yaml.safe_load((folder / "cdp.yml").read_text(encoding="utf-8")) or {}
    warehouse_path = folder / ((spec.get("warehouse") or {}).get("path") or ".cdp/warehouse.duckdb")
    truth: dict[tuple[str, str], str] = {}
    with open(folder / "truth" / "records.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[(row["source"], row["record_id"])] = row["person_id"]
    ids = {p: i for i, p in enumerate(sorted(set(truth.values())))}
    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse_path}' AS wh (READ_ONLY)")
    cur = con.execute(
        "SELECT * FROM wh.staging.customer_records WHERE NOT coalesce(deleted, false)"
    )
    names = [d[0] for d in cur.description]
    records = []
    for row in cur.fetchall():
        r = dict(zip(names, row, strict=True))
        key = (r["source"], r["record_id"])
        if key not in truth:
            continue
        r["pid"] = ids[truth[key]]
        r["external_ids"] = r["external_ids"] or {}
        records.append(r)
    con.close()
    households: dict[int, str] = {}
    path = folder / "truth" / "households.csv"
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for person in (row["person_id"], row["partner_person_id"]):
                    if person in ids:
                        households[ids[person]] = row.get("shared_email") or row["person_id"]
    return records, households


#: ``cdp demo`` writes about this many customer records per person (shop accounts and orders,
#: CRM contacts, Mailchimp members, Facebook leads and fans).
DEMO_RECORDS_PER_PERSON = 3.0


def build_demo(folder: Path, records: int, seed: int) -> Path:
    """A ``cdp demo`` project of about ``records`` customer records with its sources loaded
    (what ``cdp demo DIR --customers N --no-sync`` then ``cdp sync --only sources`` make);
    reused when ``folder`` already holds one of that size and seed."""
    from datetime import date

    from cdp.cli.demo import _prepare_target
    from cdp.config import load_project
    from cdp.demo import write_demo
    from cdp.run import run_sync

    people = max(100, round(records / DEMO_RECORDS_PER_PERSON))
    stamp = folder / ".bench-demo"
    wanted = f"people={people} seed={seed}"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return folder
    started = time.perf_counter()
    _prepare_target(folder, force=False)  # an earlier demo goes, warehouse and all
    write_demo(folder, people, seed=seed, as_of=date(2026, 3, 1))
    run = run_sync(load_project(folder), only=["sources"], command="identity_bench --demo")
    if run.status != "succeeded":
        raise SystemExit(f"loading the demo's sources: {run.status}")
    stamp.write_text(wanted, encoding="utf-8")
    print(f"demo of {people:,} people written and loaded in {time.perf_counter() - started:.0f}s")
    return folder


def load_staging(con, records: list[dict]) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    from warehouse.connection import ensure_layout

    ensure_layout(con)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    table = pa.table(
        {
            "source": [r["source"] for r in records],
            "record_id": [r["record_id"] for r in records],
            **{
                c: [r[c] for r in records]
                for c in (
                    "email",
                    "phone",
                    "first_name",
                    "last_name",
                    "street",
                    "city",
                    "postcode",
                    "region",
                    "country",
                )
            },
            "date_of_birth": pa.array([r["date_of_birth"] for r in records], pa.date32()),
            "external_ids": pa.array(
                [list(r["external_ids"].items()) for r in records],
                pa.map_(pa.string(), pa.string()),
            ),
            "updated_at": pa.array(
                [now - timedelta(minutes=i % 10000) for i in range(len(records))],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    con.register("bench_records", table)
    con.execute(
        "INSERT INTO staging.customer_records (source, record_id, email, phone, first_name, last_name, street, city, "
        "postcode, region, country, date_of_birth, external_ids, updated_at, created_at, deleted) "
        "SELECT source, record_id, email, phone, first_name, last_name, street, city, postcode, region, country, "
        "date_of_birth, external_ids, updated_at, updated_at, false FROM bench_records"
    )
    con.unregister("bench_records")


def linkable_parts(records: list[dict]) -> dict[tuple[str, str], tuple[int, int]]:
    """Each record's *linkable part*: the records of its person it reaches through a chain of
    that person's records sharing an exact identifier (normalized email or phone, an external
    id), a date of birth, or a street and postcode. Pairs in different parts share nothing but
    names (and perhaps a city or a typo'd address): no resolver can link them safely, so recall
    over linkable pairs says what a resolver makes of the evidence there is."""
    from identity import normalize as nz

    key = lambda r: (r["source"], r["record_id"])  # noqa: E731
    parent: dict[tuple[str, str], tuple[str, str]] = {key(r): key(r) for r in records}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_holder: dict[tuple, tuple[str, str]] = {}
    for r in records:
        values = [
            ("email", nz.email_match_key(r.get("email"))),
            ("phone", nz.normalize_phone(r.get("phone"), r.get("country"))),
            ("dob", r.get("date_of_birth")),
        ]
        street, postcode = (
            nz.normalize_street(r.get("street")),
            nz.normalize_postcode(r.get("postcode")),
        )
        if street and postcode:
            values.append(("address", (street, postcode)))
        values += [(k, v) for k, v in (r.get("external_ids") or {}).items() if v]
        for kind, value in values:
            if value is None:
                continue
            holder = first_holder.setdefault((r["pid"], kind, value), key(r))
            parent[find(key(r))] = find(holder)
    return {key(r): (r["pid"], hash(find(key(r)))) for r in records}


def _first_name(raw: str | None) -> tuple[str, str] | None:
    """A record's first name (as written, nickname-folded); None for none or a placeholder."""
    from identity.junk import is_junk
    from identity.normalize import canonical_first_name, normalize_name

    name = normalize_name(raw)
    if name is None or is_junk("name", name):
        return None
    canon = canonical_first_name(raw)
    return (name.split()[0], canon) if canon else None


def _household_mix_kind(
    keys: list[tuple[str, str]],
    truth: dict[tuple[str, str], int],
    first_names: dict[tuple[str, str], tuple[str, str] | None],
) -> str:
    """``nameless``, ``namesakes`` or ``different``: what the first names of a mixed
    profile's people (its records ``keys``) tell. Each person's names say which names they
    may be (Alex: Alexander or Alexandra, unless another record says Alexandra); two people
    differ when no name fits both."""
    from identity.compare import possible_names, settled_names

    names: dict[int, set[tuple[str, str]]] = {}
    for key in keys:
        held = names.setdefault(truth[key], set())
        if first_names.get(key):
            held.add(first_names[key])  # type: ignore[arg-type]
    if not all(names.values()):
        return "nameless"
    may_be = [
        frozenset().union(*(possible_names(n) for n in settled_names(held) or ()))
        for held in names.values()
    ]
    if all(a & b for a in may_be for b in may_be):
        return "namesakes"
    return "different"


def quality(
    truth: dict[tuple[str, str], int],
    predicted: dict[tuple[str, str], str],
    households: dict[int, str],
    identifiable: set[tuple[str, str]] | None = None,
    linkable: dict[tuple[str, str], tuple[int, int]] | None = None,
    first_names: dict[tuple[str, str], tuple[str, str] | None] | None = None,
) -> dict[str, Any]:
    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    keys = list(truth)
    tp = pairs(Counter((predicted[k], truth[k]) for k in keys))
    pred_pairs = pairs(Counter(predicted[k] for k in keys))
    true_pairs = pairs(Counter(truth[k] for k in keys))
    members: dict[str, set[int]] = defaultdict(set)
    for k in keys:
        members[predicted[k]].add(truth[k])
    mixed = [m for m in members.values() if len(m) > 1]
    mixed_household = [
        m
        for m in mixed
        if len({households.get(p) for p in m} - {None}) == 1 and all(households.get(p) for p in m)
    ]
    # What tells the people of a household mix apart: nothing when they have one first name
    # (namesakes: the same first and last name, address and inbox) or when one of them is in
    # the profile only by a nameless record on the shared inbox; different first names are
    # two people who share only the household.
    household_profiles = {p for p, people in members.items() if people in mixed_household}
    keys_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for k in keys:
        if predicted[k] in household_profiles:
            keys_of[predicted[k]].append(k)
    kinds = Counter(_household_mix_kind(ks, truth, first_names or {}) for ks in keys_of.values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    # Recall over the records carrying more than a name (an identifier, address or birth
    # date): a commenter known by name only arguably should not be linked on it.
    ident = [k for k in keys if k in (identifiable or set(keys))]
    ident_tp = pairs(Counter((predicted[k], truth[k]) for k in ident))
    ident_true = pairs(Counter(truth[k] for k in ident))
    link_tp = link_true = 0
    if linkable:
        link_true = pairs(Counter(linkable[k] for k in keys))
        link_tp = pairs(Counter((predicted[k], linkable[k]) for k in keys))
    return {
        "precision": precision, "recall": recall,
        "recall_identifiable": ident_tp / ident_true if ident_true else 1.0,
        "recall_linkable": link_tp / link_true if link_true else 1.0,
        "true_pairs": true_pairs, "linkable_pairs": link_true,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "profiles": len(members), "people": len(set(truth.values())),
        "mixed_profiles": len(mixed), "household_mixed_profiles": len(mixed_household),
        "household_kinds": dict(kinds),
    }  # fmt: skip


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec, and the
    # parent holds every demo record (about 2.8 GB at 1M).
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def bench_config(fuzzy: str):  # type: ignore[no-untyped-def]
    """The default rules, or with hand-set thresholds in place of the Fellegi-Sunter rule."""
    from identity.config import DEFAULT_RULES, FuzzyRule, IdentityConfig

    if fuzzy == "fs":
        return IdentityConfig()
    rules = [r for r in DEFAULT_RULES if r.kind == "exact"]
    rules.append(
        FuzzyRule(
            kind="fuzzy",
            name="hand_set",
            block_on=[
                ["last_name", "postcode"],
                ["first_name", "date_of_birth"],
                ["last_name", "date_of_birth"],
            ],
            min_similarity={"first_name": 0.9, "last_name": 0.9, "street": 0.85},
        )
    )
    return IdentityConfig(rules=rules)


def _resolve_child(db: str, run_id: str, queue, fuzzy: str = "fs") -> None:  # type: ignore[no-untyped-def]
    """One resolution in a fresh process, so its time and peak memory are its own."""
    from identity.apply import apply_resolution
    from identity.resolve import resolve
    from identity.store import ensure_tables
    from warehouse.connection import connect

    con = connect(Path(db))
    ensure_tables(con)
    config = bench_config(fuzzy)
    started = time.perf_counter()
    res = resolve(con, config)
    resolved = time.perf_counter()
    apply_resolution(con, config, res, run_id)
    # (Closing writes what DuckDB has not checkpointed yet: part of the run's cost.)
    con.close()
    stats = {k: v for k, v in res.stats.items() if not k.endswith("_model")}
    queue.put((time.perf_counter() - started, resolved - started, _peak_mb(), stats))


def _resolve_in_child(db: Path, run_id: str, fuzzy: str = "fs") -> tuple[float, float, float, dict]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_resolve_child, args=(str(db), run_id, queue, fuzzy))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def run_cdp(
    db: Path, records: list[dict], incremental: bool, fuzzy: str = "fs"
) -> tuple[dict, dict[tuple[str, str], str]]:
    from warehouse.connection import connect

    cut = int(len(records) * 0.99) if incremental else len(records)
    if incremental:
        # The 1% that arrives later is drawn from every source, as new customers, orders,
        # contacts and signups do (the last 1% in table order would be one source's rows).
        records = records[:]
        random.Random(7).shuffle(records)
    con = connect(db)
    load_staging(con, records[:cut])
    con.close()
    full, resolve_s, peak, stats = _resolve_in_child(db, "bench-full", fuzzy)
    figures = {
        "full_seconds": full,
        "resolve_seconds": resolve_s,
        "records": cut,
        "stats": stats,
        "peak_mb": peak,
    }
    if incremental:
        con = connect(db)
        load_staging(con, records[cut:])
        con.close()
        figures["incremental_seconds"], _, figures["incremental_peak_mb"], _ = _resolve_in_child(
            db, "bench-incremental"
        )
    con = connect(db)
    predicted = {
        (s, r): p
        for s, r, p in con.execute(
            "SELECT source, record_id, profile_id FROM identity.record_profiles"
        ).fetchall()
    }
    con.close()
    return figures, predicted


def run_splink(records: list[dict]) -> tuple[float, float, dict[tuple[str, str], str]]:
    """Splink with a sensible config: exact email/phone + fuzzy names, DOB, address; EM-trained.
    Returns the seconds spent normalizing its input (with cdp's normalizers, in this process)
    and matching (training, predicting, clustering), and its clusters."""
    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from identity import normalize as nz

    normalizing = time.perf_counter()
    rows = []
    for r in records:
        rows.append({
            "unique_id": f"{r['source']}\x1f{r['record_id']}",
            "email": nz.email_match_key(r["email"]), "phone": nz.normalize_phone(r["phone"]),
            "first_name": nz.normalize_name(r["first_name"]), "last_name": nz.normalize_name(r["last_name"]),
            "dob": r["date_of_birth"].isoformat() if r["date_of_birth"] else None,
            "postcode": nz.normalize_postcode(r["postcode"]), "street": nz.normalize_street(r["street"]),
        })  # fmt: skip
    con = duckdb.connect()
    con.register("splink_input_arrow", pa.Table.from_pylist(rows))
    con.execute("CREATE TABLE splink_input AS SELECT * FROM splink_input_arrow")
    started = time.perf_counter()
    normalized = started - normalizing
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("email").configure(term_frequency_adjustments=True),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode") if False else cl.ExactMatch("postcode"),
            cl.LevenshteinAtThresholds("street", [2, 5]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"), block_on("phone"), block_on("last_name", "postcode"),
            block_on("first_name", "dob"), block_on("last_name", "dob"),
        ],
        retain_intermediate_calculation_columns=False,
    )  # fmt: skip
    db_api = DuckDBAPI(con)
    linker = Linker(db_api.register("splink_input"), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("last_name", "postcode"), block_on("first_name", "dob")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError as exc:  # a level never seen in these pairs (few birth dates)
            print(f"splink: EM session skipped: {exc}")
    pairs = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold_match_probability=0.99
    )
    out = clusters.as_pyarrow_table()
    seconds = time.perf_counter() - started
    predicted = {}
    for uid, cid in zip(
        out.column("unique_id").to_pylist(), out.column("cluster_id").to_pylist(), strict=True
    ):
        s, r = uid.split("\x1f", 1)
        predicted[(s, r)] = str(cid)
    return normalized, seconds, predicted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--splink", action="store_true", help="also run Splink on the same data")
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="resolve 99%%, then add a random 1%% (of every source)",
    )
    parser.add_argument(
        "--data", type=Path, help="a demo project folder (cdp demo) with truth/records.csv"
    )
    parser.add_argument(
        "--demo",
        type=int,
        metavar="N",
        help="build a cdp demo project of about N customer records (in --data DIR, else a "
        "cache folder) and measure on it",
    )
    parser.add_argument(
        "--fuzzy",
        choices=["fs", "hand", "both"],
        default="fs",
        help="fuzzy rule: Fellegi-Sunter with EM (default), hand-set thresholds, or both",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    households: dict[int, str] = {}
    if args.demo:
        folder = args.data or Path(tempfile.gettempdir()) / f"cdp-identity-bench-demo-{args.demo}"
        records, households = load_demo(build_demo(folder, args.demo, args.seed))
    elif args.data:
        records, households = load_demo(args.data)
    else:
        records = generate(args.records, args.seed)
        # households: people sharing an inbox (recovered from the generator's records)
        by_inbox: dict[str, set[int]] = defaultdict(set)
        for r in records:
            if r["email"] and r["email"].strip().lower().startswith("the"):
                by_inbox[r["email"].strip().lower()].add(r["pid"])
        for inbox, pids in by_inbox.items():
            if len(pids) > 1:
                for p in pids:
                    households[p] = inbox
    truth = {(r["source"], r["record_id"]): r["pid"] for r in records}
    # An external id identifies only when another record holds it too (a Facebook commenter's
    # own page-activity id is no link to anybody).
    ext_holders = Counter(
        (k, v) for r in records for k, v in (r.get("external_ids") or {}).items() if v
    )
    identifiable = {
        (r["source"], r["record_id"])
        for r in records
        if any(r.get(c) for c in ("email", "phone", "street", "postcode", "date_of_birth"))
        or any(ext_holders[(k, v)] > 1 for k, v in (r.get("external_ids") or {}).items() if v)
    }
    linkable = linkable_parts(records)
    first_names = {(r["source"], r["record_id"]): _first_name(r["first_name"]) for r in records}
    print(
        f"{len(records):,} records of {len(set(truth.values())):,} people ready in {time.perf_counter() - t0:.1f}s"
    )
    rows, times = [], []
    variants = ["fs", "hand"] if args.fuzzy == "both" else [args.fuzzy]
    all_truth = truth
    for variant in variants:
        with tempfile.TemporaryDirectory() as tmp:
            figures, predicted = run_cdp(
                Path(tmp) / "bench.duckdb", records, args.incremental, variant
            )
        truth = {k: v for k, v in all_truth.items() if k in predicted}
        q = quality(truth, predicted, households, identifiable, linkable, first_names)
        label = {"fs": "cdp (Fellegi-Sunter)", "hand": "cdp (hand-set)"}[variant]
        print(f"\n{label}: {figures['records']:,} records, full resolution {figures['full_seconds']:.1f}s "
              f"(resolve {figures['resolve_seconds']:.1f}s), peak RSS of the resolving process {figures['peak_mb']:,.0f} MB")  # fmt: skip
        if "incremental_seconds" in figures:
            print(f"  incremental run adding 1%: {figures['incremental_seconds']:.2f}s "
                  f"({100 * figures['incremental_seconds'] / figures['full_seconds']:.1f}% of full), "
                  f"peak RSS {figures['incremental_peak_mb']:,.0f} MB")  # fmt: skip
        stats = {k: v for k, v in figures["stats"].items() if not k.endswith("_model")}
        print(f"  stats: {stats}")
        rows.append((f"cdp-{variant}", q))
        times.append((f"cdp-{variant}", stats["features_seconds"], stats["matching_seconds"],
                      figures["full_seconds"]))  # fmt: skip
    if args.splink:
        normalized, seconds, sp = run_splink(records)
        rows.append(("splink", quality(truth, sp, households, identifiable, linkable, first_names)))
        print(f"splink: {seconds:.1f}s")
        times.append(("splink", normalized, seconds, normalized + seconds))
    print(
        "recall-identifiable: recall over records with an email, phone, external id, address or birth date\n"
        "recall-linkable: recall over the pairs of one person's records joined by a chain of shared\n"
        "  identifiers (email, phone, external id), birth dates or street+postcode; the others share\n"
        "  only names"
    )
    m0 = rows[0][1]
    print(
        f"true pairs {m0['true_pairs']:,}, linkable {m0['linkable_pairs']:,} "
        f"({m0['true_pairs'] - m0['linkable_pairs']:,} share only names)"
    )
    print(
        f"\n{'':10} {'precision':>10} {'recall':>8} {'identifiable':>13} {'linkable':>9} {'F1':>8} {'profiles':>9} {'people':>8} {'mixed':>6} {'household':>10}"
    )
    for name, m in rows:
        print(f"{name:10} {m['precision']:>10.4f} {m['recall']:>8.4f} {m['recall_identifiable']:>13.4f} {m['recall_linkable']:>9.4f} {m['f1']:>8.4f} {m['profiles']:>9,} {m['people']:>8,} "
              f"{m['mixed_profiles']:>6,} {m['household_mixed_profiles']:>10,}")  # fmt: skip
    print(
        "\nhousehold mixes by what tells their people apart: different first names (the target:\n"
        "  none); namesakes: one first name, or a short form of both (Alex), with one last name,\n"
        "  address and inbox (nothing); a nameless record on the shared inbox (nothing but it)"
    )
    for name, m in rows:
        k = m["household_kinds"]
        print(f"{name:10} different first names {k.get('different', 0):,}, namesakes "
              f"{k.get('namesakes', 0):,}, nameless record {k.get('nameless', 0):,}")  # fmt: skip
    print(
        "\nseconds: features = normalizing the records into match keys (cdp: every field, on\n"
        "  every core; Splink: its seven fields, by cdp's normalizers record by record on one\n"
        "  core: not comparable); matching =\n"
        "  blocking, scoring (Splink: training too) and clustering; the whole run of cdp also\n"
        "  plans stable ids and writes profiles, golden records, the journal and its state"
    )
    print(f"{'':10} {'features':>9} {'matching':>9} {'whole run':>10}")
    for name, normalized, matched, whole in times:
        print(f"{name:10} {normalized:>9.1f} {matched:>9.1f} {whole:>10.1f}")


if __name__ == "__main__":
    main()
