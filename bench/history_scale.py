"""History at scale: search, open and the conversation list in a store of 10,000
conversations / 500,000 messages, through the calls the window makes, against a plain LIKE
scan of the same tables (what the FTS5 index buys).

The store is built once into bench/.cache/ with the app's own schema (`History` creates it
and runs its migrations), then filled in one transaction with `executemany` straight into
its tables, the schema's triggers filling the search indexes as the app's inserts do.
The text is French-like: words drawn with a Zipf law from a vocabulary of common words and
a long tail of derived ones, questions of 10-60 words, replies of 50-400 words, some with
code blocks or lists, a few regenerated replies (message versions), pinned and deleted
conversations, a handful of messages with a rare word.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vigogne_desktop.core.history import History, Searcher, title_from

from . import models
from .models import CACHE
from .stats import machine, spread, summary, write

GENERATOR = 1  # bump when the generated store changes, so a stale cache is not reused
LONG = 1000  # messages in the long conversation the bench opens
RARE = "ornithorynque"  # in a handful of messages only
SHORT_TARGET = 10  # the short conversation opened has about this many messages

COMMON_TEXT = """
le la les un une des de du et à en au aux pour par sur dans avec sans sous entre vers chez
que qui quoi dont où ne pas plus moins très bien aussi encore déjà toujours jamais souvent
il elle ils elles on nous vous je tu me te se mon ton son notre votre leur ce cette ces
est sont était être avoir a ont fait faire peut peuvent doit faut veut dire voir savoir
comment pourquoi quand combien si mais ou donc car alors ensuite puis enfin cependant
fichier fichiers données modèle modèles mémoire réponse question exemple erreur problème
fonction fonctions variable valeur liste tableau texte ligne code programme script python
système réseau serveur client requête page site projet version paramètre paramètres
utilisateur utiliser utilise installer installation commande terminal dossier chemin
calcul résultat méthode classe objet module bibliothèque paquet température contexte
français anglais phrase mot mots lettre langue traduction résumé article chapitre livre
été hiver printemps automne année mois semaine jour heure minute temps matin soir
élève école étudiant professeur cours leçon examen note travail équipe réunion
santé médecin hôpital maladie repas cuisine recette pain fromage vin café thé eau
voyage train voiture vélo ville pays région montagne mer plage forêt rivière lac
histoire musée musique film théâtre peinture roman poème écrivain artiste
économie entreprise marché prix coût budget banque compte contrat client vente
énergie électricité chaleur lumière climat pluie neige vent soleil nuage orage
simple rapide lent grand petit nouveau ancien premier dernier meilleur important
possible nécessaire général particulier différent même autre chaque plusieurs tout
déjà également notamment ainsi simplement vraiment rapidement facilement exactement
"""
STEMS_TEXT = """
calcul format programm install configur optimis analys vérifi compil exécut
enregistr chargement trait organis présent développ évalu mesur compar modifi
transform convers navig publi rédig réserv prépar expliqu indiqu observ
"""
SUFFIXES_TEXT = "ation ations er é ée és ées ement eur eurs ons ez ait aient able ables ique"
COMMON, STEMS, SUFFIXES = COMMON_TEXT.split(), STEMS_TEXT.split(), SUFFIXES_TEXT.split()
CODE = (
    "```python\ndef {f}({v}):\n    return [x * 2 for x in {v} if x > {n}]\n```",
    "```bash\npip install {f}\n{f} --{v} {n}\n```",
    "```python\nimport json\n\nwith open('{v}.json') as f:\n    {f} = json.load(f)\n```",
    "```sql\nSELECT {v}, count(*) FROM {f} GROUP BY {v} HAVING count(*) > {n};\n```",
)


class Corpus:
    """French-like text from a fixed seed: the same store on every machine."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        tail = [s + x for s, x in itertools.product(STEMS, SUFFIXES)]
        rng.shuffle(tail)
        words = COMMON + tail
        weights = [1.0 / (rank + 10) for rank in range(len(words))]  # Zipf-like
        picks = rng.choices(words, weights, k=1_500_000)
        self.sentences: list[tuple[str, int]] = []
        at = 0
        while at < len(picks) - 30:
            n = rng.randint(6, 22)
            text = " ".join(picks[at : at + n])
            self.sentences.append((text[0].upper() + text[1:] + rng.choice(".,.?.!"), n))
            at += n

    def text(self, low: int, high: int) -> str:
        """Sentences adding up to between `low` and `high` words (about)."""
        goal = self.rng.randint(low, high)
        parts: list[str] = []
        count = 0
        while count < goal:
            sentence, n = self.rng.choice(self.sentences)
            parts.append(sentence)
            count += n
        return " ".join(parts)

    def reply(self) -> str:
        text = self.text(50, 400)
        draw = self.rng.random()
        if draw < 0.15:
            name, var = self.rng.choice(STEMS) + "er", self.rng.choice(STEMS) + "s"
            code = self.rng.choice(CODE).format(f=name, v=var, n=self.rng.randint(1, 99))
            text = f"{text}\n\n{code}\n\n{self.text(10, 40)}"
        elif draw < 0.25:
            items = "\n".join(f"- {self.text(5, 15)}" for _ in range(self.rng.randint(3, 6)))
            text = f"{text}\n\n{items}"
        return text


def store_path(conversations: int, messages: int, seed: int) -> Path:
    return CACHE / f"history-{conversations}c-{messages}m-seed{seed}-g{GENERATOR}.sqlite3"


def _sizes(rng: random.Random, conversations: int, messages: int) -> list[int]:
    """Messages per conversation: the first (oldest) is the long one, the rest vary around
    the mean, all adding up to `messages`."""
    long = min(LONG, messages // 4)
    rest = conversations - 1
    mean = (messages - long) / rest
    sizes = [max(2, round(rng.expovariate(1 / mean))) for _ in range(rest)]
    while (gap := messages - long - sum(sizes)) != 0:
        n = rng.randrange(rest)
        sizes[n] += min(gap, 20) if gap > 0 else -min(-gap, sizes[n] - 2, 20)
    return [long, *sizes]


def build(path: Path, conversations: int, messages: int, seed: int) -> float:
    """Fill a new store at `path`; the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    corpus = Corpus(rng)
    part = path.with_name(path.name + ".part")
    for leftover in (part, part.with_name(part.name + "-wal"), part.with_name(part.name + "-shm")):
        leftover.unlink(missing_ok=True)
    History(part).close()  # the app's schema, through its own migrations
    db = sqlite3.connect(part, isolation_level=None)
    db.execute("PRAGMA journal_mode = DELETE")  # one big transaction: no WAL copy of it
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    rare_every = max(1, messages // 12)
    now = time.time()
    first = now - 2 * 365 * 86400
    conv_rows: list[tuple[Any, ...]] = []
    msg_rows: list[tuple[Any, ...]] = []
    mid = 0
    sizes = _sizes(rng, conversations, messages)
    for cid, size in enumerate(sizes, start=1):
        when = first + (now - first) * (cid - 1) / conversations + rng.uniform(0, 3600)
        parent: int | None = None
        title = ""
        for n in range(size):
            mid += 1
            role = "user" if n % 2 == 0 else "assistant"
            content = corpus.text(10, 60) if role == "user" else corpus.reply()
            if mid % rare_every == 0:
                content = f"{content} Parlons de l'{RARE} {RARE}s."
            title = title or title_from(content)
            when += rng.uniform(5, 120)
            # A regenerated reply: this one and the next are versions under one question.
            regenerated = role == "assistant" and n + 2 < size and rng.random() < 0.03
            msg_rows.append((mid, cid, parent, role, content, "complete", when, "{}"))
            if not regenerated:
                parent = mid
        deleted = when if rng.random() < 0.01 else None
        pinned = int(cid % (conversations // 4 + 1) == 3)
        settings = json.dumps({"model": "/models/vigogne-2-7b-chat.Q4_K_M.gguf"})
        conv_rows.append((cid, title, pinned, when - size * 60, when, settings, mid, deleted))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO conversations (id, title, pinned, created, updated, settings, leaf_id, "
        "deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        conv_rows,
    )
    db.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created, "
        "meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        msg_rows,
    )
    db.execute("COMMIT")
    db.close()
    part.rename(path)
    return time.perf_counter() - started


def like_search(db: sqlite3.Connection, text: str, limit: int = 50) -> list[Any]:
    """The peer: every word as a substring of the title or of a message, no index."""
    words = text.split()
    where = " AND ".join("m.content LIKE ?" for _ in words)
    rows = db.execute(
        "SELECT c.id, c.title FROM conversations c WHERE c.deleted IS NULL AND "
        + " AND ".join("c.title LIKE ?" for _ in words)
        + " LIMIT ?",
        (*(f"%{w}%" for w in words), limit),
    ).fetchall()
    rows += db.execute(
        "SELECT c.id, c.title, m.id, substr(m.content, 1, 80) FROM messages m "
        f"JOIN conversations c ON c.id = m.conversation_id WHERE c.deleted IS NULL AND {where} "
        "LIMIT ?",
        (*(f"%{w}%" for w in words), limit),
    ).fetchall()
    return rows


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


def pairs(
    runs: int, app: Callable[[], Any], peer: Callable[[], Any]
) -> Iterator[tuple[str, float, Any]]:
    """App and peer alternated, the one going first swapped each run."""
    for run in range(runs):
        order = (("app", app), ("peer", peer)) if run % 2 == 0 else (("peer", peer), ("app", app))
        for side, work in order:
            ms, result = timed(work)
            yield side, ms, result


def measure(runs: int, app: Callable[[], Any], peer: Callable[[], Any]) -> dict[str, Any]:
    times: dict[str, list[float]] = {"app": [], "peer": []}
    counts: dict[str, int] = {}
    for side, ms, result in pairs(runs, app, peer):
        times[side].append(ms)
        counts[side] = len(result)
    return {side: {**summary(values), "rows": counts[side]} for side, values in times.items()}


def sidebar_ms(history: History, runs: int) -> list[float]:
    """The conversations put in the window's sidebar (its Qt model, then the view's layout,
    which Qt runs on the next turn of the event loop), as `ConversationActions.refresh`."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from vigogne_desktop.ui.models import ConversationListModel
    from vigogne_desktop.ui.sidebar import Sidebar

    app = QApplication.instance() or QApplication([])
    model = ConversationListModel()
    sidebar = Sidebar(model)
    sidebar.resize(280, 700)
    sidebar.show()
    app.processEvents()
    conversations = history.conversations()
    times = []
    for _ in range(runs):
        model.set_conversations([])
        app.processEvents()
        started = time.perf_counter()
        model.set_conversations(conversations)
        app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
    sidebar.close()
    return times


def short_conversation(path: Path) -> int:
    db = sqlite3.connect(path)
    row = db.execute(
        "SELECT conversation_id FROM messages GROUP BY conversation_id "
        "HAVING count(*) BETWEEN ? AND ? ORDER BY conversation_id DESC LIMIT 1",
        (SHORT_TARGET - 2, SHORT_TARGET + 2),
    ).fetchone()
    db.close()
    return int(row[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    if models.SMOKE:
        args.conversations, args.messages, args.runs = 100, 5_000, 1
    path = store_path(args.conversations, args.messages, args.seed)
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        print(f"building {path.name} (once)…", flush=True)
        print(f"built in {build(path, args.conversations, args.messages, args.seed):.0f} s")
    migrated_ms, _ = timed(lambda: History(path).close())  # a new migration runs here, once
    window = History(path, checkpoints=False, recover=True)  # the window's own connection
    plain = sqlite3.connect(path)
    short, long = short_conversation(path), 1

    searcher = Searcher(path)  # the window's one reader for searches, kept open

    def search(text: str) -> Callable[[], Any]:
        return lambda: searcher.find(text)  # what ConversationActions.search runs on the pool

    def like(text: str) -> Callable[[], list[Any]]:
        return lambda: like_search(plain, text)

    def open_(cid: int) -> Callable[[], Any]:
        def run() -> Any:  # what ConversationActions.open_conversation runs on the pool
            with History(path) as reader:
                shown = reader.shown(cid)
                reader.conversation(cid).settings  # noqa: B018 (the window reads them too)
                return shown

        return run

    def read_all(cid: int) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            query = "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id"
            return plain.execute(query, (cid,)).fetchall()

        return run

    queries = (
        ("one word", "fichier"),
        ("two words", "erreur mémoire"),
        ("rare word", RARE),
        ("accented word typed without accents", "probleme"),
        ("one letter, as typed", "f"),
        ("a second word begun, as typed", "erreur m"),
        ("three letters, as typed", "pro"),
        ("common beginning", "que"),
        ("common beginning", "pour"),
        ("common word", "modele"),
        ("common word", "des"),
        ("a second word begun", "erreur mém"),
        ("a short word and a beginning", "le fich"),
    )
    results: dict[str, Any] = {}
    rows: list[tuple[str, str, str]] = []

    def fmt(s: dict[str, float]) -> str:  # every figure here is in milliseconds
        return spread(s, " ms", 1)

    def record(key: str, label: str, peer_label: str, figures: dict[str, Any]) -> None:
        results[key] = figures
        app, peer = figures["app"], figures["peer"]
        print(f"{label}: {fmt(app)}; {peer_label}: {fmt(peer)}", flush=True)
        goal = "< 100 ms" + ("" if app["median"] < 100 else " (missed)")
        rows.append((label, f"{fmt(app)}, {app['rows']} rows", goal))
        rows.append((f"… {peer_label}", f"{fmt(peer)}, {peer['rows']} rows", ""))

    for kind, text in queries:
        figures = measure(args.runs, search(text), like(text))
        record(f"search « {text} »", f"search, {kind} « {text} »", "LIKE scan", figures)
    for kind, cid in (("short", short), ("long", long)):
        figures = measure(args.runs, open_(cid), read_all(cid))
        size = len(read_all(cid)())
        record(
            f"open {kind}",
            f"open a {kind} conversation ({size} messages)",
            "plain read of its rows",
            figures,
        )

    def start() -> list[None]:  # the window's first connection (MainWindow)
        History(path, checkpoints=False, recover=True).close()
        return []

    def connect() -> list[None]:
        sqlite3.connect(path).close()
        return []

    figures = measure(args.runs, start, connect)
    record(
        "start", "open the history at start (ending replies left streaming)", "bare open", figures
    )
    figures = measure(
        args.runs,
        window.conversations,
        lambda: plain.execute("SELECT * FROM conversations WHERE deleted IS NULL").fetchall(),
    )
    record("list", "the conversation list at start", "plain read of its rows", figures)
    shown = summary(sidebar_ms(window, args.runs))
    results["sidebar"] = shown
    print(f"the list shown in the sidebar: {fmt(shown)}", flush=True)
    goal = "< 100 ms" + ("" if shown["median"] < 100 else " (missed)")
    rows.append(("… then shown in the sidebar (Qt model and the view's layout)", fmt(shown), goal))
    window.close()
    plain.close()
    searcher.close()

    size_mb = path.stat().st_size / 1e6
    write(
        "history_scale",
        {
            "title": "History at scale: search, open and list in a large store",
            "setup": (
                f"{args.conversations:,} conversations, {args.messages:,} messages of French-like "
                f"text ({size_mb:.0f} MB file, seed {args.seed}), {args.runs} alternated runs of "
                "the window's own History calls (a reader opened per call, as the window does) "
                "and their peer. The peer for search is a LIKE scan of the same tables (no "
                "index, accents not ignored, no ranking: it stops at the first 50 hits, so a "
                "common word costs it nothing and a rare one the whole table); for open and "
                "list, a plain read of the rows. A word of one or two letters is looked for "
                "whole in messages and as a beginning in titles only: as a prefix FTS5 would "
                "merge the lists of every word it begins (most of the index); a longer one is "
                "the OR of the indexed words it begins, read in the index's vocabulary. "
                "Times are warm (the file in the OS cache). Reproduce: `python -m "
                f"bench history --conversations {args.conversations} --messages "
                f"{args.messages} --runs {args.runs}`."
            ),
            "machine": machine(),
            "store_mb": size_mb,
            "first_open_ms": migrated_ms,
            "results": results,
        },
        rows,
    )


if __name__ == "__main__":
    main()
