//! Word lists for synthetic but realistic French people and places.

/// A demo département: its code, name, CAF and towns.
#[derive(Debug, Clone, Copy)]
pub struct Territory {
    /// Two-character département code, as in the NIR.
    pub code: &'static str,
    /// Deployment label.
    pub label: &'static str,
    /// CAF organisation: FONORG + NUMORG.
    pub caf: &'static str,
    /// (postal code, town).
    pub towns: &'static [(&'static str, &'static str)],
    /// Accompanying structures: (name, short description).
    pub structures: &'static [(&'static str, &'static str)],
}

/// The two demo deployments.
pub const TERRITORIES: [Territory; 2] = [
    Territory {
        code: "26",
        label: "CD 26 (démo)",
        caf: "CAF261",
        towns: &[
            ("26000", "Valence"),
            ("26100", "Romans-sur-Isère"),
            ("26200", "Montélimar"),
            ("26400", "Crest"),
            ("26150", "Die"),
            ("26700", "Pierrelatte"),
            ("26110", "Nyons"),
            ("26500", "Bourg-lès-Valence"),
        ],
        structures: &[
            ("Service insertion Valence", "Service du Département: accompagnement des allocataires du RSA"),
            ("CCAS de Romans-sur-Isère", "Centre communal d'action sociale"),
            ("Mission locale Drôme Nord", "Accompagnement des jeunes de 16 à 25 ans"),
            ("France Travail Montélimar", "Agence France Travail"),
            ("Association Relais Emploi Diois", "Chantier d'insertion et accompagnement vers l'emploi"),
            ("Centre médico-social de Crest", "Accompagnement social global"),
        ],
    },
    Territory {
        code: "93",
        label: "CD 93 (démo)",
        caf: "CAF931",
        towns: &[
            ("93200", "Saint-Denis"),
            ("93100", "Montreuil"),
            ("93300", "Aubervilliers"),
            ("93000", "Bobigny"),
            ("93600", "Aulnay-sous-Bois"),
            ("93500", "Pantin"),
            ("93140", "Bondy"),
            ("93700", "Drancy"),
            ("93160", "Noisy-le-Grand"),
            ("93270", "Sevran"),
        ],
        structures: &[
            ("Service social départemental Bobigny", "Service social du Département"),
            ("Projet de ville RSA Saint-Denis", "Accompagnement socio-professionnel des allocataires"),
            ("CCAS de Montreuil", "Centre communal d'action sociale"),
            ("France Travail Aubervilliers", "Agence France Travail"),
            ("PLIE Est Ensemble", "Plan local pour l'insertion et l'emploi"),
            ("Association Femmes Relais Pantin", "Médiation sociale et accès aux droits"),
        ],
    },
];

/// Women's first names.
pub const FEMALE_FIRST_NAMES: &[&str] = &[
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sophie", "Sandrine", "Céline", "Valérie",
    "Christine", "Stéphanie", "Aurélie", "Julie", "Émilie", "Camille", "Laura", "Manon", "Chloé",
    "Léa", "Inès", "Sarah", "Fatima", "Aïcha", "Yasmine", "Nadia", "Amina", "Mélanie", "Virginie",
    "Karine", "Hélène", "Élodie", "Audrey", "Océane", "Anaïs", "Lucie", "Justine", "Zoé", "Maëlys",
    "Agnès", "Françoise",
];

/// Men's first names.
pub const MALE_FIRST_NAMES: &[&str] = &[
    "Jean", "Philippe", "Michel", "Alain", "Patrick", "Nicolas", "Christophe", "Pierre", "Stéphane",
    "Laurent", "Frédéric", "Olivier", "Julien", "Sébastien", "David", "Thomas", "Kévin", "Maxime",
    "Anthony", "Romain", "Mohamed", "Karim", "Mehdi", "Youssef", "Moussa", "Mamadou", "Jérôme",
    "François", "Benoît", "Grégory", "Hugo", "Lucas", "Théo", "Nathan", "Enzo", "Bruno", "Gaël",
    "Loïc", "Cédric", "Rémi",
];

/// Family names.
pub const LAST_NAMES: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
    "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
    "Dufour", "Blanchard", "Gillet", "Chevallier", "Fabre", "Brunet", "Schmitt", "Barbier", "Hubert", "Leclerc",
    "Diallo", "Traoré", "Koné", "Benali", "Haddad", "Belkacem", "Ndiaye", "Da Silva", "Ferreira", "Tifour",
    "Le Gall", "Kerboriou", "Ould Ahmed", "N'Diaye", "Saint-Martin", "Lebœuf", "Cœur", "Perrot", "Aubert", "Colin",
];

/// Street names for addresses.
pub const STREETS: &[&str] = &[
    "rue Victor Hugo", "avenue Jean Jaurès", "rue de la République", "boulevard Gambetta", "rue Pasteur",
    "allée des Tilleuls", "chemin des Vignes", "place de la Mairie", "rue Émile Zola", "avenue du Général de Gaulle",
    "rue des Écoles", "impasse des Lilas", "rue du Moulin", "avenue de la Gare", "rue Jean Moulin",
];

/// Family situations of the CAF flux (SITFAM).
pub const FAMILY_SITUATIONS: &[&str] = &["CEL", "MAR", "PAC", "DIV", "ISO", "SEL", "VEU", "RVM"];

/// Work situations (keys of the `work_situation` referential).
pub const WORK_SITUATIONS: &[&str] = &[
    "recherche_emploi", "recherche_emploi", "recherche_emploi", "recherche_formation", "construction_projet",
    "emploi", "formation", "iae", "interim", "au_foyer", "maladie", "cdd_temps_partiel", "autre",
];

/// Education levels (France Travail codes).
pub const EDUCATION_LEVELS: &[&str] = &["AFS", "C12", "C3A", "CFG", "CP4", "NV5", "NV5", "NV4", "NV4", "NV3", "NV2", "NV1"];

/// Professional positions.
pub const POSITIONS: &[&str] = &[
    "Conseillère en insertion professionnelle", "Travailleur social", "Assistante sociale",
    "Conseiller emploi", "Référente RSA", "Chargé d'accompagnement",
];
