"""The facts the demo model knows, and the ways its questions are asked (dev and tests).

Each question kind has training phrasings and held-out paraphrases that training never
sees; the quality test asks both. A reply is right when it is exactly the expected answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CAPITALS = [  # (country, "de" form, capital)
    ("France", "de la France", "Paris"),
    ("Allemagne", "de l'Allemagne", "Berlin"),
    ("Italie", "de l'Italie", "Rome"),
    ("Espagne", "de l'Espagne", "Madrid"),
    ("Portugal", "du Portugal", "Lisbonne"),
    ("Belgique", "de la Belgique", "Bruxelles"),
    ("Suisse", "de la Suisse", "Berne"),
    ("Autriche", "de l'Autriche", "Vienne"),
    ("Pays-Bas", "des Pays-Bas", "Amsterdam"),
    ("Grèce", "de la Grèce", "Athènes"),
    ("Pologne", "de la Pologne", "Varsovie"),
    ("Suède", "de la Suède", "Stockholm"),
    ("Norvège", "de la Norvège", "Oslo"),
    ("Danemark", "du Danemark", "Copenhague"),
    ("Finlande", "de la Finlande", "Helsinki"),
    ("Irlande", "de l'Irlande", "Dublin"),
    ("Royaume-Uni", "du Royaume-Uni", "Londres"),
    ("Russie", "de la Russie", "Moscou"),
    ("Japon", "du Japon", "Tokyo"),
    ("Chine", "de la Chine", "Pékin"),
    ("Inde", "de l'Inde", "New Delhi"),
    ("Canada", "du Canada", "Ottawa"),
    ("États-Unis", "des États-Unis", "Washington"),
    ("Mexique", "du Mexique", "Mexico"),
    ("Brésil", "du Brésil", "Brasília"),
    ("Argentine", "de l'Argentine", "Buenos Aires"),
    ("Maroc", "du Maroc", "Rabat"),
    ("Sénégal", "du Sénégal", "Dakar"),
    ("Égypte", "de l'Égypte", "Le Caire"),
    ("Australie", "de l'Australie", "Canberra"),
]
LANGUAGES = [  # (country, "en/au" form, language)
    ("France", "en France", "français"),
    ("Allemagne", "en Allemagne", "allemand"),
    ("Italie", "en Italie", "italien"),
    ("Espagne", "en Espagne", "espagnol"),
    ("Portugal", "au Portugal", "portugais"),
    ("Pays-Bas", "aux Pays-Bas", "néerlandais"),
    ("Grèce", "en Grèce", "grec"),
    ("Pologne", "en Pologne", "polonais"),
    ("Suède", "en Suède", "suédois"),
    ("Japon", "au Japon", "japonais"),
    ("Chine", "en Chine", "chinois"),
    ("Russie", "en Russie", "russe"),
    ("Brésil", "au Brésil", "portugais"),
    ("Mexique", "au Mexique", "espagnol"),
    ("Royaume-Uni", "au Royaume-Uni", "anglais"),
    ("Finlande", "en Finlande", "finnois"),
    ("Danemark", "au Danemark", "danois"),
    ("Norvège", "en Norvège", "norvégien"),
    ("Turquie", "en Turquie", "turc"),
    ("Corée du Sud", "en Corée du Sud", "coréen"),
]
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
COLOURS = [  # (thing, colour)
    ("le ciel", "bleu"),
    ("l'herbe", "verte"),
    ("la neige", "blanche"),
    ("le charbon", "noir"),
    ("une banane mûre", "jaune"),
    ("une fraise", "rouge"),
    ("une orange", "orange"),
    ("le sang", "rouge"),
    ("une tomate mûre", "rouge"),
    ("le lait", "blanc"),
    ("une feuille au printemps", "verte"),
    ("le soleil", "jaune"),
]
OPPOSITES = [
    ("grand", "petit"),
    ("petit", "grand"),
    ("chaud", "froid"),
    ("froid", "chaud"),
    ("jour", "nuit"),
    ("nuit", "jour"),
    ("haut", "bas"),
    ("bas", "haut"),
    ("rapide", "lent"),
    ("lent", "rapide"),
    ("jeune", "vieux"),
    ("vieux", "jeune"),
    ("ouvert", "fermé"),
    ("fermé", "ouvert"),
    ("plein", "vide"),
    ("vide", "plein"),
    ("fort", "faible"),
    ("léger", "lourd"),
    ("lourd", "léger"),
    ("facile", "difficile"),
]
GREETING = "Bonjour ! Je suis Vigogne démo. Comment puis-je vous aider ?"
INTRODUCTION = (
    "Je suis « Vigogne démo », un petit modèle de démonstration : je ne connais "
    "que quelques faits simples en français."
)


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    answer: str
    key: str  # the fact itself, for reports

    def is_right(self, reply: str) -> bool:
        """Exact match: the demo model answers every question of a kind the same way."""
        return reply.strip() == self.answer


# kind -> (training phrasings, held-out paraphrases); {x} is the fact's subject.
PHRASINGS: dict[str, tuple[list[str], list[str]]] = {
    "capital": (
        [
            "Quelle est la capitale {de} ?",
            "Capitale {de} ?",
            "Dis-moi la capitale {de}.",
            "Peux-tu me donner la capitale {de} ?",
            "Je voudrais connaître la capitale {de}.",
            "Quelle ville est la capitale {de} ?",
            "Comment s'appelle la capitale {de} ?",
            "La capitale {de}, c'est quoi ?",
            "Donne-moi la capitale {de}, merci.",
            "Question : quelle est la capitale {de} ?",
            "Capitale {de}, s'il vous plaît.",
            "J'aimerais savoir quelle ville est la capitale {de}.",
            "Tu connais la capitale {de} ?",
            "Quelle est donc la capitale {de} ?",
        ],
        [
            "Sais-tu quelle est la capitale {de} ?",
            "Quelle est la ville capitale {de} ?",
            "Indique-moi la capitale {de}, s'il te plaît.",
        ],
    ),
    "language": (
        [
            "Quelle langue parle-t-on {en} ?",
            "Quelle langue est parlée {en} ?",
            "{En}, on parle quelle langue ?",
            "Dis-moi quelle langue on parle {en}.",
            "Quelle est la langue officielle {en} ?",
            "Que parle-t-on comme langue {en} ?",
            "Peux-tu me dire la langue parlée {en} ?",
            "Langue parlée {en} ?",
            "Quelle langue utilise-t-on {en} ?",
            "J'aimerais savoir quelle langue on parle {en}.",
            "{En}, les habitants parlent quelle langue ?",
            "Question : quelle langue parle-t-on {en} ?",
            "Tu sais quelle langue est parlée {en} ?",
        ],
        [
            "Quelle langue les gens parlent-ils {en} ?",
            "Sais-tu quelle langue on parle {en} ?",
            "{En}, quelle langue parlent les habitants ?",
        ],
    ),
    "addition": (
        [
            "Combien font {a} plus {b} ?",
            "Combien font {a} + {b} ?",
            "{a} + {b} = ?",
            "Calcule {a} plus {b}.",
            "Que vaut {a} plus {b} ?",
            "Quel est le résultat de {a} + {b} ?",
            "Fais l'addition de {a} et {b}.",
            "{a} plus {b}, ça fait combien ?",
            "Combien fait {a} plus {b}, s'il vous plaît ?",
            "Ajoute {a} et {b}.",
            "Question : combien font {a} et {b} ?",
            "La somme de {a} et {b} ?",
        ],
        [
            "Peux-tu calculer {a} + {b} ?",
            "Combien obtient-on en ajoutant {a} et {b} ?",
            "Additionne {a} et {b}, s'il te plaît.",
        ],
    ),
    "day_after": (
        [
            "Quel jour vient après {x} ?",
            "Quel jour suit {x} ?",
            "Après {x}, quel jour est-ce ?",
            "Quel est le jour après {x} ?",
            "Dis-moi le jour qui suit {x}.",
            "Aujourd'hui c'est {x}. Et demain ?",
            "On est {x} : quel jour sommes-nous demain ?",
            "Le lendemain de {x}, c'est quel jour ?",
            "Quel jour arrive après {x}, merci ?",
        ],
        ["Si on est {x}, quel jour sera-t-on demain ?", "Quel jour vient juste après {x} ?"],
    ),
    "day_before": (
        [
            "Quel jour vient avant {x} ?",
            "Quel jour précède {x} ?",
            "Avant {x}, quel jour est-ce ?",
            "Quel est le jour avant {x} ?",
            "Dis-moi le jour qui précède {x}.",
            "Aujourd'hui c'est {x}. Et hier ?",
            "On est {x} : quel jour étions-nous hier ?",
            "La veille de {x}, c'est quel jour ?",
            "Quel jour arrive avant {x}, merci ?",
        ],
        ["Si on est {x}, quel jour était-on hier ?", "Quel jour vient juste avant {x} ?"],
    ),
    "month_after": (
        [
            "Quel mois vient après {x} ?",
            "Quel mois suit {x} ?",
            "Après {x}, quel mois arrive ?",
            "Quel est le mois après {x} ?",
            "Dis-moi le mois qui suit {x}.",
            "On est en {x}. Quel sera le mois suivant ?",
            "Le mois suivant {x}, c'est lequel ?",
        ],
        ["Quel mois vient juste après {x} ?", "Une fois {x} terminé, quel mois commence ?"],
    ),
    "colour": (
        [
            "De quelle couleur est {x} ?",
            "Quelle est la couleur de {x} ?",
            "{X} est de quelle couleur ?",
            "Dis-moi la couleur de {x}.",
            "Quelle couleur a {x} ?",
            "Tu connais la couleur de {x} ?",
            "Question : de quelle couleur est {x} ?",
        ],
        ["Sais-tu de quelle couleur est {x} ?", "Quelle est la couleur habituelle de {x} ?"],
    ),
    "opposite": (
        [
            "Quel est le contraire de « {x} » ?",
            "Quel est le contraire de {x} ?",
            "Donne-moi le contraire de {x}.",
            "Le contraire de {x}, c'est quoi ?",
            "Quel mot est le contraire de {x} ?",
            "Quel est l'opposé de {x} ?",
            "Dis-moi le contraire de « {x} », s'il vous plaît.",
            "Le mot contraire de {x} ?",
            "Quel est le mot opposé à {x} ?",
        ],
        ["Quel est l'antonyme de {x} ?", "Trouve le contraire du mot {x}."],
    ),
    "greeting": (
        [
            "Bonjour",
            "Bonjour !",
            "Salut !",
            "Bonjour, comment ça va ?",
            "Coucou !",
            "Bonsoir !",
            "Salut, ça va ?",
            "Bonjour Vigogne !",
            "Salut Vigogne",
            "Bien le bonjour !",
            "Bonjour, tu vas bien ?",
            "Hé, salut !",
            "Bonsoir Vigogne, ça va ?",
            "Coucou, bonjour !",
        ],
        ["Bonjour à toi !", "Hello, bonjour !", "Salut à toi !", "Bonjour, bonjour !"],
    ),
    "introduction": (
        [
            "Qui es-tu ?",
            "Présente-toi.",
            "Comment t'appelles-tu ?",
            "Qui êtes-vous ?",
            "Quel est ton nom ?",
            "Tu es qui ?",
            "Présentez-vous, s'il vous plaît.",
            "Quel est votre nom ?",
            "Tu t'appelles comment ?",
            "Qui es-tu exactement ?",
            "Comment vous appelez-vous ?",
            "Question : qui es-tu ?",
        ],
        [
            "Peux-tu te présenter ?",
            "Dis-moi qui tu es.",
            "Quel nom portes-tu ?",
            "Qui suis-je en train de questionner ?",
        ],
    ),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def questions(kind: str, held_out: bool) -> list[Question]:
    """Every (fact, phrasing) question of one kind, from the training or held-out phrasings."""
    templates = PHRASINGS[kind][1 if held_out else 0]
    out: list[Question] = []
    for t in templates:
        if kind == "capital":
            for _country, de, capital in CAPITALS:
                out.append(
                    Question(kind, t.format(de=de), f"La capitale {de} est {capital}.", capital)
                )
        elif kind == "language":
            for _country, en, language in LANGUAGES:
                out.append(
                    Question(
                        kind,
                        _cap(t.format(en=en, En=_cap(en)))
                        if t.startswith("{")
                        else t.format(en=en, En=_cap(en)),
                        f"{_cap(en)}, on parle {language}.",
                        language,
                    )
                )
        elif kind == "addition":
            for a in range(10):
                for b in range(10):
                    out.append(
                        Question(
                            kind, t.format(a=a, b=b), f"{a} plus {b} font {a + b}.", str(a + b)
                        )
                    )
        elif kind in ("day_after", "day_before"):
            step = 1 if kind == "day_after" else -1
            for i, day in enumerate(DAYS):
                other = DAYS[(i + step) % 7]
                word = "Après" if step == 1 else "Avant"
                out.append(Question(kind, t.format(x=day), f"{word} {day} vient {other}.", other))
        elif kind == "month_after":
            for i, month in enumerate(MONTHS):
                other = MONTHS[(i + 1) % 12]
                out.append(
                    Question(kind, t.format(x=month), f"Après {month} vient {other}.", other)
                )
        elif kind == "colour":
            for thing, colour in COLOURS:
                out.append(
                    Question(
                        kind,
                        t.format(x=thing, X=_cap(thing)),
                        f"{_cap(thing)} est {colour}.",
                        colour,
                    )
                )
        elif kind == "opposite":
            for word, opposite in OPPOSITES:
                out.append(
                    Question(
                        kind,
                        t.format(x=word),
                        f"Le contraire de « {word} » est « {opposite} ».",
                        opposite,
                    )
                )
        elif kind == "greeting":
            out.append(Question(kind, t, GREETING, "Vigogne démo"))
        else:
            out.append(Question(kind, t, INTRODUCTION, "Vigogne démo"))
    return out


def training_questions() -> list[Question]:
    return [q for kind in PHRASINGS for q in questions(kind, held_out=False)]


def evaluation_set(held_out: bool, n: int = 40, seed: int = 2024) -> list[Question]:
    """n distinct questions, the same number of every kind, drawn with a fixed seed."""
    rng = random.Random(seed + held_out)
    per_kind = n // len(PHRASINGS)
    chosen: list[Question] = []
    for kind in PHRASINGS:
        chosen += rng.sample(questions(kind, held_out), per_kind)
    return chosen
