#!/usr/bin/env python3
"""Regenerates the registry lists in this folder from the shared datasets.

    python3 sources/registry/regenerate.py /path/to/shared/data

california-2025.csv  <- themarkup-ca-registry-2025-optout-pages.csv (Apache-2.0,
                        The Markup): one row per California-registered broker.
eu-controllers.json  <- datenanfragen-companies.json (CC0-1.0, datenanfragen.de):
                        controllers in the categories "addresses" (address brokers)
                        or "credit agency", with contact and request requirements.
Only standard-library modules are used so the script runs anywhere.
"""
import csv
import json
import sys
from pathlib import Path
from urllib.parse import urlparse

EU_CATEGORIES = {"addresses", "credit agency"}


def host(u):
    if not u:
        return ""
    if "://" not in u:
        u = "https://" + u
    return (urlparse(u).hostname or "").lower().removeprefix("www.")


def main(data):
    here = Path(__file__).resolve().parent
    rows = list(csv.DictReader(open(data / "themarkup-ca-registry-2025-optout-pages.csv", newline="")))
    with open(here / "california-2025.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["company", "host", "optout_url", "optout_url_registered", "hidden_from_search",
                    "collects_minors_data", "collects_location_data", "collects_reproductive_data"])
        for r in rows:
            final = r["url_final"] or r["url_checked"] or r["url_original"]
            w.writerow([
                r["company_name"].strip(),
                host(r["hostname_original"]) or host(r["url_original"]),
                final,
                r["url_original"],
                r["hiding_found"].lower(),
                r["collects_minors_data"].lower(),
                r["collects_location_data"].lower(),
                r["collects_reproductive_data"].lower(),
            ])
    companies = json.load(open(data / "datenanfragen-companies.json"))
    keep = []
    for c in companies:
        cats = set(c.get("categories") or [])
        if not cats & EU_CATEGORIES:
            continue
        keep.append({
            "slug": c["slug"],
            "name": c["name"],
            "categories": sorted(cats),
            "relevant_countries": c.get("relevant-countries", []),
            "address": c.get("address", ""),
            "email": c.get("email"),
            "web": c.get("web"),
            "webform": c.get("webform"),
            "phone": c.get("phone"),
            "runs": c.get("runs", []),
            "required_elements": [
                {"type": e.get("type", ""), "desc": e.get("desc", "")}
                for e in (c.get("required-elements") or [])
            ],
            "suggested_transport_medium": c.get("suggested-transport-medium"),
            "needs_id_document": bool(c.get("needs-id-document", False)),
            "sources": c.get("sources", []),
        })
    keep.sort(key=lambda c: c["slug"])
    doc = {
        "origin": "datenanfragen/data companies/*.json, filtered to categories "
                  + ", ".join(sorted(EU_CATEGORIES)),
        "license": "CC0-1.0",
        "controllers": keep,
    }
    with open(here / "eu-controllers.json", "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"california-2025.csv: {len(rows)} brokers; eu-controllers.json: {len(keep)} controllers")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: regenerate.py DATA_DIR")
    main(Path(sys.argv[1]))
