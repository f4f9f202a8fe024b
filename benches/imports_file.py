#!/usr/bin/env python3
"""Writes a beneficiaries file of N lines (2024 template, realistic values, unique SI ids, NIRs
and CAF numbers) as French Excel saves it: Windows-1252, `;`, CRLF.

    python3 benches/imports_file.py 110000 /tmp/beneficiaires-110000.csv
"""
import random
import sys

FIRST = ["Zoé", "Hélène", "Loïc", "François", "Maëlle", "Jérôme", "Agnès", "Noël", "Inès",
         "Gaëtan", "Cécile", "Anaïs", "Benoît", "Léa", "Raphaël", "Chloé", "Mathéo", "Théo"]
LAST = ["Lefèvre", "Dupré", "Lacroix", "Bérard", "Gérard", "Rivière", "Besançon", "Mercier",
        "Faure", "Perrin", "Chevalier", "Garnier", "Leroy", "Noël", "Benoît", "Müller", "Dubœuf"]
CITIES = [("26000", "Valence"), ("26200", "Montélimar"), ("26100", "Romans-sur-Isère"),
          ("26150", "Die"), ("26400", "Crest"), ("26110", "Nyons"), ("42000", "Saint-Étienne")]
STREETS = ["rue de la République", "avenue Victor-Hugo", "chemin des Écoliers",
           "place de l'Église", "boulevard Général-de-Gaulle", "allée des Peupliers"]
RIGHTS = ["Droit ouvert et versable", "Droit ouvert et suspendu", "Droit refusé",
          "rsa_droit_ouvert_versable", ""]
HEADER = ["Identifiant dans le SI*", "Prénom*", "Nom*", "Date de naissance*", "NIR",
          "Lieu de naissance", "Téléphone", "Email", "Adresse", "Complément d'adresse",
          "Code postal", "Ville", "Numéro allocataire CAF/MSA", "Droits RSA", "Droits ARE",
          "Droits ASS", "Prime d'activité"]


def nir(i, birth_year, birth_month):
    sex = 1 + i % 2
    department = 26
    commune = 1 + (i // 1000) % 999
    order = 1 + i % 999
    body = f"{sex}{birth_year % 100:02d}{birth_month:02d}{department:02d}{commune:03d}{order:03d}"
    key = 97 - int(body) % 97
    return f"{body}{key:02d}"


def main():
    count = int(sys.argv[1])
    path = sys.argv[2]
    rng = random.Random(26)
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write(";".join(HEADER) + "\r\n")
        for i in range(count):
            year = 1955 + rng.randrange(50)
            month = 1 + rng.randrange(12)
            day = 1 + rng.randrange(28)
            # Compound names, as many people have: few namesakes born the same day (the
            # pipeline matches those by names and birth date, as it should).
            first = rng.choice(FIRST) if i % 2 else f"{rng.choice(FIRST)}-{rng.choice(FIRST)}"
            last = f"{rng.choice(LAST)}-{rng.choice(LAST)}" if i % 3 else rng.choice(LAST)
            postal, city = rng.choice(CITIES)
            yes_no = lambda: rng.choice(["Oui", "Non", ""])
            row = [
                f"SI{i:07d}", first, last, f"{day:02d}/{month:02d}/{year}",
                # A NIR's commune and order make it unique within one birth year/month/sex;
                # the SI id is the key anyway.
                nir(i, year, month) if i % 3 else "",
                city, f"06 {rng.randrange(100):02d} {rng.randrange(100):02d} {rng.randrange(100):02d} {rng.randrange(100):02d}",
                f"{first.lower()}.{last.lower()}.{i}@example.org".replace("é", "e").replace("è", "e")
                .replace("ë", "e").replace("ï", "i").replace("ç", "c").replace("ô", "o").replace("ü", "u")
                .replace("œ", "oe").replace("î", "i"),
                f"{1 + rng.randrange(120)} {rng.choice(STREETS)}", "", postal, city,
                f"{2_000_000 + i:07d}", rng.choice(RIGHTS), yes_no(), yes_no(), yes_no(),
            ]
            out.write(";".join(row) + "\r\n")


if __name__ == "__main__":
    main()
