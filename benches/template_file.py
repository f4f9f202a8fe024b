#!/usr/bin/env python3
"""Benchmark files for the bulk-speed issue (#15): the whole 2024 beneficiaries template, the same
people a month later, and the CAF/MSA « flux bénéficiaires » over them. Standard library only;
every file is seeded, so the same command writes the same bytes (the flux's creation time
aside, see `flux`).

    python3 benches/template_file.py whole 110000 /tmp/template-110000.csv
    python3 benches/template_file.py next-month /tmp/template-110000.csv /tmp/template-next.csv
    python3 benches/template_file.py flux /tmp/template-next.csv /tmp/flux-next.xml

`whole N OUT.csv`
    N lines with every column of the 2024 template (`import_beneficiaires.csv`, the 25 headers
    of `COLUMNS_2024` in src/imports/kinds/beneficiary.rs), as French Excel saves them:
    Windows-1252, `;`, CRLF, dates dd/mm/yyyy. The people live in Seine-Saint-Denis and the
    structures and referents named on a quarter of the lines are those of the demo deployment
    « CD 93 (démo) » (src/demo/population.rs, src/demo/staff.rs): load it with
    `cdb-hub demo --beneficiaries 0` and import into "CD 93 (démo)", else those cells are
    refused (unknown structure / professional). Households: a quarter are couples, two
    lines (demandeur and conjoint) sharing their CAF number, rights and address; the 2024
    template has no role column, so the roles only appear in the flux. Every person has a
    valid, unique NIR (15 digits with the key, sometimes typed with spaces) except the
    deliberate namesakes (2 % of the lines: the names and birth date of a person 100 to 2,000
    lines earlier, another SI id, no NIR); other name/birth-date pairs are unique.

`next-month IN.csv OUT.csv`
    The same people a month later: 30 % of the households with new contact details (each
    member a new phone and e-mail, the household a new address), 10 % of the households with
    changed rights (a new RSA state, sometimes ARE/ASS/prime d'activité too), 2 % of the
    households gone, and 5 % new people (new households) appended. Other lines are copied as
    they were. Decisions are drawn per CAF number (and per SI id), so members of a household
    stay together even when their lines are apart.

`flux IN.csv OUT.xml [--created YYYY-MM-DDTHH:MM:SS]`
    A CAF/MSA flux bénéficiaires (vrsb0801, windows-1252) over the people of IN.csv: one
    household (InfosFoyerRSA) per CAF number, its members in file order as DEM then CJT, each
    with the NIR of the file (13 characters, a tenth with the key), the MATRICULE being the CAF
    number right-padded to 15 digits as Cristal writes it. Names, birth date and place, and the
    current address are written so that the hub's reader gives back the CSV's values exactly
    (`NUMVOIE LIBTYPEVOIE NOMVOIE` is the CSV's Adresse, LIEUDIST its complement): only the RSA
    state differs, on 10 % of the households (versable → suspendu / clos, …). Real files write
    names in capitals: `--caf-case` does so (the hub then rewrites every name). Children (ENF)
    of some households are added, unknown to the hub, as in real files (`--no-children` to
    leave them out); a namesake of the CSV (no NIR there) gets a NIR of its own here, so it
    cannot be matched by NIR. The creation time (DTCREAFLUX, HEUCREAFLUX, French legal time)
    is now by default: the hub keeps data that is newer than the flux and refuses a flux dated
    more than 5 minutes ahead, so generate it after the imports it must follow.
"""
import argparse
import codecs
import csv
import datetime
import random
import sys
import unicodedata

# ---------------------------------------------------------------------------------------------
# The 2024 template (domain.md §9.3), each header one of the names of `COLUMNS_2024`.
HEADER = [
    "Identifiant dans le SI*", "Prénom*", "Nom*", "Date de naissance*", "NIR",
    "Lieu de naissance", "Téléphone", "Email", "Adresse", "Adresse (complément)", "Code postal",
    "Ville", "Situation", "Numéro allocataire CAF/MSA", "Identifiant Pôle emploi", "Droits RSA",
    "Droits ARE", "Droits ASS", "Prime d'activité", "RQTH", "Zone de mobilité",
    "Emploi recherché (code ROME)", "Niveau de formation", "Structure", "Accompagnateurs",
]
(SI, FIRST, LAST, BIRTH, NIR, BIRTHPLACE, PHONE, EMAIL, ADDRESS1, ADDRESS2, POSTAL, CITY,
 SITUATION, CAF, PE, RSA, ARE, ASS, BONUS, RQTH, MOBILITY, JOBS, EDUCATION, STRUCTURE,
 ADVISORS) = range(len(HEADER))

# Headers other files may use for the columns `next-month` and `flux` read (the synonyms of the
# column specs in src/imports/kinds/beneficiary.rs).
SYNONYMS = {
    SI: ["Identifiant dans le SI", "Identifiant SI"],
    FIRST: ["Prénom"], LAST: ["Nom"], BIRTH: ["Date de naissance"],
    NIR: ["NIR", "Numéro de sécurité sociale", "N° de sécurité sociale"],
    BIRTHPLACE: ["Lieu de naissance"], PHONE: ["Téléphone", "Téléphones"],
    EMAIL: ["Email", "Courriel", "E-mail", "Mail"], ADDRESS1: ["Adresse"],
    ADDRESS2: ["Adresse (complément)", "Complément d'adresse"], POSTAL: ["Code postal"],
    CITY: ["Ville", "Commune"],
    CAF: ["Numéro allocataire CAF/MSA", "Numéro allocaire CAF/MSA", "N° CAF/MSA",
          "N° allocataire CAF/MSA", "Numéro allocataire"],
    RSA: ["Droits RSA"], ARE: ["Droits ARE"], ASS: ["Droits ASS"], BONUS: ["Prime d'activité"],
}

# ---------------------------------------------------------------------------------------------
# The demo deployment « CD 93 (démo) »: src/demo/population.rs (TERRITORIES[1]) and the
# professionals src/demo/staff.rs writes for it (4 per structure, e-mail
# `email(firstname, lastname, "cd93-demo.example")` from FEMALE/MALE_FIRST_NAMES and LAST_NAMES).
DEMO_DEPLOYMENT = "CD 93 (démo)"
DEMO_STRUCTURES = [
    ("Service social départemental Bobigny",
     ["marie.thomas", "nicolas.bertrand", "camille.martinez", "thomas.mathieu"]),
    ("Projet de ville RSA Saint-Denis",
     ["karine.denis", "mamadou.perez", "isabelle.traore", "bruno.saint-martin"]),
    ("CCAS de Montreuil",
     ["manon.durand", "nicolas.morel", "elodie.rousseau", "thomas.lopez"]),
    ("France Travail Aubervilliers",
     ["catherine.gautier", "mamadou.gillet", "lea.belkacem", "bruno.aubert"]),
    ("PLIE Est Ensemble",
     ["oceane.laurent", "nicolas.mercier", "sandrine.henry", "thomas.masson"]),
    ("Association Femmes Relais Pantin",
     ["sarah.noel", "mamadou.schmitt", "lucie.tifour", "bruno.dubois"]),
]
DEMO_DOMAIN = "cd93-demo.example"
CAF_FUND, CAF_NUMBER = "CAF", "931"  # the territory's `caf: "CAF931"`
PARTNER = "093"

# Where the people live: (postal code, town, INSEE code). The first ten are the demo's towns.
TOWNS = [
    ("93200", "Saint-Denis", "93066"), ("93100", "Montreuil", "93048"),
    ("93300", "Aubervilliers", "93001"), ("93000", "Bobigny", "93008"),
    ("93600", "Aulnay-sous-Bois", "93005"), ("93500", "Pantin", "93055"),
    ("93140", "Bondy", "93010"), ("93700", "Drancy", "93029"),
    ("93160", "Noisy-le-Grand", "93051"), ("93270", "Sevran", "93071"),
    ("93390", "Clichy-sous-Bois", "93014"), ("93800", "Épinay-sur-Seine", "93031"),
    ("93120", "La Courneuve", "93027"), ("93240", "Stains", "93072"),
    ("93150", "Le Blanc-Mesnil", "93007"), ("93110", "Rosny-sous-Bois", "93064"),
]
# Birth places: (NIR département, NIR commune, name as typed). 99 = born abroad (country code).
BIRTHPLACES_93 = [("93", code[2:], town) for _, town, code in TOWNS]
BIRTHPLACES_FRANCE = [
    ("75", "114", "Paris"), ("75", "118", "Paris"), ("75", "120", "Paris"),
    ("13", "055", "Marseille"), ("69", "123", "Lyon"), ("59", "350", "Lille"),
    ("92", "050", "Nanterre"), ("94", "028", "Créteil"), ("95", "500", "Pontoise"),
    ("76", "540", "Rouen"), ("31", "555", "Toulouse"), ("97", "120", "Pointe-à-Pitre"),
    ("97", "209", "Fort-de-France"), ("45", "234", "Orléans"), ("60", "057", "Beauvais"),
]
BIRTHPLACES_ABROAD = [
    ("99", "352", "Alger"), ("99", "352", "Oran"), ("99", "350", "Casablanca"),
    ("99", "351", "Tunis"), ("99", "341", "Dakar"), ("99", "335", "Bamako"),
    ("99", "326", "Abidjan"), ("99", "139", "Lisbonne"), ("99", "208", "Istanbul"),
    ("99", "114", "Bucarest"), ("99", "322", "Douala"), ("99", "312", "Kinshasa"),
    ("99", "235", "Colombo"), ("99", "397", "Moroni"),
]

FEMALE = [
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sophie", "Sandrine", "Céline",
    "Valérie", "Christine", "Stéphanie", "Aurélie", "Julie", "Émilie", "Camille", "Laura",
    "Manon", "Chloé", "Léa", "Inès", "Sarah", "Fatima", "Aïcha", "Yasmine", "Nadia", "Amina",
    "Mélanie", "Virginie", "Karine", "Hélène", "Élodie", "Audrey", "Océane", "Anaïs", "Lucie",
    "Justine", "Zoé", "Maëlys", "Agnès", "Françoise", "Awa", "Fatoumata", "Khadija", "Rokia",
    "Samira", "Leïla", "Naïma", "Maryam", "Aminata", "Noémie", "Cécile", "Ana", "Elif",
]
MALE = [
    "Jean", "Philippe", "Michel", "Alain", "Patrick", "Nicolas", "Christophe", "Pierre",
    "Stéphane", "Laurent", "Frédéric", "Olivier", "Julien", "Sébastien", "David", "Thomas",
    "Kévin", "Maxime", "Anthony", "Romain", "Mohamed", "Karim", "Mehdi", "Youssef", "Moussa",
    "Mamadou", "Jérôme", "François", "Benoît", "Grégory", "Hugo", "Lucas", "Théo", "Nathan",
    "Enzo", "Bruno", "Gaël", "Loïc", "Cédric", "Rémi", "Ibrahim", "Souleymane", "Bilal",
    "Hamza", "Amadou", "Rachid", "Sofiane", "Yanis", "João", "Emre", "Noël", "Jérémy",
]
LASTNAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
    "Dufour", "Blanchard", "Gillet", "Chevallier", "Fabre", "Brunet", "Schmitt", "Barbier",
    "Hubert", "Leclerc", "Diallo", "Traoré", "Koné", "Benali", "Haddad", "Belkacem", "Ndiaye",
    "Da Silva", "Ferreira", "Tifour", "Le Gall", "Kerboriou", "Ould Ahmed", "N'Diaye",
    "Saint-Martin", "Lebœuf", "Cœur", "Perrot", "Aubert", "Colin", "Camara", "Cissé", "Touré",
    "Keita", "Sylla", "Bouzid", "Cherif", "Mansouri", "Amrani", "El Idrissi", "Yilmaz",
    "Öztürk", "Pereira", "Dos Santos", "Popescu", "Mendy", "Kanté", "Sow", "Ba", "Fofana",
]
STREETS = [
    "rue Victor Hugo", "avenue Jean Jaurès", "rue de la République", "boulevard Gambetta",
    "rue Pasteur", "allée des Tilleuls", "chemin des Vignes", "place de la Mairie",
    "rue Émile Zola", "avenue du Général de Gaulle", "rue des Écoles", "impasse des Lilas",
    "rue du Moulin", "avenue de la Gare", "rue Jean Moulin", "avenue Paul Vaillant-Couturier",
    "rue Gabriel Péri", "boulevard Lénine", "cité des Courtillières", "rue Henri Barbusse",
    "allée Jean Renoir", "avenue Karl Marx", "rue de Paris", "square Louise Michel",
    "rue Danielle Casanova", "boulevard Jean Jaurès", "rue Salvador Allende",
]
COMPLEMENTS = [
    "Bâtiment B", "Bâtiment A2", "Escalier 3", "Appartement 42", "Résidence Les Lilas",
    "Résidence du Parc", "Bât. C, 4e étage", "Chez Mme Diallo", "Porte 12", "Foyer Adoma",
    "Tour 5", "Apt 107",
]
MAIL_DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "hotmail.fr", "yahoo.fr", "orange.fr",
                "outlook.fr", "free.fr", "laposte.net", "sfr.fr", "icloud.com"]

# Work situations: the labels of `WorkSituation` (src/imports/values/choices.rs), weighted as
# in an RSA file; an agent sometimes types the key (the 2024 template's sample does).
SITUATIONS = [
    ("En recherche d'emploi", "recherche_emploi", 34), ("En recherche de formation",
     "recherche_formation", 6), ("En recherche d'alternance", "recherche_alternance", 1),
    ("En recherche de stage", "recherche_stage", 1), ("En emploi", "emploi", 5),
    ("En formation", "formation", 4), ("En stage", "stage", 1), ("En alternance",
     "alternance", 1), ("En service civique", "service_civique", 1), ("En IAE", "iae", 3),
    ("En interim", "interim", 3), ("En construction de projet", "construction_projet", 8),
    ("En projet entrepreneurial", "projet_entrepreneurial", 2), ("Entrepreneur",
     "entrepreneur", 2), ("Etudiant", "etudiant", 1), ("En retraite / pré-retraite",
     "enretraite", 1), ("Longue maladie", "maladie", 4), ("En invalidité de travail",
     "invalidite", 2), ("Congé parental", "conge_parental", 3), ("Au foyer", "au_foyer", 6),
    ("Autre", "autre", 4), ("CDI temps complet", "cdi_temps_plein", 1), ("CDI temps partiel",
     "cdi_temps_partiel", 2), ("CDD temps complet", "cdd_temps_plein", 1),
    ("CDD temps partiel", "cdd_temps_partiel", 2), ("Intermittent du spectacle",
     "intermittent", 1),
]
# RSA rights: `RsaRight` (choices.rs) label, key, ETATDOSRSA code (codes.rs RSA_STATES), weight.
RIGHTS = [
    ("Droit ouvert et versable", "rsa_droit_ouvert_versable", "2", 72),
    ("Droit ouvert et suspendu", "rsa_droit_ouvert_et_suspendu", "3", 5),
    ("Droit ouvert mais versement suspendu", "rsa_droit_ouvert_versement_suspendu", "4", 8),
    ("Droit clos", "rsa_clos", "5", 7),
    ("Nouvelle demande en attente de décision du Conseil départemental pour ouverture du droit",
     "rsa_demande_en_attente", "0", 3),
    ("Droit refusé", "rsa_refuse", "1", 2),
    ("Droit clos sur mois antérieur ayant eu un contrôle dans le mois de référence pour une "
     "période antérieure.", "rsa_clos_anterieur", "6", 1),
]
# What a right becomes a month later (next-month, flux): ETATDOSRSA code → possible codes.
TRANSITIONS = {"2": "3445555", "3": "225", "4": "2225", "5": "226", "0": "2221", "1": "02",
               "6": "2"}
# Mobility: `GeographicalArea` labels, or a distance in km (`mobility_area`).
MOBILITY_LABELS = ["Aucune", "Moins de 10 km", "Entre 10 et 20 km", "Entre 20 et 30 km",
                   "Plus de 30 km"]
MOBILITY_KM = ["5", "10", "15 km", "20", "25km", "30", "30 km", "40", "50 km", "0"]
# Education levels: `EducationLevel` labels (France Travail codes as keys), weighted.
EDUCATION_LEVELS = [
    ("Aucune formation scolaire", "AFS", 6), ("Primaire à 4ème", "CP4", 7),
    ("4ème achevée", "CFG", 5), ("BEPC ou 3ème achevée", "C3A", 10),
    ("2nd ou 1ère achevée", "C12", 8), ("CAP, BEP ou équivalent", "NV5", 24),
    ("Bac ou équivalent", "NV4", 20), ("Bac+2 ou équivalent", "NV3", 9),
    ("Bac+3, Bac+4 ou équivalent", "NV2", 6), ("Bac+5 et plus ou équivalent", "NV1", 5),
]
# Wanted jobs: labels of the `rome_code` referential (migrations/…_referentials/up.sql, the
# same rows as referentials/rome_code.csv), typed with their code or as the bare code.
JOB_LABELS = [
    "Nettoyeur / Nettoyeuse de locaux (K2204)", "Agent / Agente de propreté de locaux (K2204)",
    "Auxiliaire de vie (K1302)", "Aide à domicile (K1304)",
    "Aide-soignant / Aide-soignante (J1501)", "Magasinier / Magasinière (N1103)",
    "Préparateur / Préparatrice de commandes (N1103)", "Manutentionnaire (N1105)",
    "Livreur / Livreuse (N4105)", "Cuisinier / Cuisinière (G1602)",
    "Commis / Commise de cuisine (G1602)", "Aide de cuisine (G1605)",
    "Employé polyvalent / Employée polyvalente de restauration (G1603)",
    "Serveur / Serveuse en restauration (G1803)", "Employé / Employée de rayon (D1507)",
    "Caissier / Caissière (D1505)", "Vendeur / Vendeuse en alimentation générale (D1106)",
    "Agent / Agente de sécurité (K2503)", "Jardinier / Jardinière (A1203)",
    "Maçon / Maçonne (F1703)", "Peintre en bâtiment (F1606)", "Plombier / Plombière (F1603)",
    "Secrétaire (M1607)", "Employé / Employée de bureau (M1602)",
    "Garde d'enfant à domicile (K1303)", "Cariste (N1101)", "Coiffeur / Coiffeuse (D1202)",
    "Chauffeur / Chauffeuse de poids lourd (N4101)", "Carreleur / Carreleuse (F1608)",
    "Agent / Agente d'entretien du bâtiment (I1203)",
    "Assistant social / Assistante sociale (K1201)",
    "Conditionneur / Conditionneuse main (H3302)", "Comptable (M1203)",
    "Vendeur / Vendeuse en chaussures (D1214)",
]
MOBILE_PREFIXES = ["60", "61", "62", "63", "64", "65", "66", "67", "68", "73", "74", "75", "76",
                   "77", "78", "79"]
YES = ["Oui"] * 8 + ["oui", "OUI"]
NO = ["Non"] * 8 + ["non", "NON"]


def weighted(items, weight_index=-1):
    """A list to draw from with rng.choice, items repeated by weight."""
    out = []
    for item in items:
        out.extend([item] * item[weight_index])
    return out


SITUATION_DRAW = weighted(SITUATIONS)
RIGHT_DRAW = weighted(RIGHTS)
EDUCATION_DRAW = weighted(EDUCATION_LEVELS)
RIGHT_BY_CODE = {code: (label, key) for label, key, code, _ in RIGHTS}


def fold(text):
    """The hub's comparison key (connectors/core/src/text.rs `fold`), for headers and labels."""
    out = []
    for c in unicodedata.normalize("NFD", text):
        if unicodedata.combining(c) or c.isspace() or c in "*_\ufeff\u200b":
            continue
        if c in "’‘`´ʼ":
            out.append("'")
        elif c in "œŒ":
            out.append("oe")
        elif c in "æÆ":
            out.append("ae")
        else:
            out.append(c.lower())
    return "".join(out)


RIGHT_BY_FOLDED = {}
for _label, _key, _code, _ in RIGHTS:
    RIGHT_BY_FOLDED[fold(_label)] = _code
    RIGHT_BY_FOLDED[fold(_key)] = _code


def ascii_part(text):
    """E-mail local part from a name: no accents, spaces or apostrophes, lower case."""
    text = text.replace("œ", "oe").replace("Œ", "oe")
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "-")).lower()


def nir_key(body):
    return 97 - int(body) % 97


# ---------------------------------------------------------------------------------------------
class People:
    """Draws people and households whose identifiers never collide with those already used."""

    def __init__(self, rng):
        self.rng = rng
        self.nirs = set()        # 13-character bodies
        self.cafs = set()        # 7-digit CAF numbers
        self.pes = set()         # France Travail ids
        self.identities = set()  # (folded first, folded last, birth) of non-namesakes
        self.next_si = 1

    def remember(self, row):
        """Marks the identifiers of an existing line as taken."""
        nir = row[NIR].replace(" ", "")
        if nir:
            self.nirs.add(nir[:13])
        if row[CAF]:
            self.cafs.add(row[CAF].strip())
        if row[PE]:
            self.pes.add(row[PE].strip())
        self.identities.add((fold(row[FIRST]), fold(row[LAST]), row[BIRTH]))
        si = row[SI].strip()
        if si.startswith("SI93-") and si[5:].isdigit():
            self.next_si = max(self.next_si, int(si[5:]) + 1)

    def si(self):
        value = f"SI93-{self.next_si:07d}"
        self.next_si += 1
        return value

    def nir(self, sex, birth, place):
        dept, commune = place[0], place[1]
        while True:
            body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{dept}{commune}" \
                   f"{1 + self.rng.randrange(999):03d}"
            if body not in self.nirs:
                self.nirs.add(body)
                return body

    def caf(self):
        while True:
            value = str(1_000_000 + self.rng.randrange(9_000_000))
            if value not in self.cafs:
                self.cafs.add(value)
                return value

    def pe(self):
        while True:
            value = f"{self.rng.randrange(10**7):07d}{self.rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}" \
                    f"{self.rng.randrange(1000):03d}"
            if value not in self.pes:
                self.pes.add(value)
                return value

    def first_name(self, sex):
        rng = self.rng
        names = MALE if sex == 1 else FEMALE
        if rng.random() < 0.08:
            first, second = rng.choice(names), rng.choice(names)
            if first != second and " " not in first + second:
                return f"{first}-{second}"
        return rng.choice(names)

    def last_name(self):
        rng = self.rng
        if rng.random() < 0.07:
            first, second = rng.choice(LASTNAMES), rng.choice(LASTNAMES)
            if first != second and len(first) + len(second) < 27:
                return f"{first}-{second}"
        return rng.choice(LASTNAMES)

    def birth(self, year_from, years):
        start = datetime.date(year_from, 1, 1)
        return start + datetime.timedelta(days=self.rng.randrange(years * 365))

    def identity(self, sex, last=None, around=None):
        """Unique (first name, last name, birth date) for a new person."""
        while True:
            first = self.first_name(sex)
            name = last or self.last_name()
            if around is None:
                birth = self.birth(1959, 47)
            else:
                birth = around + datetime.timedelta(days=self.rng.randrange(-3000, 3000))
                if birth > datetime.date(2005, 12, 31):
                    continue
            key = (fold(first), fold(name), birth.strftime("%d/%m/%Y"))
            if key not in self.identities:
                self.identities.add(key)
                return first, name, birth

    def birthplace(self):
        draw = self.rng.random()
        if draw < 0.55:
            return self.rng.choice(BIRTHPLACES_93)
        if draw < 0.78:
            return self.rng.choice(BIRTHPLACES_FRANCE)
        return self.rng.choice(BIRTHPLACES_ABROAD)

    # -- contact details ----------------------------------------------------------------------
    def phone(self):
        rng = self.rng
        # Mobile numbers of metropolitan France (not the overseas 0639, 069x prefixes that
        # connectors/core/src/records/contact.rs gives another country code).
        while True:
            national = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
            if not national.startswith("639"):
                break
        digits = "0" + national
        style = rng.random()
        if style < 0.55:
            text = " ".join(digits[i:i + 2] for i in range(0, 10, 2))
        elif style < 0.80:
            text = digits
        elif style < 0.90:
            text = ".".join(digits[i:i + 2] for i in range(0, 10, 2))
        else:
            text = "+33 " + national[0] + " " + " ".join(national[i:i + 2] for i in range(1, 9, 2))
        if rng.random() < 0.07:
            landline = f"01 {rng.randrange(40, 60)} {rng.randrange(100):02d} " \
                       f"{rng.randrange(100):02d} {rng.randrange(100):02d}"
            text = f"{text} / {landline}"
        return text

    def email(self, first, last):
        rng = self.rng
        f, l = ascii_part(first), ascii_part(last)
        style = rng.random()
        if style < 0.4:
            local = f"{f}.{l}"
        elif style < 0.6:
            local = f"{f}.{l}{rng.randrange(1, 100)}"
        elif style < 0.8:
            local = f"{f[0]}{l}{rng.randrange(1960, 2010)}"
        else:
            local = f"{f}{l[:4]}{rng.randrange(93000, 93999)}"
        return f"{local}@{rng.choice(MAIL_DOMAINS)}"

    def address(self):
        """(address1, address2, postal code, town)."""
        rng = self.rng
        postal, town, _ = rng.choice(TOWNS)
        street = f"{1 + rng.randrange(180)} {rng.choice(STREETS)}"
        complement = rng.choice(COMPLEMENTS) if rng.random() < 0.2 else ""
        return street, complement, postal, town

    # -- rows ---------------------------------------------------------------------------------
    def right_cells(self, right):
        """Droits RSA as typed: mostly the label, sometimes lower case or the key."""
        rng = self.rng
        if right is None:
            return ""
        label, key = RIGHT_BY_CODE[right]
        draw = rng.random()
        if draw < 0.05:
            return key
        if draw < 0.10:
            return label.lower()
        return label

    def yes_no(self, yes_share, blank_share):
        draw = self.rng.random()
        if draw < blank_share:
            return ""
        return self.rng.choice(YES if draw < blank_share + yes_share else NO)

    def row(self, first, last, birth, sex, household, nir=True):
        """One line of the template for a person of `household`."""
        rng = self.rng
        place = self.birthplace()
        nir_text = ""
        if nir:
            body = self.nir(sex, birth, place)
            full = f"{body}{nir_key(body):02d}"
            if rng.random() < 0.1:  # typed as printed on the carte Vitale
                full = f"{full[0]} {full[1:3]} {full[3:5]} {full[5:7]} {full[7:10]} " \
                       f"{full[10:13]} {full[13:]}"
            nir_text = full
        address1, address2, postal, town = household["address"]
        row = [""] * len(HEADER)
        row[SI] = self.si()
        row[FIRST], row[LAST], row[BIRTH] = first, last, birth.strftime("%d/%m/%Y")
        row[NIR] = nir_text
        row[BIRTHPLACE] = place[2] if rng.random() < 0.9 else ""
        row[PHONE] = self.phone() if rng.random() < 0.9 else ""
        row[EMAIL] = self.email(first, last) if rng.random() < 0.8 else ""
        row[ADDRESS1], row[ADDRESS2], row[POSTAL], row[CITY] = address1, address2, postal, town
        if rng.random() < 0.85:
            label, key, _ = rng.choice(SITUATION_DRAW)
            row[SITUATION] = key if rng.random() < 0.1 else label
        row[CAF] = household["caf"]
        row[PE] = self.pe() if rng.random() < 0.55 else ""
        row[RSA] = self.right_cells(household["right"])
        row[ARE] = self.yes_no(0.10, 0.2)
        row[ASS] = self.yes_no(0.05, 0.2)
        row[BONUS] = self.yes_no(0.20, 0.2)
        row[RQTH] = self.yes_no(0.08, 0.3)
        if rng.random() < 0.6:
            row[MOBILITY] = rng.choice(MOBILITY_LABELS) if rng.random() < 0.7 \
                else rng.choice(MOBILITY_KM)
        if rng.random() < 0.65:
            jobs = [rng.choice(JOB_LABELS) for _ in range(1 if rng.random() < 0.75 else 2)]
            if jobs[-1] == jobs[0]:
                jobs = jobs[:1]
            row[JOBS] = ", ".join(job if rng.random() < 0.7 else job[-6:-1] for job in jobs)
        if rng.random() < 0.8:
            label, key, _ = rng.choice(EDUCATION_DRAW)
            row[EDUCATION] = key if rng.random() < 0.1 else label
        if household["follow_up"] is not None:
            structure, email = household["follow_up"]
            row[STRUCTURE] = structure
            row[ADVISORS] = email
        return row

    def household(self):
        rng = self.rng
        right = rng.choice(RIGHT_DRAW)[2] if rng.random() < 0.97 else None
        follow_up = None
        if rng.random() < 0.25:
            structure, locals_ = rng.choice(DEMO_STRUCTURES)
            follow_up = (structure, f"{rng.choice(locals_)}@{DEMO_DOMAIN}")
        # A few households with no address in the file.
        address = self.address() if rng.random() < 0.97 else ("", "", "", "")
        return {"caf": self.caf(), "right": right, "address": address, "follow_up": follow_up}

    def new_household(self, size):
        """The lines of a new household: one person, or a couple (demandeur then conjoint)."""
        rng = self.rng
        household = self.household()
        sex = 1 + rng.randrange(2)
        first, last, birth = self.identity(sex)
        rows = [self.row(first, last, birth, sex, household)]
        if size == 2:
            partner_sex = 3 - sex if rng.random() < 0.95 else sex
            shared = last if rng.random() < 0.6 else None
            first2, last2, birth2 = self.identity(partner_sex, last=shared, around=birth)
            rows.append(self.row(first2, last2, birth2, partner_sex, household))
        return rows

    def namesake(self, of):
        """A line about another person with the names and birth date of `of`: no NIR."""
        first, last, birth_text, sex = of
        birth = datetime.datetime.strptime(birth_text, "%d/%m/%Y").date()
        return [self.row(first, last, birth, sex, self.household(), nir=False)]


def sex_of(row):
    """1 or 2: from the NIR, else from the first name lists."""
    nir = row[NIR].replace(" ", "")
    if nir[:1] in ("1", "2"):
        return int(nir[0])
    return 2 if row[FIRST].split("-")[0] in FEMALE else 1


# ---------------------------------------------------------------------------------------------
def writer(path):
    out = open(path, "w", encoding="cp1252", newline="")
    return out, csv.writer(out, delimiter=";", lineterminator="\r\n")


# A quarter of the households are couples (two lines); 2.5 % of the households drawn are
# namesakes (one line), which makes 2 % of the lines.
COUPLE_SHARE = 0.25
NAMESAKE_SHARE = 0.025


def write_households(people, lines_wanted, write, recent, namesake_share, couple_share):
    """Writes new households until `lines_wanted` lines; answers (lines, namesakes, couples)."""
    rng = people.rng
    lines = namesakes = couples = 0
    while lines < lines_wanted:
        if recent and len(recent) >= 200 and rng.random() < namesake_share:
            # Someone a few hundred lines back (the pipeline must see the whole file).
            rows = people.namesake(recent[rng.randrange(len(recent) - 100)])
            namesakes += 1
        else:
            size = 2 if lines_wanted - lines >= 2 and rng.random() < couple_share else 1
            rows = people.new_household(size)
            couples += size == 2
            for row in rows:
                recent.append((row[FIRST], row[LAST], row[BIRTH], sex_of(row)))
                if len(recent) > 2000:
                    del recent[:1000]
        for row in rows:
            write(row)
        lines += len(rows)
    return lines, namesakes, couples


def whole(args):
    rng = random.Random(args.seed)
    people = People(rng)
    out, w = writer(args.out)
    with out:
        w.writerow(HEADER)
        lines, namesakes, couples = write_households(
            people, args.count, w.writerow, [], NAMESAKE_SHARE, COUPLE_SHARE)
    print(f"{args.out}: {lines} lines, {couples} couples ({2 * couples} lines), "
          f"{namesakes} namesakes", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
def open_csv(path):
    """Reads a beneficiaries CSV as the hub decides its encoding: a BOM or valid UTF-8 is
    UTF-8, anything else Windows-1252. Answers the open file, its csv reader (past the
    header), the header and the column index of each field found."""
    encoding = "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as raw:
        try:
            while True:
                chunk = raw.read(1 << 20)
                decoder.decode(chunk, final=not chunk)
                if not chunk:
                    break
        except UnicodeDecodeError:
            encoding = "cp1252"
    handle = open(path, encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=";")
    header = next(reader)
    folded = [fold(cell) for cell in header]
    columns = {}
    for field, names in SYNONYMS.items():
        for name in names:
            if fold(name) in folded:
                columns[field] = folded.index(fold(name))
                break
    missing = [HEADER[f] for f in (SI, FIRST, LAST, BIRTH, NIR, CAF) if f not in columns]
    if missing:
        sys.exit(f"{path}: no column {', '.join(missing)}")
    return handle, reader, header, columns


def as_template(raw, header, columns):
    """A line of any beneficiaries file as a 25-cell template row (other columns dropped)."""
    if header == HEADER:
        return raw + [""] * (len(HEADER) - len(raw))
    row = [""] * len(HEADER)
    for field, index in columns.items():
        if index < len(raw):
            row[field] = raw[index]
    return row


def right_code(cell):
    return RIGHT_BY_FOLDED.get(fold(cell)) if cell.strip() else None


def next_month(args):
    handle, reader, header, columns = open_csv(args.input)
    people = People(random.Random(f"{args.seed}:new"))
    out, w = writer(args.out)
    counts = {"lines": 0, "kept": 0, "contact": 0, "rights": 0, "gone": 0, "new": 0}
    households = set()
    with handle, out:
        w.writerow(header)
        for raw in reader:
            if not any(cell.strip() for cell in raw):
                continue
            row = as_template(raw, header, columns)
            people.remember(row)
            counts["lines"] += 1
            caf = row[CAF].strip() or f"si:{row[SI]}"
            households.add(caf)
            # Decisions of the household, whatever the order of its lines.
            house = random.Random(f"{args.seed}:{caf}")
            gone = house.random() < 0.02
            moves = house.random() < 0.30
            rights_change = house.random() < 0.10
            new_address = People(house).address()
            new_right = house.choice(TRANSITIONS.get(right_code(row[RSA]) or "2", "2"))
            flip = house.random()
            if gone:
                counts["gone"] += 1
                continue
            person = People(random.Random(f"{args.seed}:{row[SI]}"))
            if moves:
                row[PHONE] = person.phone()
                row[EMAIL] = person.email(row[FIRST], row[LAST])
                row[ADDRESS1], row[ADDRESS2], row[POSTAL], row[CITY] = new_address
                counts["contact"] += 1
            if rights_change:
                label, _ = RIGHT_BY_CODE[new_right]
                row[RSA] = label
                if flip < 0.5:
                    column = (ARE, ASS, BONUS)[int(flip * 6)]
                    row[column] = "Non" if row[column].strip().lower() in ("oui", "o") else "Oui"
                counts["rights"] += 1
            if moves or rights_change:
                if header == HEADER:
                    raw = row
                else:
                    for field, index in columns.items():
                        if index < len(raw):
                            raw[index] = row[field]
            else:
                counts["kept"] += 1
            w.writerow(raw)
        wanted = round(counts["lines"] * 0.05)
        recent = []
        def write_new(row):
            w.writerow(row if header == HEADER else to_header(row, header, columns))
        lines, _, couples = write_households(people, wanted, write_new, recent, 0.0, COUPLE_SHARE)
        counts["new"] = lines
    def share(n):
        return f"{100 * n / max(counts['lines'], 1):.1f} %"
    print(f"{args.out}: {counts['lines']} lines read ({len(households)} households): "
          f"{counts['contact']} new contact details ({share(counts['contact'])}), "
          f"{counts['rights']} changed rights ({share(counts['rights'])}), "
          f"{counts['gone']} gone ({share(counts['gone'])}), {counts['new']} new "
          f"({share(counts['new'])}, {couples} couples), {counts['kept']} unchanged",
          file=sys.stderr)


def to_header(row, header, columns):
    raw = [""] * len(header)
    for field, index in columns.items():
        raw[index] = row[field]
    return raw


# ---------------------------------------------------------------------------------------------
# The flux: element for element what connectors/caf-msa/src/generate/xml.rs writes (schema
# order of vrsb0801.xsd), so the hub's reader takes it.
def paris_now():
    """Now in French legal time (the EU rule connectors/core/src/time.rs `paris_to_utc`
    inverts: summer time from the last Sunday of March to the last Sunday of October,
    01:00 UTC)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)

    def last_sunday(month):
        day = datetime.datetime(now.year, month + 1, 1) - datetime.timedelta(days=1)
        return day - datetime.timedelta(days=(day.weekday() + 1) % 7)

    start = last_sunday(3).replace(hour=1)
    end = last_sunday(10).replace(hour=1)
    return now + datetime.timedelta(hours=2 if start <= now < end else 1)


def escape(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def leaf(parts, depth, name, value):
    if value == "":
        parts.append(f"{chr(9) * depth}<{name} />\n")
    else:
        parts.append(f"{chr(9) * depth}<{name}>{escape(value)}</{name}>\n")


def day(date):
    return date.strftime("%Y-%m-%d")


_RESOURCES = {}


def resources(application):
    """The Ressources block of an adult (three months), as xml.rs writes it."""
    first = application.replace(day=1)
    cached = _RESOURCES.get(first)
    if cached is None:
        p = []
        p.append("\t\t\t<Ressources>\n\t\t\t\t<GeneraliteRessourcesTrimestre>\n")
        leaf(p, 5, "TOPRESSNUL", "0")
        leaf(p, 5, "DDRESS", day(first))
        leaf(p, 5, "DFRESS", day(first + datetime.timedelta(days=89)))
        p.append("\t\t\t\t</GeneraliteRessourcesTrimestre>\n")
        for month in range(3):
            p.append("\t\t\t\t<RessourcesMensuelles>\n\t\t\t\t\t<GeneraliteRessourcesMensuelles>\n")
            leaf(p, 6, "MOISRESS", day(first + datetime.timedelta(days=31 * month)))
            leaf(p, 6, "NBHEUMENTRA", "000")
            p.append("\t\t\t\t\t</GeneraliteRessourcesMensuelles>\n")
            for nature, amount in (("001", "0001675.00"), ("010", "0000045.00"),
                                   ("044", "0000000.00")):
                p.append("\t\t\t\t\t<DetailRessourcesMensuelles>\n")
                leaf(p, 6, "NATRESS", nature)
                leaf(p, 6, "MTNATRESSMEN", amount)
                p.append("\t\t\t\t\t</DetailRessourcesMensuelles>\n")
            p.append("\t\t\t\t</RessourcesMensuelles>\n")
        p.append("\t\t\t</Ressources>\n")
        cached = _RESOURCES[first] = "".join(p)
    return cached


def person_xml(p, person, application, with_resources, caps):
    p.append("\t\t<Personne>\n\t\t\t<Identification>\n")
    if person["adult"]:
        leaf(p, 4, "QUAL", "MR" if person["sex"] == 1 else "MME")
    last, first = person["last"], person["first"]
    if caps:
        last, first = last.upper(), first.upper()
    leaf(p, 4, "NOM", last)
    leaf(p, 4, "NOMNAI", person["birth_name"].upper() if caps else person["birth_name"])
    leaf(p, 4, "PRENOM", first)
    leaf(p, 4, "NOMCOMNAI", person["birthplace"])
    leaf(p, 4, "DTNAI", day(person["birth"]))
    leaf(p, 4, "TYPEDTNAI", "N")
    if person["nir"]:
        leaf(p, 4, "NIR", person["nir"])
    leaf(p, 4, "TOPVALIEC", "1")
    leaf(p, 4, "SEXE", str(person["sex"]))
    p.append("\t\t\t</Identification>\n\t\t\t<DossierCAF>\n")
    leaf(p, 4, "TOPRESPDOS", "1" if person["role"] == "DEM" else "0")
    leaf(p, 4, "DDRATDOS", day(application))
    p.append("\t\t\t</DossierCAF>\n")
    for nature, dependent in (("PFA", "0"), ("RSA", "1")):
        p.append("\t\t\t<Prestations>\n")
        leaf(p, 4, "NATPREST", nature)
        leaf(p, 4, "ROLEPERS", person["role"])
        leaf(p, 4, "TOPCHAPERS", dependent)
        p.append("\t\t\t</Prestations>\n")
    if person["adult"]:
        if with_resources:
            p.append(resources(application))
        p.append("\t\t\t<MontantCalculDroitRSAPersonne>\n")
        leaf(p, 4, "TOPPERSDRODEVORSA", person["duties"])
        p.append("\t\t\t</MontantCalculDroitRSAPersonne>\n")
    p.append("\t\t</Personne>\n")


def coded(p, block, names, code, date):
    p.append(f"\t\t\t\t<{block}>\n")
    leaf(p, 5, names[0], code)
    leaf(p, 5, names[1], day(date))
    p.append(f"\t\t\t\t</{block}>\n")


def split_street(address1):
    """NUMVOIE, LIBTYPEVOIE, NOMVOIE whose join by spaces is the CSV's Adresse (the reader
    joins the non-blank parts with a space)."""
    words = address1.split()
    if len(words) >= 3 and len(words[0]) <= 6 and len(words[1]) <= 30 \
            and len(" ".join(words[2:])) <= 32:
        return words[0], words[1], " ".join(words[2:])
    if len(words) >= 2 and len(words[0]) <= 30 and len(" ".join(words[1:])) <= 32:
        return "", words[0], " ".join(words[1:])
    return "", "", address1[:32]


def household_xml(household, with_resources, caps):
    """The InfosFoyerRSA element of a household, as text."""
    h = household
    p = ["\t<InfosFoyerRSA>\n\t\t<IdentificationRSA>\n\t\t\t<Organisme>\n"]
    leaf(p, 4, "FONORG", h["fund"])
    leaf(p, 4, "NUMORG", h["organisation"])
    leaf(p, 4, "MATRICULE", h["matricule"])
    p.append("\t\t\t</Organisme>\n\t\t\t<Partenaire>\n")
    leaf(p, 4, "TYPEPARTE", "CG ")
    leaf(p, 4, "IDEPARTE", PARTNER)
    p.append("\t\t\t</Partenaire>\n\t\t\t<DemandeRSA>\n")
    leaf(p, 4, "DTDEMRSA", day(h["application"]))
    leaf(p, 4, "NUMDEMRSA", h["application_number"])
    p.append("\t\t\t</DemandeRSA>\n\t\t</IdentificationRSA>\n")
    for person in h["persons"]:
        person_xml(p, person, h["application"], with_resources, caps)
    p.append("\t\t<DonneesAdministratives>\n\t\t\t<SituationFamille>\n")
    leaf(p, 4, "SITFAM", h["family"])
    leaf(p, 4, "DDSITFAM", day(h["application"] - datetime.timedelta(days=400)))
    p.append("\t\t\t</SituationFamille>\n\t\t\t<Adresse>\n\t\t\t\t<TroncCommunAdresse>\n")
    leaf(p, 5, "RGADR", "01")
    leaf(p, 5, "DTEMM", day(h["moved_in"]))
    leaf(p, 5, "PAYS", "FRA")
    leaf(p, 5, "TYPEADR", "D")
    leaf(p, 5, "ETATADR", "CO")
    p.append("\t\t\t\t</TroncCommunAdresse>\n\t\t\t\t<AdresseDetailleeFrance>\n")
    number, street_type, street_name = split_street(h["address1"])
    leaf(p, 5, "COMPLIDEADR", "")
    leaf(p, 5, "COMPLADR", "")
    leaf(p, 5, "NUMVOIE", number)
    leaf(p, 5, "LIBTYPEVOIE", street_type)
    leaf(p, 5, "NOMVOIE", street_name)
    leaf(p, 5, "LIEUDIST", h["address2"][:38])
    leaf(p, 5, "NUMCOM", h["insee"])
    leaf(p, 5, "CODEPOS", h["postal"])
    leaf(p, 5, "NOMCOM", h["city"][:32])
    p.append("\t\t\t\t</AdresseDetailleeFrance>\n\t\t\t</Adresse>\n"
             "\t\t</DonneesAdministratives>\n\t\t<PrestationRSA>\n\t\t\t<SituationDossierRSA>\n"
             "\t\t\t\t<EtatDossierRSA>\n")
    state = h["state"]
    leaf(p, 5, "ETATDOSRSA", state)
    p.append("\t\t\t\t</EtatDossierRSA>\n")
    since = h["since"]
    if state == "1":
        p.append("\t\t\t\t<Refus>\n")
        leaf(p, 5, "DTREFURSA", day(since))
        leaf(p, 5, "MOTIREFURSA", h["reason"])
        p.append("\t\t\t\t</Refus>\n")
    elif state == "3":
        coded(p, "SuspensionDroit", ("MOTISUSDRORSA", "DDSUSDRORSA"), h["reason"], since)
    elif state == "4":
        coded(p, "SuspensionVersement", ("MOTISUSVERSRSA", "DDSUSVERSRSA"), h["reason"], since)
    elif state == "5":
        coded(p, "FinDroit", ("MOTICLORSA", "DTCLORSA"), h["reason"], since)
    elif state == "6":
        coded(p, "FinDroitMoisAnterieur", ("MOTICLORSA", "DTCLORSA"), h["reason"], since)
    p.append("\t\t\t</SituationDossierRSA>\n\t\t\t<DetailDroitRSA>\n"
             "\t\t\t\t<TroncCommunDroitRSA>\n")
    leaf(p, 5, "TOPSANSDOMFIXE", "0")
    children = sum(1 for person in h["persons"] if person["role"] == "ENF")
    if children:
        leaf(p, 5, "NBENFAUTCHA", f"{children:02d}")
    leaf(p, 5, "ORIDEMRSA", "DEM")
    leaf(p, 5, "DTORIDEMRSA", day(h["application"]))
    p.append("\t\t\t\t</TroncCommunDroitRSA>\n\t\t\t</DetailDroitRSA>\n"
             "\t\t</PrestationRSA>\n\t</InfosFoyerRSA>\n")
    return "".join(p)


REASONS = {"1": ["DSD", "PCG", "FDB"], "3": ["DB", "DC", "DL", "DM"],
           "4": ["01", "05", "06", "35", "44", "70", "AB", "CV"],
           "5": ["PCG", "ECH", "MUT", "RFD", "RAU"], "6": ["ECH"]}
TOWN_BY_NAME = {fold(town): (postal, insee) for postal, town, insee in TOWNS}
BIRTHPLACE_NAMES = [place[2] for place in BIRTHPLACES_93 + BIRTHPLACES_FRANCE]


def flux_household(args, key, caf, rows, people, counts):
    """The household of the CSV lines sharing a CAF number (DEM, then CJT…)."""
    house = random.Random(f"{args.seed}:{key}")
    first = rows[0]
    csv_state = right_code(first[RSA])
    state = csv_state or house.choice(RIGHT_DRAW)[2]
    changed = house.random() < 0.10
    if changed:
        state = house.choice(TRANSITIONS[state])
        counts["changed"] += 1
    application = datetime.date(2015, 1, 1) + datetime.timedelta(days=house.randrange(9 * 365))
    since = application + datetime.timedelta(days=30 + house.randrange(900))
    reason = house.choice(REASONS[state]) if state in REASONS else ""
    fund, organisation = (CAF_FUND, CAF_NUMBER) if house.random() < 0.96 else ("MSA", "093")
    digits = caf.strip()
    if digits.isdigit() and len(digits) <= 7:
        matricule = f"{int(digits):07d}00000000"
    elif digits.isdigit() and len(digits) == 15:
        matricule = digits
    else:  # no usable CAF number in the file: one of the flux's own
        matricule = f"{people.caf()}00000000"
    persons = []
    for rank, row in enumerate(rows):
        role = "DEM" if rank == 0 else "CJT" if rank == 1 else "AUT"
        sex = sex_of(row)
        nir = row[NIR].replace(" ", "")[:13]
        if not nir:  # a namesake of the file: the CAF knows its NIR, the hub does not
            birth = datetime.datetime.strptime(row[BIRTH], "%d/%m/%Y").date()
            nir = people.nir(sex, birth, ("99", "352"))
            counts["nir_of_flux"] += 1
        if house.random() < 0.1:
            nir = f"{nir}{nir_key(nir):02d}"
        birth_name = row[LAST]
        if role == "CJT" and sex == 2 and row[LAST] == first[LAST] and house.random() < 0.7:
            birth_name = house.choice(LASTNAMES)
        persons.append({
            "role": role, "adult": True, "sex": sex, "last": row[LAST], "first": row[FIRST],
            "birth_name": birth_name, "birth": datetime.datetime.strptime(
                row[BIRTH], "%d/%m/%Y").date(),
            "birthplace": row[BIRTHPLACE] or house.choice(BIRTHPLACE_NAMES), "nir": nir,
            "duties": "1" if house.random() < 0.9 else "0"})
    # Children born once the youngest adult was 18, after 2005 (adults are born before 2006).
    eldest_child = max(person["birth"] for person in persons).year + 18
    eldest_child = max(eldest_child, 2006)
    if not args.no_children and eldest_child <= 2023 and house.random() < 0.4:
        for _ in range(1 + house.randrange(3)):
            sex = 1 + house.randrange(2)
            birth = datetime.date(eldest_child, 1, 1) + datetime.timedelta(
                days=house.randrange((2024 - eldest_child) * 365))
            place = house.choice(BIRTHPLACES_93)
            persons.append({
                "role": "ENF", "adult": False, "sex": sex, "last": first[LAST],
                "first": house.choice(MALE if sex == 1 else FEMALE), "birth_name": first[LAST],
                "birth": birth, "birthplace": place[2],
                "nir": people.nir(sex, birth, place) if house.random() < 0.95 else "",
                "duties": "0"})
            counts["children"] += 1
    address1 = first[ADDRESS1].strip()
    postal, insee = TOWN_BY_NAME.get(fold(first[CITY]), ("", ""))
    if not address1:  # the CAF knows where they live even if the file does not say
        address1, address2, postal, town = People(house).address()
        insee = TOWN_BY_NAME[fold(town)][1]
    else:
        address2, town = first[ADDRESS2].strip(), first[CITY].strip()
        postal = first[POSTAL].strip() or postal
    couple = sum(1 for person in persons if person["role"] in ("DEM", "CJT")) > 1
    return {
        "fund": fund, "organisation": organisation, "matricule": matricule,
        "application": application, "application_number": f"{house.randrange(10**11):011d}",
        "persons": persons,
        "family": house.choice(["MAR", "PAC", "VIM"] if couple else ["CEL", "DIV", "SEF", "VEU",
                                                                      "ISO"]),
        "moved_in": application + datetime.timedelta(days=house.randrange(600)),
        "address1": address1, "address2": address2, "postal": postal or "93000",
        "insee": insee or "93008", "city": town or "Bobigny",
        "state": state, "since": since, "reason": reason,
    }


def flux(args):
    # First pass: how many lines each household has, and every NIR of the file.
    handle, reader, header, columns = open_csv(args.input)
    sizes = {}
    people = People(random.Random(f"{args.seed}:flux"))
    with handle:
        for raw in reader:
            if not any(cell.strip() for cell in raw):
                continue
            row = as_template(raw, header, columns)
            people.remember(row)
            key = row[CAF].strip() or f"si:{row[SI]}"
            sizes[key] = sizes.get(key, 0) + 1
    if args.created:
        created = datetime.datetime.strptime(args.created, "%Y-%m-%dT%H:%M:%S")
    else:
        created = paris_now()
    counts = {"households": 0, "persons": 0, "changed": 0, "children": 0, "nir_of_flux": 0,
              "couples": 0}
    pending = {}
    handle, reader, header, columns = open_csv(args.input)
    with handle, open(args.out, "wb") as out:
        def emit(text):
            out.write(text.encode("cp1252", errors="xmlcharrefreplace"))
        head = []
        head.append('<?xml version="1.0" encoding="windows-1252"?>\n<Racine>\n'
                    "\t<IdentificationFlux>\n")
        leaf(head, 2, "APPLIEME", "CRI")
        leaf(head, 2, "NUMVERSIONAPPLIEME", "6200")
        leaf(head, 2, "TYPEFLUX", "M")
        leaf(head, 2, "NATFLUX", "D")
        leaf(head, 2, "DTCREAFLUX", day(created))
        leaf(head, 2, "HEUCREAFLUX", created.strftime("%H:%M:%S") + ".0000")
        leaf(head, 2, "DTREF", day(created - datetime.timedelta(days=1)))
        head.append("\t</IdentificationFlux>\n")
        emit("".join(head))
        for raw in reader:
            if not any(cell.strip() for cell in raw):
                continue
            row = as_template(raw, header, columns)
            key = row[CAF].strip() or f"si:{row[SI]}"
            members = pending.setdefault(key, [])
            members.append(row)
            if len(members) < sizes[key]:
                continue
            del pending[key]
            household = flux_household(args, key, row[CAF], members, people, counts)
            emit(household_xml(household, not args.no_resources, args.caf_case))
            counts["households"] += 1
            counts["persons"] += len(household["persons"])
            counts["couples"] += len(members) == 2
        emit("\t<TransmissionFlux>\n"
             f"\t\t<NBTOTDOSRSATRANSM>{counts['households']:08d}</NBTOTDOSRSATRANSM>\n"
             "\t\t<NBTOTDOSRSATRANSMANO>00000000</NBTOTDOSRSATRANSMANO>\n"
             "\t</TransmissionFlux>\n</Racine>\n")
    print(f"{args.out}: created {created:%Y-%m-%d %H:%M:%S} (Paris), {counts['households']} "
          f"households ({counts['couples']} couples), {counts['persons']} persons "
          f"({counts['children']} children), {counts['changed']} with a changed RSA state "
          f"({100 * counts['changed'] / max(counts['households'], 1):.1f} %), "
          f"{counts['nir_of_flux']} NIRs the file lacks", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("whole", help="N lines of the whole 2024 template")
    p.add_argument("count", type=int)
    p.add_argument("out")
    p.add_argument("--seed", default="2024")
    p = commands.add_parser("next-month", help="the same people a month later")
    p.add_argument("input")
    p.add_argument("out")
    p.add_argument("--seed", default="2025")
    p = commands.add_parser("flux", help="a CAF/MSA flux bénéficiaires over a file's people")
    p.add_argument("input")
    p.add_argument("out")
    p.add_argument("--seed", default="2026")
    p.add_argument("--created", help="DTCREAFLUX/HEUCREAFLUX, French legal time, "
                                     "YYYY-MM-DDTHH:MM:SS (default: now)")
    p.add_argument("--no-children", action="store_true", help="no ENF persons")
    p.add_argument("--no-resources", action="store_true", help="no Ressources blocks")
    p.add_argument("--caf-case", action="store_true", help="names in capitals, as Cristal")
    args = parser.parse_args()
    {"whole": whole, "next-month": next_month, "flux": flux}[args.command](args)


if __name__ == "__main__":
    main()
